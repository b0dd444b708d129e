import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `seq` comes from an identity column, unique by construction; the relay orders by it through the
 * partial undelivered index. The extra unique index only cost every audit insert an index update.
 */
export class AuditSeqNotUnique1764300000000 implements MigrationInterface {
  name = 'AuditSeqNotUnique1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audit_events DROP CONSTRAINT IF EXISTS audit_events_seq_key`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audit_events ADD CONSTRAINT audit_events_seq_key UNIQUE (seq)`);
  }
}
