/**
 * Small random values (IVs, Message-IDs, MIME boundaries) cut from a pooled CSPRNG buffer, the way
 * Node's own `randomUUID` does. Each `randomBytes` call is a trip into OpenSSL and the kernel that cost
 * about 12 µs on our 2-core VMs; a queued email needed five of them. Bytes are handed out once and a
 * used pool is never refilled in place, so a value still held by a caller can never change or repeat.
 */
import { randomBytes, randomFillSync } from 'node:crypto';

const POOL_BYTES = 4096;
/** Larger requests gain nothing from the pool and would drain it. */
const MAX_POOLED = 64;

let pool = Buffer.alloc(0);
let offset = 0;

export function pooledRandomBytes(size: number): Buffer {
  if (size > MAX_POOLED) return randomBytes(size);
  if (offset + size > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafeSlow(POOL_BYTES));
    offset = 0;
  }
  const out = pool.subarray(offset, offset + size);
  offset += size;
  return out;
}
