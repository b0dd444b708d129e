/**
 * Every identity route against every role, and against a partner's service account (email:send,
 * email:read, organization:read): who gets 2xx, 401, 403 or 404. Bodies are valid, so the status says
 * only what the caller may do.
 */
import { startTestApp, TestApp } from '../support/app';
import { buildWorld, PASSWORD, World } from '../support/world';

type Who = 'anonymous' | 'controllerAdmin' | 'partnerAdmin' | 'partnerAuditor' | 'orgAdmin' | 'orgAuditor' | 'serviceAccount';

describe('role matrix over the identity routes', () => {
  let t: TestApp;
  let w: World;
  let n = 0;
  const unique = () => `m${(n += 1)}`;
  let serviceToken: string;

  beforeAll(async () => {
    t = await startTestApp();
    w = await buildWorld(t.client, 'matrix');
    const sa = await t.client.post(
      '/auth/v1/service-accounts',
      { name: 'matrix', partner_id: w.partnerA.id, permissions: ['email:send', 'email:read', 'organization:read'] },
      w.root.token,
    );
    if (sa.status !== 201) throw new Error(`service account: ${sa.status} ${sa.text}`);
    serviceToken = sa.body.token;
  });
  afterAll(async () => {
    await t.close();
  });

  const sessions = (who: Exclude<Who, 'serviceAccount'>): string | undefined =>
    ({
      anonymous: undefined,
      controllerAdmin: w.root.token,
      partnerAdmin: w.partnerA.admin.token,
      partnerAuditor: w.partnerA.auditor.token,
      orgAdmin: w.orgA1.admin.token,
      orgAuditor: w.orgA1.auditor.token,
    })[who];

  /** What the client sends as `(cookie, headers)`: a session cookie, or the service account's Bearer token. */
  const as = (who: Who): [string | undefined, Record<string, string> | undefined] =>
    who === 'serviceAccount' ? [undefined, { authorization: `Bearer ${serviceToken}` }] : [sessions(who), undefined];
  const get = (url: string, who: Who) => t.client.get(url, ...as(who));
  const post = (url: string, body: unknown, who: Who) => t.client.post(url, body, ...as(who));
  const patch = (url: string, body: unknown, who: Who) => t.client.patch(url, body, ...as(who));
  const del = (url: string, who: Who) => t.client.delete(url, ...as(who));

  /** A fresh account to revoke, so each caller's DELETE meets a live one. */
  const newAccount = async (partnerId: string): Promise<string> => {
    const res = await t.client.post(
      '/auth/v1/service-accounts',
      { name: unique(), partner_id: partnerId, permissions: ['email:read'] },
      w.root.token,
    );
    if (res.status !== 201) throw new Error(`service account: ${res.status} ${res.text}`);
    return res.body.id as string;
  };

  interface Route {
    name: string;
    call: (who: Who) => Promise<{ status: number; body: any }>;
    expected: Record<Who, number>;
  }

  const routes: Route[] = [
    {
      name: 'GET /auth/v1/me',
      call: (who) => get('/auth/v1/me', who),
      expected: {
        anonymous: 401,
        controllerAdmin: 200,
        partnerAdmin: 200,
        partnerAuditor: 200,
        orgAdmin: 200,
        orgAuditor: 200,
        serviceAccount: 200,
      },
    },
    {
      name: 'POST /auth/v1/partners',
      call: (who) => {
        const id = unique();
        return post('/auth/v1/partners', { name: `P-${id}`, admin: { email: `${id}@p.test`, password: PASSWORD } }, who);
      },
      expected: {
        anonymous: 401,
        controllerAdmin: 201,
        partnerAdmin: 403,
        partnerAuditor: 403,
        orgAdmin: 403,
        orgAuditor: 403,
        serviceAccount: 403,
      },
    },
    {
      name: 'GET /auth/v1/partners',
      call: (who) => get('/auth/v1/partners', who),
      expected: {
        anonymous: 401,
        controllerAdmin: 200,
        partnerAdmin: 200,
        partnerAuditor: 403,
        orgAdmin: 403,
        orgAuditor: 403,
        serviceAccount: 403,
      },
    },
    {
      name: 'POST /auth/v1/organizations',
      call: (who) => {
        const id = unique();
        const body: Record<string, unknown> = { name: `O-${id}`, admin: { email: `${id}@o.test`, password: PASSWORD } };
        if (who === 'controllerAdmin') body.partner_id = w.partnerA.id;
        return post('/auth/v1/organizations', body, who);
      },
      expected: {
        anonymous: 401,
        controllerAdmin: 201,
        partnerAdmin: 201,
        partnerAuditor: 403,
        orgAdmin: 403,
        orgAuditor: 403,
        serviceAccount: 403,
      },
    },
    {
      name: 'GET /auth/v1/organizations',
      call: (who) => get('/auth/v1/organizations', who),
      expected: {
        anonymous: 401,
        controllerAdmin: 200,
        partnerAdmin: 200,
        partnerAuditor: 200,
        orgAdmin: 200,
        orgAuditor: 200,
        serviceAccount: 200,
      },
    },
    {
      name: 'PATCH /auth/v1/organizations/:id (own org)',
      call: (who) => patch(`/auth/v1/organizations/${w.orgA1.id}`, { smtp_override_enabled: true }, who),
      expected: {
        anonymous: 401,
        controllerAdmin: 200,
        partnerAdmin: 200,
        partnerAuditor: 403,
        orgAdmin: 403,
        orgAuditor: 403,
        serviceAccount: 403,
      },
    },
    {
      name: 'PATCH /auth/v1/organizations/:id (another partner’s org)',
      call: (who) => patch(`/auth/v1/organizations/${w.orgB1.id}`, { smtp_override_enabled: true }, who),
      expected: {
        anonymous: 401,
        controllerAdmin: 200,
        partnerAdmin: 404,
        partnerAuditor: 403,
        orgAdmin: 403,
        orgAuditor: 403,
        serviceAccount: 403,
      },
    },
    {
      name: 'POST /auth/v1/users (an auditor in the caller’s scope)',
      call: (who) => {
        const body: Record<string, unknown> = { email: `${unique()}@u.test`, role: 'auditor', password: PASSWORD };
        if (who === 'controllerAdmin') body.partner_id = w.partnerA.id;
        return post('/auth/v1/users', body, who);
      },
      expected: {
        anonymous: 401,
        controllerAdmin: 201,
        partnerAdmin: 201,
        partnerAuditor: 403,
        orgAdmin: 201,
        orgAuditor: 403,
        serviceAccount: 403,
      },
    },
    {
      name: 'POST /auth/v1/password-reset (public, the same answer for everyone)',
      call: (who) => post('/auth/v1/password-reset', { email: `${unique()}@reset.test` }, who),
      expected: {
        anonymous: 202,
        controllerAdmin: 202,
        partnerAdmin: 202,
        partnerAuditor: 202,
        orgAdmin: 202,
        orgAuditor: 202,
        serviceAccount: 202,
      },
    },
    {
      name: 'POST /auth/v1/password-reset/complete (public; an unknown token is refused alike)',
      call: (who) => post('/auth/v1/password-reset/complete', { token: 'A'.repeat(43), password: PASSWORD }, who),
      expected: {
        anonymous: 400,
        controllerAdmin: 400,
        partnerAdmin: 400,
        partnerAuditor: 400,
        orgAdmin: 400,
        orgAuditor: 400,
        serviceAccount: 400,
      },
    },
    {
      name: 'POST /auth/v1/logout',
      call: async (who) => {
        if (who === 'anonymous') return t.client.post('/auth/v1/logout', undefined);
        // A service account has no session to end.
        if (who === 'serviceAccount') return post('/auth/v1/logout', undefined, who);
        const email = {
          controllerAdmin: undefined,
          partnerAdmin: w.partnerA.admin.email,
          partnerAuditor: w.partnerA.auditor.email,
          orgAdmin: w.orgA1.admin.email,
          orgAuditor: w.orgA1.auditor.email,
        }[who];
        // A throw-away session, so the matrix's own sessions stay valid.
        const session = email ? await t.client.login(email, PASSWORD) : await t.client.login(w.root.email, 'controller-secret-9000');
        return t.client.post('/auth/v1/logout', undefined, session);
      },
      expected: {
        anonymous: 401,
        controllerAdmin: 204,
        partnerAdmin: 204,
        partnerAuditor: 204,
        orgAdmin: 204,
        orgAuditor: 204,
        serviceAccount: 403,
      },
    },
    {
      name: 'POST /auth/v1/service-accounts',
      call: (who) => post('/auth/v1/service-accounts', { name: unique(), permissions: ['email:send'] }, who),
      expected: {
        anonymous: 401,
        controllerAdmin: 201,
        partnerAdmin: 201,
        partnerAuditor: 403,
        orgAdmin: 403,
        orgAuditor: 403,
        serviceAccount: 403,
      },
    },
    {
      name: 'GET /auth/v1/service-accounts',
      call: (who) => get('/auth/v1/service-accounts', who),
      expected: {
        anonymous: 401,
        controllerAdmin: 200,
        partnerAdmin: 200,
        partnerAuditor: 403,
        orgAdmin: 403,
        orgAuditor: 403,
        serviceAccount: 403,
      },
    },
    {
      name: 'DELETE /auth/v1/service-accounts/:id (the caller’s partner’s)',
      call: async (who) => del(`/auth/v1/service-accounts/${await newAccount(w.partnerA.id)}`, who),
      expected: {
        anonymous: 401,
        controllerAdmin: 204,
        partnerAdmin: 204,
        partnerAuditor: 403,
        orgAdmin: 403,
        orgAuditor: 403,
        serviceAccount: 403,
      },
    },
    {
      name: 'DELETE /auth/v1/service-accounts/:id (another partner’s)',
      call: async (who) => del(`/auth/v1/service-accounts/${await newAccount(w.partnerB.id)}`, who),
      expected: {
        anonymous: 401,
        controllerAdmin: 204,
        partnerAdmin: 404,
        partnerAuditor: 403,
        orgAdmin: 403,
        orgAuditor: 403,
        serviceAccount: 403,
      },
    },
  ];

  const whos: Who[] = ['anonymous', 'controllerAdmin', 'partnerAdmin', 'partnerAuditor', 'orgAdmin', 'orgAuditor', 'serviceAccount'];
  for (const route of routes) {
    it(route.name, async () => {
      const got: Partial<Record<Who, number>> = {};
      for (const who of whos) {
        const res = await route.call(who);
        got[who] = res.status;
        if (res.status >= 400) expect(typeof res.body.code).toBe('string');
      }
      expect(got).toEqual(route.expected);
    });
  }

  it('keeps health endpoints public', async () => {
    expect((await t.client.get('/healthz')).status).toBe(200);
    expect((await t.client.get('/readyz')).status).toBe(200);
  });

  it('names the missing permission in a 403', async () => {
    const res = await t.client.post(
      '/auth/v1/partners',
      { name: 'x', admin: { email: 'x@x.test', password: PASSWORD } },
      w.orgA1.admin.token,
    );
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ code: 'PERMISSION_DENIED', status: 403 });
    expect(res.body.detail).toContain('partner:create');
  });
});
