/**
 * One Postgres server for the whole run: TEST_DATABASE_URL when given (an external server; the CI runs
 * the suite once more against 127.0.0.1:5432), otherwise the embedded Postgres the service itself uses
 * on fresh machines. Each suite then gets its own database on that server (see database.ts).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { startEmbeddedPostgres } from '../../libs/database/src/embedded-postgres';

export default async function globalSetup(): Promise<void> {
  const external = process.env.TEST_DATABASE_URL;
  if (external) {
    const client = new Client({ connectionString: external });
    await client.connect();
    await client.end();
    process.env.MAILSTRATA_TEST_ADMIN_URL = external;
    process.env.MAILSTRATA_TEST_PG = 'external';
    return;
  }
  // One data directory per run, so two test runs on one machine never share a server.
  const dataDir = join(__dirname, '..', '..', '.data', `test-${process.pid}`);
  mkdirSync(dataDir, { recursive: true });
  const pg = await startEmbeddedPostgres({ dataDir, unsafeFast: true });
  (globalThis as { __MAILSTRATA_PG__?: { stop(): Promise<void> } }).__MAILSTRATA_PG__ = pg;
  process.env.MAILSTRATA_TEST_ADMIN_URL = pg.url;
  process.env.MAILSTRATA_TEST_PG = 'embedded';
}
