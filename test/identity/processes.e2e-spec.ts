/**
 * Both entry points as real processes on an external database: the worker starts and stops on its own,
 * the API's JSON logs carry the correlation id and never a password, cookie or session token.
 */
import { createTestDatabase, TestDatabase } from '../support/database';
import { spawnService } from '../support/process';

describe('service processes', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  const base = () => ({ DATABASE_URL: db.url, PASSWORD_HASH_COST: '10', HOST: '127.0.0.1', PORT: '0' });

  it('runs the worker on its own, and stops it cleanly on SIGTERM', async () => {
    const worker = spawnService('apps/event-worker/src/main.js', { ...base(), LOG_LEVEL: 'warn', WORKER_HTTP_PORT: '0' });
    await worker.waitFor(/mailstrata-worker: started/);
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    expect(worker.output()).toContain('mailstrata-worker: stopped');
  });

  it('logs requests as JSON with the correlation id and without credentials', async () => {
    const password = 'log-check-passphrase-77';
    const api = spawnService('apps/event-framework/src/main.js', {
      ...base(),
      LOG_LEVEL: 'info',
      BOOTSTRAP_ADMIN_EMAIL: 'logs@controller.test',
      BOOTSTRAP_ADMIN_PASSWORD: password,
    });
    try {
      const [, url] = await api.waitFor(/listening on (http:\/\/\S+)/);
      const login = await fetch(`${url}/auth/v1/login`, {
        method: 'POST',
        headers: { 'x-request-id': 'corr-123' },
        body: JSON.stringify({ email: 'logs@controller.test', password }),
      });
      expect(login.status).toBe(200);
      const token = /rsid=([^;]+)/.exec(login.headers.get('set-cookie') ?? '')![1]!;
      // Any header can carry a credential: none but Host and User-Agent reaches an access line.
      const me = await fetch(`${url}/auth/v1/me`, {
        headers: {
          cookie: `rsid=${token}`,
          'x-request-id': 'corr-456',
          'proxy-authorization': 'Basic cHJveHktY3JlZGVudGlhbA==',
          'x-api-key': 'gateway-key-4411',
          'user-agent': 'platform-admin/2.1',
        },
      });
      expect(me.status).toBe(200);
      expect(me.headers.get('x-request-id')).toBe('corr-456');
      await api.waitFor(/"reqId":"corr-456"/);

      const lines = api
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, any>);
      const meLine = lines.find((l) => l.reqId === 'corr-456');
      expect(meLine).toMatchObject({ msg: 'request completed', res: { statusCode: 200 } });
      expect(meLine!.req).toEqual({
        method: 'GET',
        url: '/auth/v1/me',
        host: new URL(url!).host,
        remoteAddress: '127.0.0.1',
        userAgent: 'platform-admin/2.1',
      });
      for (const secret of [password, token, 'cHJveHktY3JlZGVudGlhbA==', 'gateway-key-4411']) expect(api.output()).not.toContain(secret);
      // Log lines are written in chunks: one still gathered when the stop begins is written before it is announced.
      expect((await fetch(`${url}/healthz/nope`, { headers: { 'x-request-id': 'corr-last' } })).status).toBe(404);
    } finally {
      api.child.kill('SIGTERM');
      expect(await api.exited).toBe(0);
    }
    const lines = api.output().trimEnd().split('\n');
    const lastRequest = lines.findIndex((l) => l.includes('"reqId":"corr-last"'));
    expect(lastRequest).toBeGreaterThan(-1);
    expect(lastRequest).toBeLessThan(lines.indexOf('mailstrata: SIGTERM received, shutting down'));
    expect(lines.at(-1)).toBe('mailstrata: stopped');
  });

  it('says how to create the first admin when an external database has no user', async () => {
    const empty = await createTestDatabase();
    const api = spawnService('apps/event-framework/src/main.js', { ...base(), DATABASE_URL: empty.url, LOG_LEVEL: 'warn' });
    try {
      await api.waitFor(/listening on/);
      expect(api.output()).toContain('there is no user yet; set BOOTSTRAP_ADMIN_EMAIL and BOOTSTRAP_ADMIN_PASSWORD');
    } finally {
      api.child.kill('SIGTERM');
      expect(await api.exited).toBe(0);
      await empty.drop();
    }
  });
});
