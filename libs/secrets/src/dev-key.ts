/**
 * Without SECRETS_ENCRYPTION_KEYS (development and tests only; production refuses to start without it),
 * a key is generated once and kept under DATA_DIR, so encrypted rows survive restarts of a local setup.
 * The file is created atomically (write a temporary file, then hard-link it into place), so replicas or
 * test workers that start together all end up with the same key.
 */
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KEY_BYTES } from './keyring';

export const DEV_KEY_FILE = 'secrets-dev.keyring';

export function loadOrCreateDevKeyring(dataDir: string): { keyring: string; path: string; created: boolean } {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, DEV_KEY_FILE);
  let created = false;
  try {
    return { keyring: readFileSync(path, 'utf8').trim(), path, created };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(temp, `dev:${randomBytes(KEY_BYTES).toString('base64')}\n`, { mode: 0o600 });
  try {
    linkSync(temp, path);
    created = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    unlinkSync(temp);
  }
  return { keyring: readFileSync(path, 'utf8').trim(), path, created };
}
