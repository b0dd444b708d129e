import { startTestApp, TestApp } from '../support/app';
import { createTenant, rootToken, setOverride, smtp, Tenant } from './helpers';

const EFFECTIVE = '/event/v1/email/config/effective';

describe('email config: resolution org → partner → controller, and scope', () => {
  let t: TestApp;
  let root: string;
  let a: Tenant;
  let b: Tenant;
  beforeAll(async () => {
    t = await startTestApp({
      env: {
        FW_EVENT_SMTP_SERVER_ADDR: 'smtp.controller.test',
        FW_EVENT_SMTP_SERVER_PORT: '465',
        FW_EVENT_SMTP_SERVER_USERNAME: 'controller-user',
        FW_EVENT_SMTP_SERVER_PASSWORD: 'controller-env-secret',
        FW_EVENT_SMTP_SERVER_USE_TLS: 'true',
        FW_EVENT_SMTP_SENDER_EMAIL: 'noreply@controller.test',
      },
    });
    root = await rootToken(t.client);
    a = await createTenant(t.client, root, 'a');
    b = await createTenant(t.client, root, 'b');
  });
  afterAll(async () => {
    await t.close();
  });

  /** The writer's replica applies a committed change at once: no waiting, the next read sees it. */
  const sourceBecomes = async (token: string, source: string) => expect((await effective(token)).body.source).toBe(source);

  const effective = async (token: string, query = '') => {
    const res = await t.client.get(`${EFFECTIVE}${query}`, token);
    expect(res.text).not.toMatch(/controller-env-secret|pw-/);
    return res;
  };

  it('walks the whole matrix', async () => {
    // controller only
    let res = await effective(a.orgToken);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      source: 'controller',
      profile: null,
      scope: { level: 'org', org_id: a.orgId, partner_id: a.partnerId },
    });
    expect(res.body.email_config.smtp_config).toMatchObject({
      host: 'smtp.controller.test',
      port: 465,
      tls_mode: 'implicit',
      password_set: true,
    });

    // partner over controller
    expect((await t.client.post('/event/v1/email/config', smtp({ host: 'smtp.partner-a.test' }), a.partnerToken)).status).toBe(201);
    res = await effective(a.orgToken);
    expect(res.body.source).toBe('partner');
    expect(res.body.profile).toMatchObject({ partner_id: a.partnerId, org_id: null, version: 1 });
    expect(res.body.email_config.smtp_config.host).toBe('smtp.partner-a.test');
    expect((await effective(a.partnerToken)).body.source).toBe('partner');

    // an org profile prepared by the partner admin stays hidden while the switch is off
    const orgProfile = await t.client.post(
      `/event/v1/email/config?org_id=${a.orgId}`,
      smtp({ host: 'smtp.org-a.test', sender_email: 'it@org-a.test' }),
      a.partnerToken,
    );
    expect(orgProfile.status).toBe(201);
    res = await effective(a.orgToken);
    expect(res.body.source).toBe('partner');

    // org over partner once the switch is on — as a whole, nothing of the partner's profile mixed in
    await setOverride(t.client, a.partnerToken, a.orgId, true);
    await sourceBecomes(a.orgToken, 'org');
    res = await effective(a.orgToken);
    expect(res.body.profile).toMatchObject({ org_id: a.orgId, partner_id: a.partnerId });
    expect(res.body.email_config.smtp_config).toMatchObject({ host: 'smtp.org-a.test', sender_email: 'it@org-a.test' });
    expect((await effective(a.partnerToken, `?org_id=${a.orgId}`)).body.source).toBe('org');
    expect((await effective(a.partnerToken)).body.source).toBe('partner');

    // switch off hides it again
    await setOverride(t.client, a.partnerToken, a.orgId, false);
    await sourceBecomes(a.orgToken, 'partner');
    await setOverride(t.client, a.partnerToken, a.orgId, true);
    await sourceBecomes(a.orgToken, 'org');

    // DELETE falls back one level at a time, at once
    expect((await t.client.delete('/event/v1/email/config', a.orgToken)).status).toBe(204);
    expect((await effective(a.orgToken)).body.source).toBe('partner');
    expect((await t.client.delete('/event/v1/email/config', a.partnerToken)).status).toBe(204);
    expect((await effective(a.orgToken)).body.source).toBe('controller');
  });

  it('answers NO_SMTP_CONFIG when no level has one', async () => {
    const bare = await startTestApp();
    try {
      const r = await rootToken(bare.client);
      const tenant = await createTenant(bare.client, r, 'bare');
      const res = await bare.client.get(EFFECTIVE, tenant.orgToken);
      expect(res.status).toBe(409);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.body.code).toBe('NO_SMTP_CONFIG');
    } finally {
      await bare.close();
    }
  });

  it('the controller profile is read-only over the API and a controller admin must name the scope', async () => {
    const noScope = await t.client.get(EFFECTIVE, root);
    expect(noScope.status).toBe(400);
    expect(noScope.body.code).toBe('SCOPE_REQUIRED');
    expect((await t.client.post('/event/v1/email/config', smtp(), root)).body.code).toBe('SCOPE_REQUIRED');
    const asRoot = await t.client.get(`${EFFECTIVE}?partner_id=${b.partnerId}`, root);
    expect(asRoot.body.source).toBe('controller');
    const write = await t.client.post(`/event/v1/email/config?partner_id=${b.partnerId}`, smtp({ host: 'smtp.by-root.test' }), root);
    expect(write.status).toBe(201);
    expect(write.body.email_config.metadata.partner_id).toBe(b.partnerId);
    expect((await t.client.delete(`/event/v1/email/config?partner_id=${b.partnerId}`, root)).status).toBe(204);
  });

  it('org admins reach their own profile only while the switch is on', async () => {
    await setOverride(t.client, b.partnerToken, b.orgId, false);
    for (const res of [
      await t.client.get('/event/v1/email/config', b.orgToken),
      await t.client.post('/event/v1/email/config', smtp(), b.orgToken),
      await t.client.patch('/event/v1/email/config', { email_config: { smtp_config: { retries: 1 } } }, b.orgToken),
      await t.client.delete('/event/v1/email/config', b.orgToken),
    ]) {
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('SMTP_OVERRIDE_DISABLED');
    }
    await setOverride(t.client, b.partnerToken, b.orgId, true);
    const created = await t.client.post('/event/v1/email/config', smtp({ host: 'smtp.org-b.test' }), b.orgToken);
    expect(created.status).toBe(201);
    expect(created.body.email_config.metadata).toMatchObject({ scope: 'org', org_id: b.orgId, partner_id: b.partnerId });
  });

  it('answers 404 for another tenant’s ids, never 403', async () => {
    const cases: Array<[string, string]> = [
      [`/event/v1/email/config?org_id=${b.orgId}`, a.partnerToken],
      [`/event/v1/email/config?partner_id=${b.partnerId}`, a.partnerToken],
      [`${EFFECTIVE}?org_id=${b.orgId}`, a.partnerToken],
      [`${EFFECTIVE}?org_id=${b.orgId}`, a.orgToken],
      [`${EFFECTIVE}?partner_id=${a.partnerId}`, a.orgToken],
      [`/event/v1/email/config?org_id=${a.orgId}&partner_id=${b.partnerId}`, root],
      [`/event/v1/email/config?org_id=00000000-0000-4000-8000-000000000000`, root],
    ];
    for (const [url, token] of cases) {
      const get = await t.client.get(url, token);
      expect([url, get.status]).toEqual([url, 404]);
      const post = await t.client.post(url.replace('/effective', ''), smtp(), token);
      expect([url, post.status]).toEqual([url, 404]);
    }
    // B's org profile is untouched by A's attempts
    expect((await t.client.get('/event/v1/email/config', b.orgToken)).body.email_config.smtp_config.host).toBe('smtp.org-b.test');
  });

  it('auditors read but never write', async () => {
    const auditorEmail = `auditor-${Date.now()}@a.partner.test`;
    const created = await t.client.post(
      '/auth/v1/users',
      { email: auditorEmail, role: 'auditor', password: 'a-long-enough-password-1' },
      a.partnerToken,
    );
    expect(created.status).toBe(201);
    const auditor = await t.client.login(auditorEmail, 'a-long-enough-password-1');
    expect((await t.client.get(EFFECTIVE, auditor)).status).toBe(200);
    const write = await t.client.post('/event/v1/email/config', smtp(), auditor);
    expect(write.status).toBe(403);
    expect(write.body.code).toBe('PERMISSION_DENIED');
  });
});
