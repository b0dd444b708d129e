import { MigrationInterface, QueryRunner } from 'typeorm';

/** The durable system-email queue (libs/mailer) and the health of each SMTP profile. */
export class EmailDelivery1764000000000 implements MigrationInterface {
  name = 'EmailDelivery1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE email_jobs (
        id uuid PRIMARY KEY,
        created_at timestamptz NOT NULL DEFAULT now(),
        -- whose effective profile delivers it; resolved at send time
        partner_id uuid,
        org_id uuid,
        kind text NOT NULL,
        recipient text NOT NULL,
        subject text NOT NULL,
        -- AES-GCM under the secrets keyring (it may hold a one-time link); NULL once finished
        body_ciphertext text,
        status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sending', 'sent', 'failed')),
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        locked_by text,
        locked_until timestamptz,
        last_stage text,
        last_smtp_code integer,
        last_error_code text,
        source text,
        message_id text,
        finished_at timestamptz,
        CONSTRAINT email_jobs_org_has_partner CHECK (org_id IS NULL OR partner_id IS NOT NULL)
      )`);
    await q.query(`CREATE INDEX email_jobs_due_idx ON email_jobs (next_attempt_at) WHERE status = 'queued'`);
    await q.query(`CREATE INDEX email_jobs_lease_idx ON email_jobs (locked_until) WHERE status = 'sending'`);
    await q.query(`CREATE INDEX email_jobs_finished_idx ON email_jobs (finished_at) WHERE finished_at IS NOT NULL`);

    await q.query(`
      CREATE TABLE smtp_profile_health (
        -- the mailer's cache key: 'controller', 'partner:<id>' or 'org:<id>'
        profile_key text PRIMARY KEY,
        profile_version text,
        last_success_at timestamptz,
        last_failure_at timestamptz,
        last_failure_stage text,
        last_failure_code integer,
        last_failure_error_code text,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE smtp_profile_health`);
    await q.query(`DROP TABLE email_jobs`);
  }
}
