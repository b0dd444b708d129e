import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Failover to a scope's secondary SMTP route. A job remembers the route its next attempt goes by (once
 * handed to the secondary it stays there, so a flapping primary cannot bounce it back and forth), and
 * every attempt in the delivery log says which route carried it. Rows written before this migration
 * went by the primary, which is what the defaults say.
 */
export class EmailFailoverRoutes1765250000000 implements MigrationInterface {
  name = 'EmailFailoverRoutes1765250000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE email_jobs ADD COLUMN route text NOT NULL DEFAULT 'primary' CHECK (route IN ('primary', 'secondary'))`);
    await q.query(`ALTER TABLE email_attempts ADD COLUMN route text NOT NULL DEFAULT 'primary' CHECK (route IN ('primary', 'secondary'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE email_attempts DROP COLUMN route`);
    await q.query(`ALTER TABLE email_jobs DROP COLUMN route`);
  }
}
