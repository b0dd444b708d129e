/** Bad input answers a clear 4xx problem+json naming the field and the rule, and writes nothing. */
import { startTestApp, TestApp } from '../support/app';
import { buildWorld, PASSWORD, World } from '../support/world';

describe('bad input and cross-site requests', () => {
  let t: TestApp;
  let w: World;

  beforeAll(async () => {
    t = await startTestApp({ env: { HTTP_BODY_LIMIT_BYTES: '16384', ALLOWED_ORIGINS: 'https://ops.example.com' } });
    w = await buildWorld(t.client, 'input');
  });
  afterAll(async () => {
    await t.close();
  });

  const counts = async () =>
    (
      await t.db.query<{ p: number; o: number; u: number; a: number }>(
        `SELECT (SELECT count(*) FROM partners)::int AS p, (SELECT count(*) FROM organizations)::int AS o,
                (SELECT count(*) FROM users)::int AS u, (SELECT count(*) FROM audit_events WHERE type NOT LIKE 'auth.%')::int AS a`,
      )
    )[0];

  const cases: Array<{
    name: string;
    path: string;
    body: unknown;
    status: number;
    code: string;
    errors?: Array<{ field: string; rule: string }>;
  }> = [
    {
      name: 'missing fields',
      path: '/auth/v1/partners',
      body: {},
      status: 400,
      code: 'VALIDATION_FAILED',
      errors: [
        { field: 'name', rule: 'isString' },
        { field: 'admin', rule: 'isDefined' },
      ],
    },
    {
      name: 'wrong types',
      path: '/auth/v1/partners',
      body: { name: 42, admin: { email: 'x@y.test', password: PASSWORD } },
      status: 400,
      code: 'VALIDATION_FAILED',
      errors: [{ field: 'name', rule: 'isString' }],
    },
    {
      name: 'unknown top-level field',
      path: '/auth/v1/partners',
      body: { name: 'U1', admin: { email: 'u1@y.test', password: PASSWORD }, plan: 'gold' },
      status: 400,
      code: 'VALIDATION_FAILED',
      errors: [{ field: 'plan', rule: 'unknown_field' }],
    },
    {
      name: 'unknown nested field',
      path: '/auth/v1/partners',
      body: { name: 'U2', admin: { email: 'u2@y.test', password: PASSWORD, role: 'controller_admin' } },
      status: 400,
      code: 'VALIDATION_FAILED',
      errors: [{ field: 'admin.role', rule: 'unknown_field' }],
    },
    {
      name: 'invalid email',
      path: '/auth/v1/partners',
      body: { name: 'U3', admin: { email: 'not-an-email', password: PASSWORD } },
      status: 400,
      code: 'VALIDATION_FAILED',
      errors: [{ field: 'admin.email', rule: 'isEmail' }],
    },
    {
      name: 'weak password',
      path: '/auth/v1/partners',
      body: { name: 'U4', admin: { email: 'u4@y.test', password: 'short' } },
      status: 400,
      code: 'PASSWORD_POLICY',
      errors: [{ field: 'admin.password', rule: 'minLength' }],
    },
    {
      name: 'a common password that passes the length rule',
      path: '/auth/v1/users',
      body: { email: 'u6@y.test', role: 'auditor', password: 'password123456' },
      status: 400,
      code: 'PASSWORD_POLICY',
      errors: [{ field: 'password', rule: 'strength' }],
    },
    {
      name: 'missing password in AUTO mode',
      path: '/auth/v1/partners',
      body: { name: 'U5', admin: { email: 'u5@y.test' } },
      status: 400,
      code: 'VALIDATION_FAILED',
      errors: [{ field: 'admin.password', rule: 'required' }],
    },
    {
      name: 'unknown role',
      path: '/auth/v1/users',
      body: { email: 'r@y.test', role: 'superuser', password: PASSWORD },
      status: 400,
      code: 'VALIDATION_FAILED',
      errors: [{ field: 'role', rule: 'isIn' }],
    },
    { name: 'malformed JSON', path: '/auth/v1/partners', body: '{"name": "x", ', status: 400, code: 'MALFORMED_JSON' },
    { name: 'a JSON array', path: '/auth/v1/partners', body: '[1,2]', status: 400, code: 'BODY_NOT_OBJECT' },
    { name: 'a JSON string', path: '/auth/v1/partners', body: '"partner"', status: 400, code: 'BODY_NOT_OBJECT' },
    { name: 'no body', path: '/auth/v1/partners', body: undefined, status: 400, code: 'BODY_REQUIRED' },
    {
      name: 'prototype pollution',
      path: '/auth/v1/partners',
      body: '{"name":"pp","__proto__":{"admin":1}}',
      status: 400,
      code: 'MALFORMED_JSON',
    },
    {
      name: 'oversized body',
      path: '/auth/v1/partners',
      body: JSON.stringify({ name: 'x'.repeat(20_000) }),
      status: 413,
      code: 'PAYLOAD_TOO_LARGE',
    },
  ];

  for (const c of cases) {
    it(`refuses ${c.name} with ${c.status} ${c.code} and writes nothing`, async () => {
      const before = await counts();
      const res = await t.client.request('POST', c.path, { body: c.body, cookie: w.root.token });
      expect(res.status).toBe(c.status);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ status: c.status, code: c.code });
      expect(typeof res.body.detail).toBe('string');
      expect(typeof res.body.correlation_id).toBe('string');
      for (const e of c.errors ?? []) expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining(e)]));
      // A refused password is explained, never repeated.
      expect(res.text).not.toContain('password123456');
      expect(await counts()).toEqual(before);
    });
  }

  it('refuses a malformed id in the path', async () => {
    const res = await t.client.patch('/auth/v1/organizations/not-a-uuid', { smtp_override_enabled: true }, w.root.token);
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([expect.objectContaining({ field: 'id', rule: 'isUuid' })]);
  });

  it('refuses unknown query parameters', async () => {
    const res = await t.client.get('/auth/v1/organizations?sort=name', w.root.token);
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([expect.objectContaining({ field: 'sort', rule: 'unknown_field' })]);
  });

  it('leaves nothing behind when the second half of a creation fails', async () => {
    // The partner admin's email is taken: the partner must not be created either.
    const before = await counts();
    const res = await t.client.post(
      '/auth/v1/partners',
      { name: 'Half', admin: { email: w.partnerA.admin.email, password: PASSWORD } },
      w.root.token,
    );
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: 'EMAIL_TAKEN', errors: [{ field: 'admin.email', rule: 'unique' }] });
    expect(await counts()).toEqual(before);
    const dup = await t.client.post(
      '/auth/v1/partners',
      { name: 'partnera-input', admin: { email: 'fresh@y.test', password: PASSWORD } },
      w.root.token,
    );
    expect(dup.status).toBe(409);
    expect(dup.body.code).toBe('PARTNER_EXISTS');
    expect(await counts()).toEqual(before);
  });

  it('parses JSON sent as form data, as the seed’s curl --data-raw does', async () => {
    const res = await t.client.request('POST', '/auth/v1/users', {
      body: JSON.stringify({ email: 'curl@y.test', role: 'auditor', password: PASSWORD }),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      cookie: w.partnerA.admin.token,
    });
    expect(res.status).toBe(201);
    const plain = await t.client.request('POST', '/auth/v1/users', {
      body: JSON.stringify({ email: 'plain@y.test', role: 'auditor', password: PASSWORD }),
      headers: { 'content-type': 'text/plain' },
      cookie: w.partnerA.admin.token,
    });
    expect(plain.status).toBe(201);
  });

  describe('cross-site request forgery', () => {
    const body = () => ({ email: `csrf${Math.random().toString(36).slice(2)}@y.test`, role: 'auditor', password: PASSWORD });

    it('refuses a state-changing request with a foreign Origin', async () => {
      const before = await counts();
      const res = await t.client.post('/auth/v1/users', body(), w.partnerA.admin.token, { origin: 'https://evil.example' });
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('CROSS_SITE_REQUEST');
      expect(await counts()).toEqual(before);
    });

    it('refuses a request the browser marks cross-site, even without Origin', async () => {
      const res = await t.client.post('/auth/v1/users', body(), w.partnerA.admin.token, { 'sec-fetch-site': 'cross-site' });
      expect(res.status).toBe(403);
    });

    it('refuses cross-site sign-in too (login CSRF)', async () => {
      const res = await t.client.post('/auth/v1/login', { email: w.root.email, password: 'x' }, undefined, {
        origin: 'https://evil.example',
      });
      expect(res.status).toBe(403);
    });

    it('accepts the service’s own origin, configured origins, and requests without browser headers', async () => {
      expect(
        (
          await t.client.post('/auth/v1/users', body(), w.partnerA.admin.token, {
            origin: 'http://console.mailstrata.test',
            'sec-fetch-site': 'same-origin',
          })
        ).status,
      ).toBe(201);
      expect(
        (
          await t.client.post('/auth/v1/users', body(), w.partnerA.admin.token, {
            origin: 'https://ops.example.com',
            'sec-fetch-site': 'same-site',
          })
        ).status,
      ).toBe(201);
      expect((await t.client.post('/auth/v1/users', body(), w.partnerA.admin.token)).status).toBe(201);
    });

    it('lets cross-site reads through (they change nothing and the cookie is SameSite=Strict)', async () => {
      expect((await t.client.get('/healthz', undefined, { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' })).status).toBe(
        200,
      );
    });
  });
});
