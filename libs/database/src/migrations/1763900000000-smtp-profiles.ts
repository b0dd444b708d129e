import { MigrationInterface, QueryRunner } from 'typeorm';

/** SMTP profiles of partners and organizations. Secrets are ciphertext columns (`*_enc`). */
export class SmtpProfiles1763900000000 implements MigrationInterface {
  name = 'SmtpProfiles1763900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE smtp_profiles (
        id uuid PRIMARY KEY,
        partner_id uuid NOT NULL REFERENCES partners(id) ON DELETE CASCADE,
        org_id uuid REFERENCES organizations(id) ON DELETE CASCADE,
        host text NOT NULL CHECK (length(host) BETWEEN 1 AND 253),
        port integer NOT NULL CHECK (port BETWEEN 1 AND 65535),
        tls_mode text NOT NULL CHECK (tls_mode IN ('none', 'starttls', 'implicit')),
        use_insecure boolean NOT NULL DEFAULT false,
        retries integer NOT NULL CHECK (retries BETWEEN 0 AND 10),
        auth_type text NOT NULL CHECK (auth_type IN ('none', 'basic', 'oauth2')),
        username text,
        password_enc text,
        sender_email text,
        sender_name text,
        ca_cert text,
        client_cert text,
        client_key_enc text,
        oauth2 jsonb,
        oauth2_client_secret_enc text,
        version integer NOT NULL DEFAULT 1 CHECK (version >= 1),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        updated_by_id uuid,
        updated_by_email text,
        -- credentials never travel in clear text (the seed: without TLS, authentication does not work)
        CONSTRAINT smtp_profiles_auth_needs_tls CHECK (auth_type = 'none' OR tls_mode <> 'none'),
        CONSTRAINT smtp_profiles_secrets_are_ciphertexts CHECK (
          (password_enc IS NULL OR password_enc LIKE 'v1.%')
          AND (client_key_enc IS NULL OR client_key_enc LIKE 'v1.%')
          AND (oauth2_client_secret_enc IS NULL OR oauth2_client_secret_enc LIKE 'v1.%')
        )
      )`);
    // One profile per scope: a partner's own (org_id null) and one per organization.
    await q.query(`CREATE UNIQUE INDEX smtp_profiles_partner_key ON smtp_profiles (partner_id) WHERE org_id IS NULL`);
    await q.query(`CREATE UNIQUE INDEX smtp_profiles_org_key ON smtp_profiles (org_id) WHERE org_id IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE smtp_profiles`);
  }
}
