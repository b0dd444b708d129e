import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Rate-limit counters shared by every replica (rate-limiter-flexible's RateLimiterPostgres layout:
 * key, points, expire in epoch ms). Unlogged: counters are not worth WAL, and losing them in a crash
 * or a failover only resets the current windows.
 */
export class RateLimits1764400000000 implements MigrationInterface {
  name = 'RateLimits1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE UNLOGGED TABLE rate_limits (
        key varchar(255) PRIMARY KEY,
        points integer NOT NULL DEFAULT 0,
        expire bigint
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE rate_limits`);
  }
}
