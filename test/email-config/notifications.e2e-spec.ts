/**
 * `/event/v1/email/config/notifications`: a scope's admin, alerting and reporting addresses. Every
 * address is checked (one plain mailbox, no CR/LF), lists are short, unknown fields are refused, writes
 * carry ETags and honour If-Match, each change is audited, and tenants stay apart (foreign is 404).
 */
import { startTestApp, TestApp } from '../support/app';
import { createTenant, rootToken, Tenant } from './helpers';

const PATH = '/event/v1/email/config/notifications';

describe('notification recipients endpoint', () => {
  let t: TestApp;
  let tenant: Tenant;
  let other: Tenant;
  let root: string;

  beforeAll(async () => {
    t = await startTestApp();
    root = await rootToken(t.client);
    tenant = await createTenant(t.client, root, 'notif');
    other = await createTenant(t.client, root, 'notif-other');
  });
  afterAll(async () => {
    await t?.close();
  });

  const put = (body: unknown, cookie: string, query = '', headers: Record<string, string> = {}) =>
    t.client.request('PUT', `${PATH}${query}`, { body, cookie, headers });
  const fieldsOf = (res: { body: { errors?: { field: string; rule: string }[] } }) =>
    (res.body.errors ?? []).map((e) => `${e.field}:${e.rule}`).sort();

  it('refuses bad addresses, header injection, long lists and unknown fields, naming field and rule', async () => {
    const bad = await put(
      {
        admin_address: 'not-an-address',
        alerting_address: ['ops@example.test', 'ops@example.test\r\nBcc: victim@example.test'],
        reporting_address: Array.from({ length: 6 }, (_, i) => `r${i}@example.test`),
      },
      tenant.partnerToken,
    );
    expect(bad.status).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    expect(fieldsOf(bad)).toEqual(['admin_address:isEmail', 'alerting_address:isEmail', 'reporting_address:arrayMaxSize']);

    const shapes = await put({ alerting_address: 42, reporting_address: { to: 'x@example.test' }, extra: 1 }, tenant.partnerToken);
    expect(shapes.status).toBe(400);
    expect(fieldsOf(shapes)).toEqual(
      expect.arrayContaining(['alerting_address:isArray', 'reporting_address:isArray', 'extra:unknown_field']),
    );

    const display = await put({ alerting_address: 'Ops <ops@example.test>' }, tenant.partnerToken);
    expect(fieldsOf(display)).toEqual(['alerting_address:isEmail']);
    // Nothing was written by any of them.
    expect((await t.client.get(PATH, tenant.partnerToken)).status).toBe(404);
  });

  it('creates (201), reads with an ETag, replaces under If-Match, audits each change and deletes', async () => {
    const created = await put(
      { admin_address: 'admin@p.test', alerting_address: ['a1@p.test', 'A1@p.test', 'a2@p.test'] },
      tenant.partnerToken,
    );
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      admin_address: ['admin@p.test'],
      alerting_address: ['A1@p.test', 'a2@p.test'],
      reporting_address: [],
      version: 1,
    });
    const etag = created.headers.etag as string;
    expect(etag).toMatch(/^".+\.1"$/);

    const read = await t.client.get(PATH, tenant.partnerToken);
    expect(read.status).toBe(200);
    expect(read.headers.etag).toBe(etag);
    expect(read.body.alerting_address).toEqual(['A1@p.test', 'a2@p.test']);

    const stale = await put({ reporting_address: 'r@p.test' }, tenant.partnerToken, '', {
      'if-match': '"00000000-0000-0000-0000-000000000000.1"',
    });
    expect(stale.status).toBe(412);
    const replaced = await put({ reporting_address: 'r@p.test' }, tenant.partnerToken, '', { 'if-match': etag });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ admin_address: [], alerting_address: [], reporting_address: ['r@p.test'], version: 2 });

    const events = await t.db.query<{ type: string; details: Record<string, unknown>; partner_id: string }>(
      `SELECT type, details, partner_id FROM audit_events WHERE type LIKE 'email.notifications.%' AND partner_id = $1 ORDER BY seq`,
      [tenant.partnerId],
    );
    expect(events.map((e) => e.type)).toEqual(['email.notifications.updated', 'email.notifications.updated']);
    expect(events[1]!.details).toMatchObject({
      scope: 'partner',
      version: 2,
      changed_fields: ['admin_address', 'alerting_address', 'reporting_address'],
    });
    // Names and counts only: the addresses themselves stay out of the audit trail.
    expect(JSON.stringify(events)).not.toContain('r@p.test');

    expect((await t.client.delete(PATH, tenant.partnerToken, { 'if-match': etag })).status).toBe(412);
    expect((await t.client.delete(PATH, tenant.partnerToken, { 'if-match': replaced.headers.etag as string })).status).toBe(204);
    expect((await t.client.get(PATH, tenant.partnerToken)).status).toBe(404);
  });

  it('an org has its own recipients; another tenant’s org is not found; a controller admin must name the scope', async () => {
    const own = await put({ alerting_address: 'oncall@o.test' }, tenant.orgToken);
    expect(own.status).toBe(201);
    const viaPartner = await t.client.get(`${PATH}?org_id=${tenant.orgId}`, tenant.partnerToken);
    expect(viaPartner.body.alerting_address).toEqual(['oncall@o.test']);
    expect((await t.client.get(`${PATH}?org_id=${tenant.orgId}`, other.partnerToken)).status).toBe(404);
    expect((await put({ alerting_address: 'x@evil.test' }, other.orgToken, `?org_id=${tenant.orgId}`)).status).toBe(404);
    const noScope = await t.client.get(PATH, root);
    expect(noScope.status).toBe(400);
    expect((await t.client.get(`${PATH}?partner_id=${tenant.partnerId}`, root)).status).toBe(404);
  });
});
