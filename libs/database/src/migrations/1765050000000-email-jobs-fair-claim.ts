import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The queued jobs by tenant (partner, or the platform's own for no partner) and due time: the fair claim
 * finds the tenants with queued jobs by a loose scan of it and takes each one's share as a range of it.
 * The expression must stay the same as the claim's.
 */
export class EmailJobsFairClaim1765050000000 implements MigrationInterface {
  name = 'EmailJobsFairClaim1765050000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX email_jobs_due_tenant_idx ON email_jobs ((COALESCE(partner_id, '00000000-0000-0000-0000-000000000000'::uuid)), next_attempt_at)
       WHERE status = 'queued'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX email_jobs_due_tenant_idx`);
  }
}
