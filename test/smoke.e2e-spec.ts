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

  it('documents smtp_config with the classes that validate it', async () => {
    const { components } = (await t.client.get('/docs/openapi.json')).body;
    const smtp = components.schemas.SmtpConfigDto;
    expect(smtp.required).toEqual(['host']);
    expect(smtp.properties.port).toMatchObject({ type: 'integer', minimum: 1, maximum: 65535 });
    expect(smtp.properties.tls_mode.enum).toEqual(['none', 'starttls', 'implicit']);
    expect(smtp.properties.password).toMatchObject({ writeOnly: true });
    expect(components.schemas.OAuth2ConfigDto.required).toEqual(['token_endpoint', 'client_id']);
    expect(JSON.stringify(components.schemas.EmailConfigEnvelopeDto.properties.smtp_config)).toContain(
      '"#/components/schemas/SmtpConfigDto"',
    );
    expect(JSON.stringify(components.schemas.EmailConfigPatchEnvelopeDto.properties.smtp_config)).toContain(
      '"#/components/schemas/SmtpConfigPatchDto"',
    );
    // A PATCH may send any subset of the same fields.
    expect(components.schemas.SmtpConfigPatchDto.required ?? []).toEqual([]);
    expect(Object.keys(components.schemas.SmtpConfigPatchDto.properties)).toEqual(Object.keys(smtp.properties));
  });

  it('documents the audit filters in the spelling each endpoint takes them', async () => {
    const { paths } = (await t.client.get('/docs/openapi.json')).body;
    const names = (path: string) => paths[path].get.parameters.map((p: { name: string }) => p.name);
    expect(names('/event/v1/auditlog')).toEqual(expect.arrayContaining(['org_id', 'filter.timefrom', 'filter.limit', 'filter.cursor']));
    expect(names('/opsauditlogs')).toEqual(expect.arrayContaining(['partner_id', 'timefrom', 'limit', 'cursor']));
    expect(names('/opsauditlogs')).not.toContain('filter.timefrom');
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
