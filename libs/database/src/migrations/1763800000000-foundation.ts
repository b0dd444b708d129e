import { MigrationInterface, QueryRunner } from 'typeorm';

export class Foundation1763800000000 implements MigrationInterface {
  name = 'Foundation1763800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE partners (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX partners_name_key ON partners (lower(name))`);

    await q.query(`
      CREATE TABLE organizations (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        partner_id uuid NOT NULL REFERENCES partners(id) ON DELETE RESTRICT,
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        smtp_override_enabled boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX organizations_partner_name_key ON organizations (partner_id, lower(name))`);

    await q.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        email text NOT NULL CHECK (email = lower(email)),
        password_hash text,
        role text NOT NULL CHECK (role IN ('controller_admin', 'partner_admin', 'org_admin', 'auditor')),
        partner_id uuid REFERENCES partners(id) ON DELETE RESTRICT,
        org_id uuid REFERENCES organizations(id) ON DELETE RESTRICT,
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'pending', 'disabled')),
        created_at timestamptz NOT NULL DEFAULT now(),
        password_changed_at timestamptz,
        -- scope follows role: a controller user has no tenant, a partner user no org, an org user both
        CONSTRAINT users_scope_check CHECK (
          (role = 'controller_admin' AND partner_id IS NULL AND org_id IS NULL)
          OR (role = 'partner_admin' AND partner_id IS NOT NULL AND org_id IS NULL)
          OR (role = 'org_admin' AND partner_id IS NOT NULL AND org_id IS NOT NULL)
          OR (role = 'auditor' AND (org_id IS NULL OR partner_id IS NOT NULL))
        ),
        CONSTRAINT users_active_has_password CHECK (status <> 'active' OR password_hash IS NOT NULL)
      )`);
    await q.query(`CREATE UNIQUE INDEX users_email_key ON users (email)`);
    await q.query(`CREATE INDEX users_partner_idx ON users (partner_id)`);
    await q.query(`CREATE INDEX users_org_idx ON users (org_id)`);

    await q.query(`
      CREATE TABLE sessions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        token_hash bytea NOT NULL,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        revoked_at timestamptz,
        ip text,
        user_agent text
      )`);
    await q.query(`CREATE UNIQUE INDEX sessions_token_hash_key ON sessions (token_hash)`);
    await q.query(`CREATE INDEX sessions_user_idx ON sessions (user_id)`);

    await q.query(`
      CREATE TABLE audit_events (
        id uuid PRIMARY KEY,
        seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        occurred_at timestamptz NOT NULL DEFAULT now(),
        category text NOT NULL,
        type text NOT NULL,
        outcome text NOT NULL CHECK (outcome IN ('success', 'failure', 'unknown')),
        actor_id uuid,
        actor_email text,
        actor_role text,
        actor_ip text,
        actor_user_agent text,
        partner_id uuid,
        org_id uuid,
        resource_type text,
        resource_id text,
        details jsonb NOT NULL DEFAULT '{}'::jsonb,
        -- outbox state for the Elasticsearch relay
        delivered_at timestamptz,
        delivery_attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz,
        last_error text,
        parked_at timestamptz
      )`);
    await q.query(`CREATE INDEX audit_events_time_idx ON audit_events (occurred_at DESC, id)`);
    await q.query(`CREATE INDEX audit_events_partner_time_idx ON audit_events (partner_id, occurred_at DESC)`);
    await q.query(`CREATE INDEX audit_events_org_time_idx ON audit_events (org_id, occurred_at DESC)`);
    await q.query(`CREATE INDEX audit_events_undelivered_idx ON audit_events (seq) WHERE delivered_at IS NULL AND parked_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE audit_events`);
    await q.query(`DROP TABLE sessions`);
    await q.query(`DROP TABLE users`);
    await q.query(`DROP TABLE organizations`);
    await q.query(`DROP TABLE partners`);
  }
}
