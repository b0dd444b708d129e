import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every save of an SMTP profile becomes an immutable version row: `active` (in force; at most one per
 * scope and route, by the partial unique indexes of the routes migration), `draft` (saved, not in
 * force) or `superseded` (was in force, kept so that it can be re-activated). Versions are numbered per
 * scope and route; each row says which version it was based on, which fields changed against that one,
 * who saved it (and as what kind of actor) and when it last became active. Settings and secrets of a
 * row never change after it is written; only its state does (and key rotation re-encrypts in place).
 * The cache triggers of smtp_profiles announce state changes like any other write.
 */
export class ProfileVersions1765200000000 implements MigrationInterface {
  name = 'ProfileVersions1765200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE smtp_profiles DROP CONSTRAINT smtp_profiles_state_check`);
    await q.query(`ALTER TABLE smtp_profiles ADD CONSTRAINT smtp_profiles_state_check CHECK (state IN ('active', 'draft', 'superseded'))`);
    await q.query(`ALTER TABLE smtp_profiles ADD COLUMN based_on_version integer CHECK (based_on_version >= 1)`);
    await q.query(`ALTER TABLE smtp_profiles ADD COLUMN changed_fields text[] NOT NULL DEFAULT '{}'`);
    await q.query(`ALTER TABLE smtp_profiles ADD COLUMN updated_by_type text CHECK (updated_by_type IN ('user', 'service_account'))`);
    await q.query(`ALTER TABLE smtp_profiles ADD COLUMN activated_at timestamptz`);
    await q.query(`UPDATE smtp_profiles SET activated_at = updated_at, updated_by_type = 'user' WHERE updated_by_id IS NOT NULL`);
    await q.query(`UPDATE smtp_profiles SET activated_at = updated_at WHERE activated_at IS NULL`);
    // One number per version of a scope and route; also the index that lists a scope's history.
    await q.query(
      `CREATE UNIQUE INDEX smtp_profiles_partner_version_key ON smtp_profiles (partner_id, route, version) WHERE org_id IS NULL`,
    );
    await q.query(`CREATE UNIQUE INDEX smtp_profiles_org_version_key ON smtp_profiles (org_id, route, version) WHERE org_id IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    // The earlier layout knows only profiles in force: drafts and superseded versions go.
    await q.query(`DELETE FROM smtp_profiles WHERE state <> 'active'`);
    await q.query(`DROP INDEX smtp_profiles_org_version_key`);
    await q.query(`DROP INDEX smtp_profiles_partner_version_key`);
    await q.query(`ALTER TABLE smtp_profiles DROP COLUMN activated_at`);
    await q.query(`ALTER TABLE smtp_profiles DROP COLUMN updated_by_type`);
    await q.query(`ALTER TABLE smtp_profiles DROP COLUMN changed_fields`);
    await q.query(`ALTER TABLE smtp_profiles DROP COLUMN based_on_version`);
    await q.query(`ALTER TABLE smtp_profiles DROP CONSTRAINT smtp_profiles_state_check`);
    await q.query(`ALTER TABLE smtp_profiles ADD CONSTRAINT smtp_profiles_state_check CHECK (state IN ('active'))`);
  }
}
