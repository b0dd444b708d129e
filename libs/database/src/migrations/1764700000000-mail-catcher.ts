import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The development mail catcher's mailbox: the last MAIL_CATCHER_KEEP messages the built-in SMTP server
 * received (never used in production). Parsed once on receipt so the console can list and show them;
 * `raw` keeps the message as received.
 */
export class MailCatcher1764700000000 implements MigrationInterface {
  name = 'MailCatcher1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE mail_catcher_messages (
        seq bigserial PRIMARY KEY,
        id uuid NOT NULL UNIQUE,
        received_at timestamptz NOT NULL DEFAULT now(),
        envelope_from text,
        envelope_to text[] NOT NULL,
        from_header text,
        to_header text,
        subject text,
        headers jsonb NOT NULL,
        text_body text,
        html_body text,
        size_bytes integer NOT NULL,
        raw text NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE mail_catcher_messages`);
  }
}
