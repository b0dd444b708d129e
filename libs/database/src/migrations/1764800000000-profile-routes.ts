import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A scope may hold more than one SMTP profile: one per route (`primary`, later a `secondary` that
 * takes over when the primary fails), and rows that are not in force (`state`; drafts and earlier
 * versions later). What stays unique is the active profile of each (scope, route).
 *
 * Replicas cache what these tables say for minutes, so every change to them is announced on the
 * change bus by the database itself: writes through the API, cascades (an organization or partner
 * deleted with its profiles), and statements an operator runs by hand. The payload is the one the API's
 * publish sends (`{"topic":…,"key":…}`, same spelling), and Postgres delivers identical notifications
 * of one transaction once.
 */
export class ProfileRoutes1764800000000 implements MigrationInterface {
  name = 'ProfileRoutes1764800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE smtp_profiles ADD COLUMN route text NOT NULL DEFAULT 'primary' CHECK (route IN ('primary', 'secondary'))`);
    await q.query(`ALTER TABLE smtp_profiles ADD COLUMN state text NOT NULL DEFAULT 'active' CHECK (state IN ('active'))`);
    await q.query(`DROP INDEX smtp_profiles_partner_key`);
    await q.query(`DROP INDEX smtp_profiles_org_key`);
    await q.query(
      `CREATE UNIQUE INDEX smtp_profiles_partner_route_key ON smtp_profiles (partner_id, route) WHERE org_id IS NULL AND state = 'active'`,
    );
    await q.query(
      `CREATE UNIQUE INDEX smtp_profiles_org_route_key ON smtp_profiles (org_id, route) WHERE org_id IS NOT NULL AND state = 'active'`,
    );

    await q.query(`
      CREATE FUNCTION mailstrata_announce(topic text, key text) RETURNS void LANGUAGE sql AS $$
        SELECT pg_notify('mailstrata_changes', '{"topic":"' || topic || '","key":"' || key || '"}')
      $$`);
    await q.query(`
      CREATE FUNCTION smtp_profiles_announce() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP <> 'INSERT' THEN
          PERFORM mailstrata_announce('email_config', CASE WHEN OLD.org_id IS NULL THEN 'partner:' || OLD.partner_id ELSE 'org:' || OLD.org_id END);
        END IF;
        IF TG_OP <> 'DELETE' THEN
          PERFORM mailstrata_announce('email_config', CASE WHEN NEW.org_id IS NULL THEN 'partner:' || NEW.partner_id ELSE 'org:' || NEW.org_id END);
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER smtp_profiles_announce AFTER INSERT OR UPDATE OR DELETE ON smtp_profiles
        FOR EACH ROW EXECUTE FUNCTION smtp_profiles_announce()`);
    // What resolution reads of an organization: its partner and its switch (and whether it exists).
    await q.query(`
      CREATE FUNCTION organizations_announce() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM mailstrata_announce('organization', OLD.id::text);
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER organizations_announce AFTER UPDATE OF partner_id, smtp_override_enabled ON organizations
        FOR EACH ROW WHEN (OLD.partner_id IS DISTINCT FROM NEW.partner_id OR OLD.smtp_override_enabled IS DISTINCT FROM NEW.smtp_override_enabled)
        EXECUTE FUNCTION organizations_announce()`);
    await q.query(`
      CREATE TRIGGER organizations_announce_delete AFTER DELETE ON organizations
        FOR EACH ROW EXECUTE FUNCTION organizations_announce()`);
    // A partner's cached entry also stands for its existence.
    await q.query(`
      CREATE FUNCTION partners_announce() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM mailstrata_announce('email_config', 'partner:' || OLD.id);
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER partners_announce AFTER DELETE ON partners
        FOR EACH ROW EXECUTE FUNCTION partners_announce()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER partners_announce ON partners`);
    await q.query(`DROP FUNCTION partners_announce()`);
    await q.query(`DROP TRIGGER organizations_announce_delete ON organizations`);
    await q.query(`DROP TRIGGER organizations_announce ON organizations`);
    await q.query(`DROP FUNCTION organizations_announce()`);
    await q.query(`DROP TRIGGER smtp_profiles_announce ON smtp_profiles`);
    await q.query(`DROP FUNCTION smtp_profiles_announce()`);
    await q.query(`DROP FUNCTION mailstrata_announce(text, text)`);
    // The earlier layout holds one profile per scope: only the active primaries survive.
    await q.query(`DELETE FROM smtp_profiles WHERE route <> 'primary' OR state <> 'active'`);
    await q.query(`DROP INDEX smtp_profiles_org_route_key`);
    await q.query(`DROP INDEX smtp_profiles_partner_route_key`);
    await q.query(`ALTER TABLE smtp_profiles DROP COLUMN state`);
    await q.query(`ALTER TABLE smtp_profiles DROP COLUMN route`);
    await q.query(`CREATE UNIQUE INDEX smtp_profiles_partner_key ON smtp_profiles (partner_id) WHERE org_id IS NULL`);
    await q.query(`CREATE UNIQUE INDEX smtp_profiles_org_key ON smtp_profiles (org_id) WHERE org_id IS NOT NULL`);
  }
}
