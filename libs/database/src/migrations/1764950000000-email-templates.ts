import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Email templates and branding per partner and per organization. A row overrides one kind (or the
 * branding) for its scope as a whole; resolution is org (while its SMTP switch is on) → partner →
 * built-in. Org rows carry their partner too, so a partner's rows and its orgs' go together.
 */
export class EmailTemplates1764950000000 implements MigrationInterface {
  name = 'EmailTemplates1764950000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE email_templates (
        id uuid PRIMARY KEY,
        partner_id uuid NOT NULL REFERENCES partners(id) ON DELETE CASCADE,
        org_id uuid REFERENCES organizations(id) ON DELETE CASCADE,
        kind text NOT NULL CHECK (kind ~ '^[a-z][a-z_]{0,63}$'),
        subject text NOT NULL,
        text_body text NOT NULL,
        html_body text,
        version integer NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        updated_by_id uuid,
        updated_by_email text
      )`);
    await q.query(`CREATE UNIQUE INDEX email_templates_partner_kind ON email_templates (partner_id, kind) WHERE org_id IS NULL`);
    await q.query(`CREATE UNIQUE INDEX email_templates_org_kind ON email_templates (org_id, kind) WHERE org_id IS NOT NULL`);
    await q.query(`
      CREATE TABLE email_branding (
        id uuid PRIMARY KEY,
        partner_id uuid NOT NULL REFERENCES partners(id) ON DELETE CASCADE,
        org_id uuid REFERENCES organizations(id) ON DELETE CASCADE,
        product_name text,
        logo_url text CHECK (logo_url IS NULL OR logo_url LIKE 'https://%'),
        support_email text,
        footer text,
        version integer NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        updated_by_id uuid,
        updated_by_email text
      )`);
    await q.query(`CREATE UNIQUE INDEX email_branding_partner ON email_branding (partner_id) WHERE org_id IS NULL`);
    await q.query(`CREATE UNIQUE INDEX email_branding_org ON email_branding (org_id) WHERE org_id IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE email_branding`);
    await q.query(`DROP TABLE email_templates`);
  }
}
