/**
 * Postgres going away under a running app: requests answer 503 problem+json naming the dependency
 * (not 500 with a stack per request), the outage is logged once, /readyz says not ready, and the app
 * recovers by itself once the database is back, logging that once.
 */
import { Logger } from '@nestjs/common';
import { DatabaseOutage } from '@mailstrata/database';
import { captureStdout, CapturedLogs } from '../support/logs';
import { ROOT_EMAIL, ROOT_PASSWORD, startTestApp, TestApp } from '../support/app';
import { waitFor } from '../support/wait';

describe('database outage', () => {
  let t: TestApp;
  let token: string;
  let logs: CapturedLogs | undefined;
  /** What DatabaseOutage logged, as `level message`; passed on to the app's own logger too. */
  const outageLines: string[] = [];

  beforeAll(async () => {
    t = await startTestApp({ env: { LOG_LEVEL: 'warn' } });
    token = await t.client.login(ROOT_EMAIL, ROOT_PASSWORD);
    // Nest's Logger writes through the app's own JSON logger.
    const appLogger = new Logger('DatabaseOutage');
    const record =
      (level: 'error' | 'warn' | 'log') =>
      (message: unknown, ...rest: unknown[]) => {
        outageLines.push(`${level} ${rest.filter((r) => typeof r === 'string').join(' ')} ${JSON.stringify(message)}`);
        appLogger[level](message, ...rest);
      };
    t.app.get(DatabaseOutage).logTo({ error: record('error'), warn: record('warn'), log: record('log') });
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

    expect(outageLines).toHaveLength(1);
    expect(outageLines[0]).toMatch(/^error .*postgres is unavailable.*"dependency":"postgres"/);
    // No request logged its own error with a stack trace.
    expect(lines().filter((l) => /unhandled error|"stack"/.test(l))).toEqual([]);

    await t.db.admin(`ALTER DATABASE ${t.db.name} ALLOW_CONNECTIONS true`);
    await waitFor(async () => (await t.client.get('/auth/v1/me', token)).status === 200, 15_000, 'requests to succeed again');
    await waitFor(() => outageLines.length > 1, 15_000, 'the recovery line');
    expect((await t.client.get('/readyz')).status).toBe(200);
    expect(outageLines).toHaveLength(2);
    expect(outageLines[1]).toMatch(/^warn .*postgres is reachable again/);
    logs.restore();
    // Nothing else at warn or above: no error line per failed request.
    expect(lines().filter((l) => !/postgres is (unavailable|reachable again)/.test(l))).toEqual([]);
  });
});
