/** Both audit endpoints take every parameter bare or with the seed's `filter.` prefix. */
import { startTestApp, TestApp } from '../support/app';
import { buildWorld, World } from '../support/world';

describe('audit query parameter spellings', () => {
  let t: TestApp;
  let w: World;

  beforeAll(async () => {
    t = await startTestApp();
    w = await buildWorld(t.client, 'spell');
  });
  afterAll(async () => {
    await t.close();
  });

  const orgIds = (res: { body: { items: Array<{ org_id: string | null }> } }) => [...new Set(res.body.items.map((i) => i.org_id))];

  it('accepts filter.org_id on the org endpoint, like org_id', async () => {
    const prefixed = await t.client.get(`/event/v1/auditlog?filter.org_id=${w.orgA1.id}&filter.timefrom=now-1h`, w.root.token);
    expect(prefixed.status).toBe(200);
    expect(prefixed.body.items.length).toBeGreaterThan(0);
    expect(orgIds(prefixed)).toEqual([w.orgA1.id]);
    const bare = await t.client.get(`/event/v1/auditlog?org_id=${w.orgA1.id}&filter.timefrom=now-1h`, w.root.token);
    expect(bare.body.items.map((i: { event_id: string }) => i.event_id)).toEqual(
      prefixed.body.items.map((i: { event_id: string }) => i.event_id),
    );
  });

  it('accepts bare filters on the org endpoint and prefixed filters on the partner endpoint', async () => {
    const org = await t.client.get(`/event/v1/auditlog?org_id=${w.orgA1.id}&timefrom=now-1h&limit=1&category=SYSTEMAUDIT`, w.root.token);
    expect(org.status).toBe(200);
    expect(org.body).toMatchObject({ limit: 1 });
    expect(org.body.items).toHaveLength(1);
    const partner = await t.client.get(
      `/opsauditlogs/?filter.partner_id=${w.partnerA.id}&filter.org_id=${w.orgA2.id}&filter.timefrom=now-7d&filter.limit=2`,
      w.root.token,
    );
    expect(partner.status).toBe(200);
    expect(partner.body).toMatchObject({ limit: 2 });
    expect(orgIds(partner)).toEqual([w.orgA2.id]);
  });

  it('accepts the same parameter twice with the same value, and refuses it with different values, naming it', async () => {
    const same = await t.client.get(`/event/v1/auditlog?org_id=${w.orgA1.id}&filter.limit=1&limit=1`, w.root.token);
    expect(same.status).toBe(200);
    const cases = [
      [`/event/v1/auditlog?org_id=${w.orgA1.id}&filter.org_id=${w.orgA2.id}`, 'org_id'],
      [`/event/v1/auditlog?org_id=${w.orgA1.id}&filter.limit=1&limit=2`, 'filter.limit'],
      [`/opsauditlogs?timefrom=now-1h&filter.timefrom=now-2h`, 'timefrom'],
      [`/opsauditlogs?partner_id=${w.partnerA.id}&partner_id=${w.partnerB.id}`, 'partner_id'],
    ];
    for (const [url, field] of cases) {
      const res = await t.client.get(url!, w.root.token);
      expect({ url, status: res.status, code: res.body.code }).toEqual({ url, status: 400, code: 'INVALID_AUDIT_QUERY' });
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.errors).toEqual([expect.objectContaining({ field, rule: 'single' })]);
    }
  });

  it('still refuses unknown parameters in either spelling', async () => {
    const res = await t.client.get(`/event/v1/auditlog?org_id=${w.orgA1.id}&filter.sort=asc`, w.root.token);
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([expect.objectContaining({ field: 'filter.sort', rule: 'unknown_field' })]);
  });
});
