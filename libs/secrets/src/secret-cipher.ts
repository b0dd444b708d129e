/**
 * AES-256-GCM for secrets at rest. A ciphertext is `v1.<keyId>.<iv>.<ciphertext>.<tag>` (base64url), so
 * it names the key that wrote it and survives rotations. The associated data binds it to the table,
 * the row id and the field: a ciphertext copied into another row or column fails to decrypt.
 * This class never logs and its errors never carry plaintext or key material.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { pooledRandomBytes } from '@mailstrata/common';
import { Keyring } from './keyring';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Where a secret lives; part of the authenticated data. */
export interface SecretContext {
  table: string;
  rowId: string;
  field: string;
}

export class SecretDecryptionError extends Error {
  constructor(
    readonly context: SecretContext,
    reason: string,
  ) {
    super(`cannot decrypt ${context.table}.${context.field} of row ${context.rowId}: ${reason}`);
    this.name = 'SecretDecryptionError';
  }
}

function aad(context: SecretContext): Buffer {
  return Buffer.from(`mailstrata:${VERSION}:${context.table}:${context.rowId}:${context.field}`, 'utf8');
}

export class SecretCipher {
  constructor(private readonly keyring: Keyring) {}

  get currentKeyId(): string {
    return this.keyring.current.id;
  }

  encrypt(plaintext: string, context: SecretContext): string {
    const { id, key } = this.keyring.current;
    const iv = pooledRandomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(aad(context));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, id, iv.toString('base64url'), body.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
  }

  decrypt(ciphertext: string, context: SecretContext): string {
    const parts = ciphertext.split('.');
    if (parts.length !== 5 || parts[0] !== VERSION) throw new SecretDecryptionError(context, 'not a recognised ciphertext');
    const [, keyId, ivText, bodyText, tagText] = parts as [string, string, string, string, string];
    const key = this.keyring.byId.get(keyId);
    if (!key) throw new SecretDecryptionError(context, `key "${keyId}" is not in SECRETS_ENCRYPTION_KEYS`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(ivText, 'base64url'), { authTagLength: TAG_BYTES });
      decipher.setAAD(aad(context));
      decipher.setAuthTag(Buffer.from(tagText, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(bodyText, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretDecryptionError(context, 'authentication failed (wrong key, or copied from another row or field)');
    }
  }

  /** The id of the key that wrote a ciphertext (for rotation reports); undefined if unrecognised. */
  keyIdOf(ciphertext: string): string | undefined {
    const parts = ciphertext.split('.');
    return parts.length === 5 && parts[0] === VERSION ? parts[1] : undefined;
  }

  /** True when the ciphertext was written with an older key and should be rewritten. */
  isStale(ciphertext: string): boolean {
    return this.keyIdOf(ciphertext) !== this.keyring.current.id;
  }
}
