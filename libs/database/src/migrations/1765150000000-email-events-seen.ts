import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Event ids already taken in from the event bus (NATS JetStream): a row commits in the same transaction
 * as the event's email jobs, so a redelivered event finds its id and enqueues nothing again.
 */
export class EmailEventsSeen1765150000000 implements MigrationInterface {
  name = 'EmailEventsSeen1765150000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE email_events_seen (
        event_id text PRIMARY KEY CHECK (length(event_id) BETWEEN 1 AND 255),
        producer text NOT NULL,
        message_ids uuid[] NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX email_events_seen_received_at_idx ON email_events_seen (received_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE email_events_seen`);
  }
}
