import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { startEmbeddedPostgres } from '@mailstrata/database';
import { Client } from 'pg';

export interface BenchPostgres {
  /** Writes out what earlier sections left dirty, so that the next one does not pay for it. */
  checkpoint(): Promise<void>;
  stop(): Promise<void>;
}

async function checkpoint(url: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('CHECKPOINT');
  } finally {
    await client.end();
  }
}

/**
 * One Postgres server for the whole benchmark run, as in the tests: TEST_DATABASE_URL when given,
 * otherwise an embedded one (durable settings: fsync on). Sections create their own databases on it
 * through test/support/database.ts, which reads MAILSTRATA_TEST_ADMIN_URL.
 */
export async function startBenchPostgres(): Promise<BenchPostgres> {
  if (process.env.TEST_DATABASE_URL) {
    const url = process.env.TEST_DATABASE_URL;
    process.env.MAILSTRATA_TEST_ADMIN_URL = url;
    return { checkpoint: () => checkpoint(url), stop: async () => undefined };
  }
  const dataDir = join(process.cwd(), '.data', `bench-${process.pid}`);
  const pg = await startEmbeddedPostgres({ dataDir });
  process.env.MAILSTRATA_TEST_ADMIN_URL = pg.url;
  return {
    checkpoint: () => checkpoint(pg.url),
    // The run's databases are throwaway: a run leaves no data directory behind (about 80 MB each).
    stop: async () => {
      await pg.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
