import { MigrationInterface, QueryRunner } from 'typeorm';

export class PasswordSetup1764200000000 implements MigrationInterface {
  name = 'PasswordSetup1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE password_setup_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        token_hash bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        consumed_at timestamptz,
        superseded_at timestamptz
      )`);
    await q.query(`CREATE UNIQUE INDEX password_setup_tokens_hash_key ON password_setup_tokens (token_hash)`);
    await q.query(`CREATE INDEX password_setup_tokens_user_idx ON password_setup_tokens (user_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE password_setup_tokens`);
  }
}
