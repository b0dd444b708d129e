/**
 * The encryption keyring: `id:base64-32-bytes[,id:base64-32-bytes…]`. The first key encrypts, every key
 * decrypts, so a rotation is "prepend the new key, run the re-encrypt command, drop the old key".
 * Parsing errors name the position, never the key material.
 */
export interface KeyringKey {
  id: string;
  key: Buffer;
}

export interface Keyring {
  /** The key new ciphertexts are written with. */
  current: KeyringKey;
  byId: ReadonlyMap<string, Buffer>;
}

export const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;
export const KEY_BYTES = 32;

export class KeyringError extends Error {
  constructor(message: string) {
    super(`SECRETS_ENCRYPTION_KEYS: ${message}`);
    this.name = 'KeyringError';
  }
}

export function parseKeyring(text: string): Keyring {
  const entries = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (entries.length === 0) throw new KeyringError('is empty; expected "id:base64-32-bytes[,id:base64-32-bytes…]"');
  const byId = new Map<string, Buffer>();
  const keys: KeyringKey[] = [];
  entries.forEach((entry, index) => {
    const colon = entry.indexOf(':');
    const id = colon > 0 ? entry.slice(0, colon) : '';
    const material = colon > 0 ? entry.slice(colon + 1) : '';
    if (!KEY_ID_PATTERN.test(id)) {
      throw new KeyringError(`entry ${index + 1}: the key id must be 1-32 letters, digits, "_" or "-", followed by ":"`);
    }
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(material)) throw new KeyringError(`key "${id}": the key must be base64`);
    const key = Buffer.from(material, 'base64');
    if (key.length !== KEY_BYTES) throw new KeyringError(`key "${id}": must decode to ${KEY_BYTES} bytes (got ${key.length})`);
    if (byId.has(id)) throw new KeyringError(`key id "${id}" appears twice`);
    byId.set(id, key);
    keys.push({ id, key });
  });
  return { current: keys[0]!, byId };
}
