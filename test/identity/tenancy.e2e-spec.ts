/** Tenant isolation: nobody sees or touches another tenant, and a foreign id is a 404, never a 403. */
import { startTestApp, TestApp } from '../support/app';
import { buildWorld, PASSWORD, World } from '../support/world';

const ids = (res: { body: { items: Array<{ id: string }> } }) => res.body.items.map((i) => i.id).sort();

describe('tenant isolation', () => {
  let t: TestApp;
  let w: World;

  beforeAll(async () => {
    t = await startTestApp();
    w = await buildWorld(t.client, 'iso');
  });
  afterAll(async () => {
    await t.close();
  });

  it('shows a partner admin its own partner and organizations only', async () => {
    const partners = await t.client.get('/auth/v1/partners', w.partnerA.admin.token);
    expect(ids(partners)).toEqual([w.partnerA.id]);
    const orgs = await t.client.get('/auth/v1/organizations', w.partnerA.admin.token);
    expect(ids(orgs)).toEqual([w.orgA1.id, w.orgA2.id].sort());
    expect(JSON.stringify(orgs.body)).not.toContain(w.orgB1.id);
    expect(JSON.stringify(partners.body)).not.toContain(w.partnerB.id);
    // Filtering by another partner narrows inside the caller's scope; it never widens it.
    const filtered = await t.client.get(`/auth/v1/organizations?partner_id=${w.partnerB.id}`, w.partnerA.admin.token);
    expect(filtered.body.items).toEqual([]);
  });

  it('shows the controller admin everything, and filters by partner', async () => {
    const all = await t.client.get('/auth/v1/organizations', w.root.token);
    expect(ids(all)).toEqual(expect.arrayContaining([w.orgA1.id, w.orgA2.id, w.orgB1.id]));
    const b = await t.client.get(`/auth/v1/organizations?partner_id=${w.partnerB.id}`, w.root.token);
    expect(ids(b)).toEqual([w.orgB1.id]);
  });

  it('keeps org admins and org auditors inside their organization', async () => {
    expect(ids(await t.client.get('/auth/v1/organizations', w.orgA1.admin.token))).toEqual([w.orgA1.id]);
    expect(ids(await t.client.get('/auth/v1/organizations', w.orgA1.auditor.token))).toEqual([w.orgA1.id]);
    const sibling = await t.client.post(
      '/auth/v1/users',
      { email: 'x1@a2.test', role: 'auditor', org_id: w.orgA2.id, password: PASSWORD },
      w.orgA1.admin.token,
    );
    expect(sibling.status).toBe(404);
    const me = await t.client.get('/auth/v1/me', w.orgA1.admin.token);
    expect(me.body.scope).toEqual({ level: 'org', partner_id: w.partnerA.id, org_id: w.orgA1.id });
  });

  it('refuses an org admin’s new user naming a partner or organization outside its scope, instead of ignoring the field', async () => {
    const cases = [
      { email: 'fp1@a1.test', role: 'auditor', partner_id: w.partnerB.id },
      { email: 'fp2@a1.test', role: 'auditor', partner_id: '00000000-0000-4000-8000-000000000000' },
      { email: 'fp3@a1.test', role: 'auditor', org_id: w.orgA1.id, partner_id: w.partnerB.id },
      { email: 'fp4@a1.test', role: 'org_admin', org_id: w.orgB1.id },
    ];
    for (const body of cases) {
      const res = await t.client.post('/auth/v1/users', { ...body, password: PASSWORD }, w.orgA1.admin.token);
      expect({ body, status: res.status, code: res.body.code }).toEqual({ body, status: 404, code: 'NOT_FOUND' });
    }
    // The same partner the caller belongs to is no trespass.
    const own = await t.client.post(
      '/auth/v1/users',
      { email: 'fp5@a1.test', role: 'auditor', partner_id: w.partnerA.id, password: PASSWORD },
      w.orgA1.admin.token,
    );
    expect(own.status).toBe(201);
    expect(own.body).toMatchObject({ partner_id: w.partnerA.id, org_id: w.orgA1.id });
    const [{ count }] = await t.db.query<{ count: number }>(`SELECT count(*)::int AS count FROM users WHERE email LIKE 'fp_@a1.test'`);
    expect(count).toBe(1);
  });

  it('refuses a partner admin’s new partner-level user or organization naming another partner', async () => {
    const user = await t.client.post(
      '/auth/v1/users',
      { email: 'pp1@a.test', role: 'auditor', partner_id: w.partnerB.id, password: PASSWORD },
      w.partnerA.admin.token,
    );
    expect(user.status).toBe(404);
    const org = await t.client.post(
      '/auth/v1/organizations',
      { name: 'Elsewhere', partner_id: w.partnerB.id, admin: { email: 'pp2@a.test', password: PASSWORD } },
      w.partnerA.admin.token,
    );
    expect(org.status).toBe(404);
  });

  it('answers 404 for another partner’s organization and partner, exactly like for a missing one', async () => {
    const foreign = await t.client.patch(`/auth/v1/organizations/${w.orgB1.id}`, { smtp_override_enabled: true }, w.partnerA.admin.token);
    const missing = await t.client.patch(
      '/auth/v1/organizations/00000000-0000-4000-8000-000000000000',
      { smtp_override_enabled: true },
      w.partnerA.admin.token,
    );
    expect(foreign.status).toBe(404);
    expect(missing.status).toBe(404);
    expect({ ...foreign.body, correlation_id: 0 }).toEqual({ ...missing.body, correlation_id: 0, instance: foreign.body.instance });

    const org = await t.client.post(
      '/auth/v1/organizations',
      { name: 'Sneaky', partner_id: w.partnerB.id, admin: { email: 'sneaky@b.test', password: PASSWORD } },
      w.partnerA.admin.token,
    );
    expect(org.status).toBe(404);
    const user = await t.client.post(
      '/auth/v1/users',
      { email: 'x2@b.test', role: 'org_admin', org_id: w.orgB1.id, password: PASSWORD },
      w.partnerA.admin.token,
    );
    expect(user.status).toBe(404);
    const [{ count }] = await t.db.query<{ count: number }>(
      `SELECT count(*)::int AS count FROM users WHERE email IN ('sneaky@b.test', 'x2@b.test')`,
    );
    expect(count).toBe(0);
    const [b1] = await t.db.query<{ smtp_override_enabled: boolean }>(`SELECT smtp_override_enabled FROM organizations WHERE id = $1`, [
      w.orgB1.id,
    ]);
    expect(b1!.smtp_override_enabled).toBe(false);
  });

  it('never lets a creator hand out a role above its own level', async () => {
    const cases: Array<[string, string, Record<string, unknown>]> = [
      [w.partnerA.admin.token, 'controller_admin', {}],
      [w.orgA1.admin.token, 'partner_admin', {}],
    ];
    for (const [tok, role, extra] of cases) {
      const res = await t.client.post('/auth/v1/users', { email: `${role}@esc.test`, role, password: PASSWORD, ...extra }, tok);
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('ROLE_NOT_ASSIGNABLE');
    }
  });

  it('records the org SMTP switch with before and after, scoped to the org', async () => {
    const on = await t.client.patch(`/auth/v1/organizations/${w.orgA2.id}`, { smtp_override_enabled: true }, w.partnerA.admin.token);
    expect(on.status).toBe(200);
    expect(on.body.smtp_override_enabled).toBe(true);
    const rows = await t.db.query<any>(
      `SELECT actor_id, partner_id, org_id, details FROM audit_events WHERE type = 'organization.smtp_override.changed' AND org_id = $1`,
      [w.orgA2.id],
    );
    expect(rows).toEqual([
      { actor_id: w.partnerA.admin.id, partner_id: w.partnerA.id, org_id: w.orgA2.id, details: { enabled: true, previous: false } },
    ]);
  });

  it('writes partner, organization and user creation to the audit log', async () => {
    const rows = await t.db.query<{ type: string; count: number }>(
      `SELECT type, count(*)::int AS count FROM audit_events WHERE type IN ('partner.created', 'organization.created', 'account.user.created') GROUP BY type`,
    );
    const byType = Object.fromEntries(rows.map((r) => [r.type, r.count]));
    expect(byType['partner.created']).toBe(2);
    expect(byType['organization.created']).toBe(3);
    // root (bootstrap) + 2 partner admins + 2 partner auditors + 3 org admins + 1 org auditor + 1 from the org-scope test
    expect(byType['account.user.created']).toBe(10);
  });
});
