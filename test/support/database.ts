import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

export interface TestDatabase {
  url: string;
  name: string;
  /** Runs SQL against the suite's database (for assertions on what was or was not written). */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Runs SQL on the server's maintenance connection (for ALTER DATABASE, terminating backends, …). */
  admin<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

function adminUrl(): string {
  const url = process.env.MAILSTRATA_TEST_ADMIN_URL;
  if (!url) throw new Error('MAILSTRATA_TEST_ADMIN_URL is not set: run the tests through jest (global setup).');
  return url;
}

/** A fresh, empty database for one suite; the app migrates it when it boots. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `ms_test_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: adminUrl() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  const client = new Client({ connectionString: url.toString() });
  // The server may go away first (global teardown); that is not a test failure.
  client.on('error', () => undefined);
  await client.connect();
  return {
    url: url.toString(),
    name,
    query: async <T>(sql: string, params: unknown[] = []) => (await client.query(sql, params)).rows as T[],
    admin: async <T>(sql: string, params: unknown[] = []) => {
      const a = new Client({ connectionString: adminUrl() });
      await a.connect();
      try {
        return (await a.query(sql, params)).rows as T[];
      } finally {
        await a.end();
      }
    },
    drop: async () => {
      await client.end();
      const a = new Client({ connectionString: adminUrl() });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}
