import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * OAuth2 request header values become secrets: a column for their ciphertext (AES-GCM under the secrets
 * keyring, bound to the row id and `oauth2.request_headers` like the other `_enc` columns).
 *
 * The migration cannot encrypt the values already stored in `oauth2->'request_headers'`: the keyring
 * (SECRETS_ENCRYPTION_KEYS, or the development key file) belongs to the application, not to the schema,
 * and migrations also run from the TypeORM CLI without it. Dropping the values here would break every
 * profile that relies on them. So the application seals them instead: at start (before it serves a
 * request, once the schema is current) every row that still holds plaintext values gets them encrypted
 * into this column and reduced to header names, row by row under a row lock, idempotently, on whichever
 * replica gets there first; `npm run secrets:reencrypt` does the same. Until then the plaintext is only
 * what was already there; nothing new is ever written in plaintext.
 */
export class RequestHeaderSecrets1764500000000 implements MigrationInterface {
  name = 'RequestHeaderSecrets1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE smtp_profiles ADD COLUMN oauth2_request_headers_enc text`);
  }

  async down(q: QueryRunner): Promise<void> {
    // Encrypted header values cannot be turned back into plaintext without the keyring: they are lost.
    await q.query(`ALTER TABLE smtp_profiles DROP COLUMN oauth2_request_headers_enc`);
  }
}
