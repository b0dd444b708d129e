import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Profile health per profile version: a replaced profile (another host, other credentials) starts with
 * no history, and a late outcome of the old version can never be shown beside the new one's.
 */
export class ProfileHealthPerVersion1764550000000 implements MigrationInterface {
  name = 'ProfileHealthPerVersion1764550000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`UPDATE smtp_profile_health SET profile_version = '' WHERE profile_version IS NULL`);
    await q.query(`ALTER TABLE smtp_profile_health ALTER COLUMN profile_version SET NOT NULL`);
    await q.query(`ALTER TABLE smtp_profile_health DROP CONSTRAINT smtp_profile_health_pkey`);
    await q.query(`ALTER TABLE smtp_profile_health ADD PRIMARY KEY (profile_key, profile_version)`);
  }

  async down(q: QueryRunner): Promise<void> {
    // Keep the newest row of each profile: the old layout has one row per profile.
    await q.query(`
      DELETE FROM smtp_profile_health h USING smtp_profile_health newer
       WHERE newer.profile_key = h.profile_key AND newer.updated_at > h.updated_at`);
    await q.query(`ALTER TABLE smtp_profile_health DROP CONSTRAINT smtp_profile_health_pkey`);
    await q.query(`ALTER TABLE smtp_profile_health ADD PRIMARY KEY (profile_key)`);
    await q.query(`ALTER TABLE smtp_profile_health ALTER COLUMN profile_version DROP NOT NULL`);
  }
}
