import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Secret references: a profile may name a file in its tenant's secrets directory instead of storing a
 * secret. The names are not secrets (stored plain, shown in GET); a profile holds a secret either as a
 * ciphertext or as a reference, never both, which the checks keep true whatever writes the row.
 */
export class SmtpSecretRefs1765350000000 implements MigrationInterface {
  name = 'SmtpSecretRefs1765350000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE smtp_profiles
        ADD COLUMN password_ref text,
        ADD COLUMN oauth2_client_secret_ref text,
        ADD COLUMN client_key_ref text,
        ADD CONSTRAINT smtp_profiles_password_one_form CHECK (password_ref IS NULL OR password_enc IS NULL),
        ADD CONSTRAINT smtp_profiles_client_secret_one_form CHECK (oauth2_client_secret_ref IS NULL OR oauth2_client_secret_enc IS NULL),
        ADD CONSTRAINT smtp_profiles_client_key_one_form CHECK (client_key_ref IS NULL OR client_key_enc IS NULL)
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    // A profile that used a reference has no secret left once it is gone: it must be saved again.
    await q.query(`
      ALTER TABLE smtp_profiles
        DROP CONSTRAINT smtp_profiles_password_one_form,
        DROP CONSTRAINT smtp_profiles_client_secret_one_form,
        DROP CONSTRAINT smtp_profiles_client_key_one_form,
        DROP COLUMN password_ref,
        DROP COLUMN oauth2_client_secret_ref,
        DROP COLUMN client_key_ref
    `);
  }
}
