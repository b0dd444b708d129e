import { startTestApp, TestApp } from '../support/app';
import { createTenant, eventually, rootToken, setOverride, smtp, Tenant } from './helpers';

const EFFECTIVE = '/event/v1/email/config/effective';

describe('email config: two replicas on one database, concurrency and preconditions', () => {
  let a: TestApp;
  let b: TestApp;
  let tenant: Tenant;
  beforeAll(async () => {
    a = await startTestApp();
    b = await startTestApp({ db: a.db });
    tenant = await createTenant(a.client, await rootToken(a.client));
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  const hostOn = async (app: TestApp, token: string) => {
    const res = await app.client.get(EFFECTIVE, token);
    return res.status === 200 ? (res.body.email_config.smtp_config.host as string) : `status ${res.status}`;
  };

  it('sees the other replica’s profile changes and switch flips within a second', async () => {
    expect((await a.client.post('/event/v1/email/config', smtp({ host: 'one.partner.test' }), tenant.partnerToken)).status).toBe(201);
    expect(await hostOn(b, tenant.orgToken)).toBe('one.partner.test'); // B's cache is now warm

    expect(
      (
        await a.client.patch(
          '/event/v1/email/config',
          { email_config: { smtp_config: { host: 'two.partner.test', password: 'x-pass-2' } } },
          tenant.partnerToken,
        )
      ).status,
    ).toBe(200);
    expect(await hostOn(a, tenant.orgToken)).toBe('two.partner.test'); // the writer's replica: at once
    const updateMs = await eventually(async () => (await hostOn(b, tenant.orgToken)) === 'two.partner.test', 1000);

    await setOverride(a.client, tenant.partnerToken, tenant.orgId, true);
    expect(
      (await a.client.post(`/event/v1/email/config?org_id=${tenant.orgId}`, smtp({ host: 'org.tenant.test' }), tenant.partnerToken)).status,
    ).toBe(201);
    const orgMs = await eventually(async () => (await hostOn(b, tenant.orgToken)) === 'org.tenant.test', 1000);

    await setOverride(a.client, tenant.partnerToken, tenant.orgId, false);
    const switchMs = await eventually(async () => (await hostOn(b, tenant.orgToken)) === 'two.partner.test', 1000);

    expect((await b.client.delete('/event/v1/email/config', tenant.partnerToken)).status).toBe(204);
    const deleteMs = await eventually(async () => (await hostOn(a, tenant.orgToken)) === 'status 409', 1000);
    expect(Math.max(updateMs, orgMs, switchMs, deleteMs)).toBeLessThan(1000);
  });

  it('leaves exactly one active version, numbered without gaps, when POSTs for one scope race on both replicas', async () => {
    const other = await createTenant(a.client, await rootToken(a.client), 'race');
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        (i % 2 ? a : b).client.post('/event/v1/email/config', smtp({ host: `race-${i}.test` }), other.partnerToken),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
    const rows = await a.db.query<{ count: number; active: number; version: number; distinct_versions: number }>(
      `SELECT count(*)::int AS count, count(*) FILTER (WHERE state = 'active')::int AS active, max(version) AS version,
              count(DISTINCT version)::int AS distinct_versions FROM smtp_profiles WHERE partner_id = $1`,
      [other.partnerId],
    );
    expect(rows[0]).toEqual({ count: 10, active: 1, version: 10, distinct_versions: 10 });
  });

  it('honours If-Match and If-None-Match on POST, PATCH and DELETE', async () => {
    const url = '/event/v1/email/config';
    const token = tenant.partnerToken;
    const none = await a.client.patch(url, { email_config: { smtp_config: { retries: 1 } } }, token, { 'if-match': '*' });
    expect(none.status).toBe(404); // nothing to patch
    expect((await a.client.post(url, smtp(), token, { 'if-match': '*' })).status).toBe(412); // * needs a current profile

    const created = await a.client.post(url, smtp(), token, { 'if-none-match': '*' });
    expect(created.status).toBe(201);
    const etag1 = created.headers.etag as string;
    const again = await a.client.post(url, smtp(), token, { 'if-none-match': '*' });
    expect(again.status).toBe(412);
    expect(again.body.code).toBe('PRECONDITION_FAILED');

    const patched = await b.client.patch(url, { email_config: { smtp_config: { retries: 4 } } }, token, { 'if-match': etag1 });
    expect(patched.status).toBe(200);
    const etag2 = patched.headers.etag as string;
    expect(etag2).not.toBe(etag1);

    for (const stale of [
      await a.client.patch(url, { email_config: { smtp_config: { retries: 5 } } }, token, { 'if-match': etag1 }),
      await a.client.post(url, smtp(), token, { 'if-match': etag1 }),
      await a.client.delete(url, token, { 'if-match': etag1 }),
    ]) {
      expect(stale.status).toBe(412);
      expect(stale.body.code).toBe('PRECONDITION_FAILED');
    }
    expect((await a.client.get(url, token)).body.email_config.smtp_config.retries).toBe(4);
    expect((await a.client.post(url, smtp({ retries: 6 }), token, { 'if-match': `"nope", ${etag2}` })).status).toBe(200);
    const current = (await a.client.get(url, token)).headers.etag as string;
    expect((await a.client.delete(url, token, { 'if-match': '*' })).status).toBe(204);
    // a new profile after a delete does not match the old ETag even at the same version number
    expect((await a.client.post(url, smtp(), token)).status).toBe(201);
    expect((await a.client.delete(url, token, { 'if-match': current })).status).toBe(412);
  });
});
