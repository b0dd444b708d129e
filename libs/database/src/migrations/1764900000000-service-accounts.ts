import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Service accounts: machine callers (the admin API, alerting, billing) authenticated by a bearer token
 * stored only as its SHA-256. A revoked account keeps its row (audit events and, later, the delivery
 * log name it) with `revoked_at` set; only live accounts must have unique names within their scope.
 * Audit events gain the actor's kind and display name, so an event done by a service account names it.
 */
export class ServiceAccounts1764900000000 implements MigrationInterface {
  name = 'ServiceAccounts1764900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE service_accounts (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL,
        partner_id uuid REFERENCES partners(id) ON DELETE CASCADE,
        permissions text[] NOT NULL,
        token_hash bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        created_by_id uuid,
        created_by_name text,
        last_used_at timestamptz,
        revoked_at timestamptz,
        CONSTRAINT service_accounts_permissions_present CHECK (cardinality(permissions) > 0)
      )`);
    await q.query(`CREATE UNIQUE INDEX service_accounts_token_hash_key ON service_accounts (token_hash)`);
    await q.query(
      `CREATE UNIQUE INDEX service_accounts_live_name_key ON service_accounts
         (COALESCE(partner_id, '00000000-0000-0000-0000-000000000000'::uuid), lower(name)) WHERE revoked_at IS NULL`,
    );
    await q.query(`CREATE INDEX service_accounts_partner_idx ON service_accounts (partner_id)`);
    await q.query(`ALTER TABLE audit_events ADD COLUMN actor_type text, ADD COLUMN actor_name text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audit_events DROP COLUMN actor_type, DROP COLUMN actor_name`);
    await q.query(`DROP TABLE service_accounts`);
  }
}
