import { rmSync } from 'node:fs';
import { join } from 'node:path';

export default async function globalTeardown(): Promise<void> {
  const pg = (globalThis as { __MAILSTRATA_PG__?: { stop(): Promise<void> } }).__MAILSTRATA_PG__;
  if (!pg) return;
  await pg.stop();
  rmSync(join(__dirname, '..', '..', '.data', `test-${process.pid}`), { recursive: true, force: true });
}
