import { ROOT_EMAIL, ROOT_PASSWORD, startTestApp, TestApp } from './support/app';

describe('smoke', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('signs in the bootstrap admin', async () => {
    const token = await t.client.login(ROOT_EMAIL, ROOT_PASSWORD);
    const me = await t.client.get('/auth/v1/me', token);
    expect(me.status).toBe(200);
    expect(me.body.role).toBe('controller_admin');
  });

  it('serves the OpenAPI document with the identity routes', async () => {
    const res = await t.client.get('/docs/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toMatch(/^3\./);
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining(['/auth/v1/login', '/auth/v1/partners', '/auth/v1/organizations/{id}']),
    );
  });

  it('answers readiness with 503 naming the database when it cannot be reached', async () => {
    const replica = await startTestApp({ db: t.db });
    // Refuse new connections and cut every existing one but the test's own from the server side.
    const [{ pid }] = await t.db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    await t.db.admin(`ALTER DATABASE ${t.db.name} WITH ALLOW_CONNECTIONS false`);
    try {
      await t.db.admin('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> $2', [t.db.name, pid]);
      const res = await replica.client.get('/readyz');
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE' });
      expect(res.body.detail).toContain('database');
    } finally {
      await t.db.admin(`ALTER DATABASE ${t.db.name} WITH ALLOW_CONNECTIONS true`);
      await replica.close();
    }
  });
});
