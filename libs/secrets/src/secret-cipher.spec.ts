import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadOrCreateDevKeyring } from './dev-key';
import { KeyringError, parseKeyring } from './keyring';
import { SecretCipher, SecretDecryptionError } from './secret-cipher';

const k = () => randomBytes(32).toString('base64');
const where = { table: 'smtp_profiles', rowId: '3f1c1b7e-0000-4000-8000-000000000001', field: 'password' };

describe('keyring', () => {
  it('parses several keys; the first one encrypts', () => {
    const ring = parseKeyring(`new:${k()}, old:${k()}`);
    expect(ring.current.id).toBe('new');
    expect([...ring.byId.keys()]).toEqual(['new', 'old']);
  });

  it.each([
    ['', /is empty/],
    ['nokey', /key id/],
    [`a:${randomBytes(16).toString('base64')}`, /32 bytes \(got 16\)/],
    ['a:***', /base64/],
    [`a:${k()},a:${k()}`, /appears twice/],
  ])('refuses %j without echoing key material', (text, message) => {
    let error: unknown;
    try {
      parseKeyring(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(KeyringError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toMatch(/^SECRETS_ENCRYPTION_KEYS: /);
  });
});

describe('SecretCipher', () => {
  const oldKey = `old:${k()}`;
  const newKey = `new:${k()}`;

  it('round-trips and names the key in the ciphertext', () => {
    const cipher = new SecretCipher(parseKeyring(oldKey));
    const ct = cipher.encrypt('hunter2-ü', where);
    expect(ct).toMatch(/^v1\.old\./);
    expect(ct).not.toContain('hunter2');
    expect(cipher.decrypt(ct, where)).toBe('hunter2-ü');
    expect(cipher.encrypt('hunter2-ü', where)).not.toBe(ct); // fresh IV each time
  });

  it('binds the ciphertext to row and field', () => {
    const cipher = new SecretCipher(parseKeyring(oldKey));
    const ct = cipher.encrypt('s3cret', where);
    expect(() => cipher.decrypt(ct, { ...where, rowId: '3f1c1b7e-0000-4000-8000-000000000002' })).toThrow(SecretDecryptionError);
    expect(() => cipher.decrypt(ct, { ...where, field: 'client_key' })).toThrow(SecretDecryptionError);
    const parts = ct.split('.');
    const tag = Buffer.from(parts[4]!, 'base64url');
    tag[0] ^= 1;
    const tampered = [...parts.slice(0, 4), tag.toString('base64url')].join('.');
    expect(() => cipher.decrypt(tampered, where)).toThrow(/authentication failed/);
  });

  it('decrypts with any key of the ring and reports stale ciphertexts', () => {
    const before = new SecretCipher(parseKeyring(oldKey));
    const ct = before.encrypt('s3cret', where);
    const after = new SecretCipher(parseKeyring(`${newKey},${oldKey}`));
    expect(after.decrypt(ct, where)).toBe('s3cret');
    expect(after.isStale(ct)).toBe(true);
    expect(after.isStale(after.encrypt('s3cret', where))).toBe(false);
    const withoutOld = new SecretCipher(parseKeyring(newKey));
    expect(() => withoutOld.decrypt(ct, where)).toThrow(/key "old" is not in SECRETS_ENCRYPTION_KEYS/);
  });
});

describe('development key', () => {
  it('is created once and reused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ms-devkey-'));
    try {
      const first = loadOrCreateDevKeyring(dir);
      const second = loadOrCreateDevKeyring(dir);
      expect(first.created).toBe(true);
      expect(second.created).toBe(false);
      expect(second.keyring).toBe(first.keyring);
      expect(parseKeyring(first.keyring).current.id).toBe('dev');
      expect(readFileSync(first.path, 'utf8').trim()).toBe(first.keyring);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
