import { MigrationInterface, QueryRunner } from 'typeorm';

/** Password-reset tokens: only their SHA-256 is kept; single use (consumed_at), expiring, superseded by a newer request. */
export class PasswordReset1765100000000 implements MigrationInterface {
  name = 'PasswordReset1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE password_reset_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        token_hash bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        consumed_at timestamptz,
        superseded_at timestamptz
      )`);
    await q.query(`CREATE UNIQUE INDEX password_reset_tokens_hash_key ON password_reset_tokens (token_hash)`);
    await q.query(`CREATE INDEX password_reset_tokens_user_idx ON password_reset_tokens (user_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE password_reset_tokens`);
  }
}
