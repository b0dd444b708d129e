/**
 * Input that used to crash the service with a 500: lone surrogates, NUL characters, deep nesting,
 * `null` where a value or nothing is expected, blank names, and URLs that are not valid. Each must be a
 * 4xx application/problem+json with a code and, where a field is at fault, the field and the rule.
 */
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestApp, TestApp } from '../support/app';
import { buildWorld, PASSWORD, World } from '../support/world';

describe('hostile input is refused at the boundary', () => {
  let t: TestApp;
  let w: World;

  beforeAll(async () => {
    t = await startTestApp({ env: { ACCOUNT_CREATION_STRATEGY: 'AUTO' } });
    w = await buildWorld(t.client, 'hostile');
  });
  afterAll(async () => {
    await t.close();
  });

  const counts = async () =>
    (
      await t.db.query<{ p: number; o: number; u: number }>(
        `SELECT (SELECT count(*) FROM partners)::int AS p, (SELECT count(*) FROM organizations)::int AS o,
                (SELECT count(*) FROM users)::int AS u`,
      )
    )[0];

  const deepArray = (n: number) => '['.repeat(n) + ']'.repeat(n);
  const deepObject = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);

  const cases: Array<{
    name: string;
    who: 'root' | 'partner' | 'org';
    path: string;
    body: unknown;
    code: string;
    field?: string;
    rule?: string;
  }> = [
    {
      name: 'a lone surrogate in an email',
      who: 'partner',
      path: '/auth/v1/users',
      body: `{"email":"a\\ud800@x.test","role":"auditor","password":"${PASSWORD}"}`,
      code: 'VALIDATION_FAILED',
      field: 'email',
      rule: 'wellFormedUnicode',
    },
    {
      name: 'a lone surrogate in a nested email',
      who: 'root',
      path: '/auth/v1/partners',
      body: `{"name":"S1","admin":{"email":"a\\udc00@x.test","password":"${PASSWORD}"}}`,
      code: 'VALIDATION_FAILED',
      field: 'admin.email',
      rule: 'wellFormedUnicode',
    },
    {
      name: 'a lone surrogate in a name',
      who: 'root',
      path: '/auth/v1/partners',
      body: `{"name":"P\\ud800","admin":{"email":"s1@x.test","password":"${PASSWORD}"}}`,
      code: 'VALIDATION_FAILED',
      field: 'name',
      rule: 'wellFormedUnicode',
    },
    {
      name: 'a NUL character in a name',
      who: 'partner',
      path: '/auth/v1/organizations',
      body: `{"name":"O\\u0000","admin":{"email":"s2@x.test","password":"${PASSWORD}"}}`,
      code: 'VALIDATION_FAILED',
      field: 'name',
      rule: 'noNulCharacter',
    },
    {
      name: 'a NUL character in a field name',
      who: 'root',
      path: '/auth/v1/partners',
      body: `{"name":"P2","admin":{"email":"s3@x.test","password":"${PASSWORD}","x\\u0000":1}}`,
      code: 'VALIDATION_FAILED',
      field: 'admin.(key)',
      rule: 'noNulCharacter',
    },
    {
      name: 'arrays nested 20,000 deep',
      who: 'root',
      path: '/auth/v1/partners',
      body: `{"name":${deepArray(20_000)}}`,
      code: 'BODY_TOO_DEEP',
    },
    { name: 'objects nested 5,000 deep', who: 'org', path: '/auth/v1/users', body: deepObject(5_000), code: 'BODY_TOO_DEEP' },
    {
      name: 'a null password in AUTO mode (users)',
      who: 'org',
      path: '/auth/v1/users',
      body: { email: 'np@x.test', role: 'auditor', password: null },
      code: 'VALIDATION_FAILED',
      field: 'password',
      rule: 'isString',
    },
    {
      name: 'a null password in AUTO mode (organizations)',
      who: 'partner',
      path: '/auth/v1/organizations',
      body: { name: 'NP', admin: { email: 'np2@x.test', password: null } },
      code: 'VALIDATION_FAILED',
      field: 'admin.password',
      rule: 'isString',
    },
    {
      name: 'a null org_id',
      who: 'partner',
      path: '/auth/v1/users',
      body: { email: 'no@x.test', role: 'org_admin', org_id: null, password: PASSWORD },
      code: 'VALIDATION_FAILED',
      field: 'org_id',
      rule: 'isUuid',
    },
    {
      name: 'a whitespace-only partner name',
      who: 'root',
      path: '/auth/v1/partners',
      body: { name: ' \t ', admin: { email: 'bl@x.test', password: PASSWORD } },
      code: 'VALIDATION_FAILED',
      field: 'name',
      rule: 'notBlank',
    },
    {
      name: 'a whitespace-only organization name',
      who: 'partner',
      path: '/auth/v1/organizations',
      body: { name: '   ', admin: { email: 'bl2@x.test', password: PASSWORD } },
      code: 'VALIDATION_FAILED',
      field: 'name',
      rule: 'notBlank',
    },
  ];

  const token = (who: 'root' | 'partner' | 'org') =>
    who === 'root' ? w.root.token : who === 'partner' ? w.partnerA.admin.token : w.orgA1.admin.token;

  for (const c of cases) {
    it(`refuses ${c.name} with a 400 problem and writes nothing`, async () => {
      const before = await counts();
      const res = await t.client.request('POST', c.path, { body: c.body, cookie: token(c.who) });
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.code).toBe(c.code);
      if (c.field) expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: c.field, rule: c.rule })]));
      expect(await counts()).toEqual(before);
    });
  }

  it('refuses NUL and lone surrogates in the query string, naming the parameter', async () => {
    const nul = await t.client.get(`/event/v1/auditlog?filter.type=a%00b&org_id=${w.orgA1.id}`, w.root.token);
    expect(nul.status).toBe(400);
    expect(nul.body.errors).toEqual([expect.objectContaining({ field: 'filter.type', rule: 'noNulCharacter' })]);
    const cfg = await t.client.get('/event/v1/email/config?org_id=%00', w.partnerA.admin.token);
    expect(cfg.status).toBe(400);
    expect(cfg.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('answers a badly encoded URL with problem+json', async () => {
    const res = await t.client.get('/%E0%A4%A', w.root.token);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 400, code: 'BAD_URL' });
  });

  it('answers a 100 KB path with problem+json, in process and over a real socket', async () => {
    const inProcess = await t.client.get(`/auth/v1/${'a'.repeat(100_000)}`, w.root.token);
    expect(inProcess.status).toBeGreaterThanOrEqual(400);
    expect(inProcess.status).toBeLessThan(500);
    expect(inProcess.headers['content-type']).toMatch(/^application\/problem\+json/);

    // Node's HTTP parser refuses the request line before Fastify sees a request.
    await t.app.listen(0, '127.0.0.1');
    const { port } = t.app.getHttpServer().address() as AddressInfo;
    const reply = await new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: `/auth/v1/${'a'.repeat(100_000)}` }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(reply.status).toBe(431);
    expect(reply.type).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(reply.body)).toMatchObject({ status: 431, code: 'HEADERS_TOO_LARGE' });
  });
});
