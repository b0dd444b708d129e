import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The delivery log: one `email_messages` row per system email handed to delivery (the send API, the
 * password-setup emails, event intake), one `email_jobs` row per recipient of it (each recipient is its
 * own SMTP transaction, so a refused or deferred recipient never holds back or duplicates the others),
 * and one `email_attempts` row per attempt, written by the worker in the statement that books the job.
 * Bodies stay only in the jobs (encrypted, deleted when the job finishes); the log keeps metadata.
 * An idempotency key is unique per caller scope (`idempotency_scope`) while its row holds it.
 */
export class EmailMessages1765000000000 implements MigrationInterface {
  name = 'EmailMessages1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE email_messages (
        id uuid PRIMARY KEY,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        partner_id uuid,
        org_id uuid,
        producer_type text NOT NULL CHECK (producer_type IN ('user', 'service_account', 'system', 'nats')),
        producer_id text,
        producer_name text,
        template text NOT NULL,
        to_addresses text[] NOT NULL,
        cc_addresses text[] NOT NULL DEFAULT '{}',
        reply_to text,
        subject text NOT NULL,
        status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sending', 'sent', 'retrying', 'failed')),
        recipients_total integer NOT NULL,
        recipients_sent integer NOT NULL DEFAULT 0,
        recipients_failed integer NOT NULL DEFAULT 0,
        route_level text,
        route_profile_id uuid,
        route_version text,
        final_message_id text,
        idempotency_scope text,
        idempotency_key text,
        idempotency_fingerprint text,
        CONSTRAINT email_messages_org_has_partner CHECK (org_id IS NULL OR partner_id IS NOT NULL)
      )`);
    await q.query(
      `CREATE UNIQUE INDEX email_messages_idempotency_idx ON email_messages (idempotency_scope, idempotency_key) WHERE idempotency_key IS NOT NULL`,
    );
    await q.query(`CREATE INDEX email_messages_created_idx ON email_messages (created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX email_messages_partner_idx ON email_messages (partner_id, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX email_messages_org_idx ON email_messages (org_id, created_at DESC, id DESC)`);
    await q.query(`ALTER TABLE email_jobs ADD COLUMN email_message_id uuid REFERENCES email_messages (id) ON DELETE CASCADE`);
    await q.query(`CREATE INDEX email_jobs_message_idx ON email_jobs (email_message_id)`);
    await q.query(`
      CREATE TABLE email_attempts (
        job_id uuid NOT NULL,
        attempt integer NOT NULL,
        message_id uuid NOT NULL REFERENCES email_messages (id) ON DELETE CASCADE,
        recipient text NOT NULL,
        at timestamptz NOT NULL DEFAULT now(),
        route_level text,
        route_host text,
        route_version text,
        stage text,
        smtp_code integer,
        reply text,
        error_code text,
        smtp_message_id text,
        outcome text NOT NULL CHECK (outcome IN ('sent', 'retrying', 'failed')),
        PRIMARY KEY (job_id, attempt)
      )`);
    await q.query(`CREATE INDEX email_attempts_message_idx ON email_attempts (message_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE email_attempts`);
    await q.query(`ALTER TABLE email_jobs DROP COLUMN email_message_id`);
    await q.query(`DROP TABLE email_messages`);
  }
}
