import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Who hears about a scope's email (the SPS-style admin, alerting and reporting addresses, one row per
 * partner or organization, outside the versioned SMTP profile), the failing/healthy state of each
 * profile version (a streak of route faults and since when it is failing), the last alert per route
 * and direction (so replicas rate-limit together), and one row per report sent (scope + period start,
 * so a period is reported exactly once across replicas).
 */
export class RouteAlertsAndReports1765300000000 implements MigrationInterface {
  name = 'RouteAlertsAndReports1765300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE email_notification_recipients (
        id uuid PRIMARY KEY,
        partner_id uuid NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
        org_id uuid REFERENCES organizations (id) ON DELETE CASCADE,
        admin_addresses text[] NOT NULL DEFAULT '{}',
        alerting_addresses text[] NOT NULL DEFAULT '{}',
        reporting_addresses text[] NOT NULL DEFAULT '{}',
        version integer NOT NULL DEFAULT 1,
        updated_at timestamptz NOT NULL DEFAULT now(),
        updated_by_id uuid,
        updated_by_email text
      )`);
    await q.query(
      `CREATE UNIQUE INDEX email_notification_recipients_partner_idx ON email_notification_recipients (partner_id) WHERE org_id IS NULL`,
    );
    await q.query(
      `CREATE UNIQUE INDEX email_notification_recipients_org_idx ON email_notification_recipients (org_id) WHERE org_id IS NOT NULL`,
    );

    await q.query(`ALTER TABLE smtp_profile_health ADD COLUMN consecutive_failures integer NOT NULL DEFAULT 0`);
    await q.query(`ALTER TABLE smtp_profile_health ADD COLUMN streak_started_at timestamptz`);
    await q.query(`ALTER TABLE smtp_profile_health ADD COLUMN failing_since timestamptz`);

    await q.query(`
      CREATE TABLE email_route_alerts (
        profile_key text NOT NULL,
        direction text NOT NULL CHECK (direction IN ('failing', 'recovered')),
        last_sent_at timestamptz NOT NULL,
        PRIMARY KEY (profile_key, direction)
      )`);

    await q.query(`
      CREATE TABLE email_reports_sent (
        scope_key text NOT NULL,
        period_start timestamptz NOT NULL,
        period_end timestamptz NOT NULL,
        job_ids uuid[] NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (scope_key, period_start)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE email_reports_sent`);
    await q.query(`DROP TABLE email_route_alerts`);
    await q.query(`ALTER TABLE smtp_profile_health DROP COLUMN failing_since`);
    await q.query(`ALTER TABLE smtp_profile_health DROP COLUMN streak_started_at`);
    await q.query(`ALTER TABLE smtp_profile_health DROP COLUMN consecutive_failures`);
    await q.query(`DROP TABLE email_notification_recipients`);
  }
}
