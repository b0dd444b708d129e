/**
 * The shared rate limiter against a real Postgres: two replicas (two DataSources, two limiters) spend
 * one budget per key; other keys are untouched; and when the counters cannot be reached, each replica
 * still limits on its own instead of failing the request or letting everything through.
 */
import { dataSourceOptions, migrate, SharedRateLimiter } from '@mailstrata/database';
import { DataSource } from 'typeorm';
import { createTestDatabase, TestDatabase } from '../support/database';

describe('SharedRateLimiter', () => {
  let db: TestDatabase;
  const sources: DataSource[] = [];

  const replica = async () => {
    const ds = await new DataSource(dataSourceOptions(db.url, 2)).initialize();
    sources.push(ds);
    return ds;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    await migrate(await replica());
  });
  afterAll(async () => {
    for (const ds of sources) await ds.destroy();
    await db?.drop();
  });

  it('spends one budget per key across replicas, and tells how long to wait', async () => {
    const a = new SharedRateLimiter(await replica(), { name: 'test_shared', points: 5, windowSeconds: 60 });
    const b = new SharedRateLimiter(await replica(), { name: 'test_shared', points: 5, windowSeconds: 60 });
    const waits: number[] = [];
    for (let i = 0; i < 8; i++) waits.push(await (i % 2 === 0 ? a : b).take('tenant-1'));
    expect(waits.slice(0, 5)).toEqual([0, 0, 0, 0, 0]);
    for (const wait of waits.slice(5)) {
      expect(wait).toBeGreaterThan(0);
      expect(wait).toBeLessThanOrEqual(60);
    }
    expect(await a.take('tenant-2')).toBe(0);
    const [row] = await db.query<{ points: number }>(`SELECT points FROM rate_limits WHERE key = 'test_shared:tenant-1'`);
    expect(row!.points).toBe(8);
  });

  it('falls back to counting per replica when the counters cannot be reached', async () => {
    const limiter = new SharedRateLimiter(await replica(), { name: 'test_outage', points: 3, windowSeconds: 60 });
    await db.query('ALTER TABLE rate_limits RENAME TO rate_limits_away');
    try {
      const waits: number[] = [];
      for (let i = 0; i < 5; i++) waits.push(await limiter.take('tenant-1'));
      expect(waits.slice(0, 3)).toEqual([0, 0, 0]);
      expect(waits[3]).toBeGreaterThan(0);
      expect(waits[4]).toBeGreaterThan(0);
    } finally {
      await db.query('ALTER TABLE rate_limits_away RENAME TO rate_limits');
    }
    expect(await db.query(`SELECT 1 FROM rate_limits WHERE key LIKE 'test_outage:%'`)).toEqual([]);
  });
});
