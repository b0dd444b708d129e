/**
 * Postgres going away under a running app: requests answer 503 problem+json naming the dependency
 * (not 500 with a stack per request), the outage is logged once, /readyz says not ready, and the app
 * recovers by itself once the database is back, logging that once.
 */
import { captureStdout, CapturedLogs } from '../support/logs';
import { ROOT_EMAIL, ROOT_PASSWORD, startTestApp, TestApp } from '../support/app';
import { waitFor } from '../support/wait';

describe('database outage', () => {
  let t: TestApp;
  let token: string;
  let logs: CapturedLogs | undefined;

  beforeAll(async () => {
    t = await startTestApp({ env: { LOG_LEVEL: 'warn' } });
    token = await t.client.login(ROOT_EMAIL, ROOT_PASSWORD);
  });
  afterAll(async () => {
    logs?.restore();
    await t.db.admin(`ALTER DATABASE ${t.db.name} ALLOW_CONNECTIONS true`);
    await t.close();
  });

  const lines = () =>
    logs!
      .text()
      .split('\n')
      .filter((l) => l.trim() !== '');

  it('answers 503 naming postgres while it is down, logs it once, and recovers by itself', async () => {
    logs = captureStdout();
    await t.db.admin(`ALTER DATABASE ${t.db.name} ALLOW_CONNECTIONS false`);
    await t.db.admin(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [t.db.name]);

    for (let i = 0; i < 15; i++) {
      for (const url of [
        '/auth/v1/me',
        '/auth/v1/organizations',
        '/event/v1/email/config/effective?partner_id=00000000-0000-4000-8000-000000000000',
      ]) {
        const res = await t.client.get(url, token);
        expect({ url, status: res.status }).toEqual({ url, status: 503 });
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(res.body).toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE', dependency: 'postgres' });
        expect(res.headers['retry-after']).toBe('1');
      }
    }
    const ready = await t.client.get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.headers['content-type']).toMatch(/^application\/problem\+json/);

    const down = lines().filter((l) => /postgres is unavailable/.test(l));
    expect(down).toHaveLength(1);
    expect(JSON.parse(down[0]!)).toMatchObject({ level: 50, dependency: 'postgres' });
    // No request logged its own error with a stack trace.
    expect(lines().filter((l) => /unhandled error|"stack"/.test(l))).toEqual([]);

    await t.db.admin(`ALTER DATABASE ${t.db.name} ALLOW_CONNECTIONS true`);
    await waitFor(async () => (await t.client.get('/auth/v1/me', token)).status === 200, 15_000, 'requests to succeed again');
    await waitFor(() => lines().some((l) => /postgres is reachable again/.test(l)), 15_000, 'the recovery line');
    expect((await t.client.get('/readyz')).status).toBe(200);
    expect(lines().filter((l) => /postgres is reachable again/.test(l))).toHaveLength(1);
    expect(lines().filter((l) => /postgres is unavailable/.test(l))).toHaveLength(1);
    logs.restore();
    const all = lines();
    if (all.length > 4) throw new Error(`expected the outage and recovery lines only, got ${all.length}:\n${all.slice(0, 20).join('\n')}`);
  });
});
