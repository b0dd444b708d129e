/**
 * The auditors' query endpoints, written once and run against each store: Postgres in the default
 * suite (audit-query.e2e-spec.ts), a real Elasticsearch cluster in the opt-in one (test/audit-es).
 * Passing both is what "the same answers" means.
 */
import { AuditWriter, defineAuditEvent } from '@mailstrata/audit';
import { DataSource } from 'typeorm';
import type { TestApp } from '../support/app';
import { buildWorld, World } from '../support/world';

export interface QueryHarness {
  t: TestApp;
  /** Makes what Postgres holds searchable (for Elasticsearch: relay and refresh). */
  sync(): Promise<void>;
  close(): Promise<void>;
}

const Probe = defineAuditEvent('test.query.probe', ['age', 'tag']);
const HOUR = 3_600_000;

export function auditQuerySuite(name: string, boot: () => Promise<QueryHarness>): void {
  describe(name, () => {
    let h: QueryHarness;
    let w: World;
    const ages = { a1: [2 * HOUR, 3 * 24 * HOUR, 10 * 24 * HOUR], b1: [2 * HOUR], partnerA: [5 * HOUR] };
    const seeded: Record<string, string> = {};

    const get = (url: string, token: string) => h.t.client.get(url, token);
    const ids = (res: { body: { items: { event_id: string }[] } }) => res.body.items.map((i) => i.event_id);
    const all = async (url: string, token: string) => {
      const sep = url.includes('?') ? '&' : '?';
      const prefix = url.startsWith('/event') ? 'filter.' : '';
      const res = await get(`${url}${sep}${prefix}limit=100`, token);
      expect(res.status).toBe(200);
      return res;
    };

    beforeAll(async () => {
      h = await boot();
      w = await buildWorld(h.t.client, 'audq');
      const writer = h.t.app.get(AuditWriter);
      const now = Date.now();
      await h.t.app.get(DataSource).transaction(async (m) => {
        const put = async (key: string, orgId: string | null, partnerId: string | null, age: number) => {
          seeded[`${key}:${age}`] = await writer.record(m, Probe, {
            outcome: age > 5 * 24 * HOUR ? 'failure' : 'success',
            actor: null,
            orgId,
            partnerId,
            occurredAt: new Date(now - age),
            details: { age, tag: key },
          });
        };
        for (const age of ages.a1) await put('a1', w.orgA1.id, null, age);
        for (const age of ages.b1) await put('b1', w.orgB1.id, null, age);
        for (const age of ages.partnerA) await put('partnerA', null, w.partnerA.id, age);
      });
      await h.sync();
    });
    afterAll(async () => {
      await h?.close();
    });

    it("answers the seed's org-level URL verbatim with the caller's org only", async () => {
      const res = await get(
        '/event/v1/auditlog?&filter.timefrom=now-1h&filter.offset=0&filter.limit=10&filter.category=SYSTEMAUDIT',
        w.orgA1.admin.token,
      );
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeGreaterThan(0);
      expect(res.body).toMatchObject({ offset: 0, limit: 10 });
      for (const item of res.body.items) {
        expect(item.org_id).toBe(w.orgA1.id);
        expect(item.category).toBe('SYSTEMAUDIT');
        expect(Date.now() - Date.parse(item.timestamp)).toBeLessThanOrEqual(HOUR + 60_000);
      }
      const everything = await all('/event/v1/auditlog', w.orgA1.auditor.token);
      expect(everything.body.items.every((i: { org_id: string }) => i.org_id === w.orgA1.id)).toBe(true);
      expect(ids(everything)).toEqual(expect.arrayContaining(ages.a1.map((a) => seeded[`a1:${a}`])));
      expect(ids(everything)).not.toContain(seeded[`b1:${ages.b1[0]}`]);
      expect(ids(everything)).not.toContain(seeded[`partnerA:${ages.partnerA[0]}`]);
      expect(everything.body.total).toBe(everything.body.items.length);
    });

    it('never shows an org admin another organization (404, like a missing one)', async () => {
      for (const org of [w.orgA2.id, w.orgB1.id, '00000000-0000-4000-8000-000000000000']) {
        const res = await get(`/event/v1/auditlog?org_id=${org}`, w.orgA1.admin.token);
        expect(res.status).toBe(404);
      }
      const ops = await get('/opsauditlogs/', w.orgA1.admin.token);
      expect(ops.status).toBe(403);
      expect(ops.body.code).toBe('PARTNER_SCOPE_REQUIRED');
    });

    it("shows a partner its own events and all its orgs', and no one else's", async () => {
      const res = await all('/opsauditlogs/?timefrom=now-30d&category=SYSTEMAUDIT', w.partnerA.auditor.token);
      const orgs = new Set(res.body.items.map((i: { org_id: string | null }) => i.org_id));
      expect(orgs).toEqual(new Set([w.orgA1.id, w.orgA2.id, null]));
      expect(res.body.items.every((i: { partner_id: string }) => i.partner_id === w.partnerA.id)).toBe(true);
      expect(ids(res)).toContain(seeded[`partnerA:${ages.partnerA[0]}`]);
      expect(ids(res)).not.toContain(seeded[`b1:${ages.b1[0]}`]);

      const narrowed = await all(`/opsauditlogs/?org_id=${w.orgA2.id}`, w.partnerA.admin.token);
      expect(narrowed.body.items.length).toBeGreaterThan(0);
      expect(narrowed.body.items.every((i: { org_id: string }) => i.org_id === w.orgA2.id)).toBe(true);
      expect((await get(`/opsauditlogs/?org_id=${w.orgB1.id}`, w.partnerA.admin.token)).status).toBe(404);
      expect((await get(`/opsauditlogs/?partner_id=${w.partnerB.id}`, w.partnerA.admin.token)).status).toBe(404);
      // The org-level endpoint works for a partner admin naming one of its orgs, and needs the name.
      const orgLevel = await all(`/event/v1/auditlog?org_id=${w.orgA1.id}`, w.partnerA.admin.token);
      expect(ids(orgLevel)).toContain(seeded[`a1:${ages.a1[0]}`]);
      const missing = await get('/event/v1/auditlog', w.partnerA.admin.token);
      expect(missing.status).toBe(400);
      expect(missing.body.code).toBe('ORG_ID_REQUIRED');
      expect((await get(`/event/v1/auditlog?org_id=${w.orgB1.id}`, w.partnerA.admin.token)).status).toBe(404);
    });

    it('lets a controller admin name any partner or org', async () => {
      const b = await all(`/opsauditlogs/?partner_id=${w.partnerB.id}`, w.root.token);
      expect(b.body.items.length).toBeGreaterThan(0);
      expect(b.body.items.every((i: { partner_id: string }) => i.partner_id === w.partnerB.id)).toBe(true);
      expect(ids(b)).toContain(seeded[`b1:${ages.b1[0]}`]);
      const a2 = await all(`/event/v1/auditlog?org_id=${w.orgA2.id}`, w.root.token);
      expect(a2.body.items.every((i: { org_id: string }) => i.org_id === w.orgA2.id)).toBe(true);
      const everyone = await all('/opsauditlogs/?type=test.query.probe', w.root.token);
      expect(new Set(ids(everyone))).toEqual(new Set(Object.values(seeded)));
    });

    it('filters by type, outcome and time with date math and ISO timestamps', async () => {
      const url = (q: string) => `/event/v1/auditlog?filter.type=test.query.probe${q}`;
      const tok = w.orgA1.admin.token;
      const idsOf = async (q: string) => ids(await all(url(q), tok));
      const [h2, d3, d10] = ages.a1.map((a) => seeded[`a1:${a}`]);
      expect(await idsOf('')).toEqual([h2, d3, d10]);
      expect(await idsOf('&filter.timefrom=now-1d')).toEqual([h2]);
      expect(await idsOf('&filter.timefrom=now-7d/d')).toEqual([h2, d3]);
      expect(await idsOf('&filter.timeto=now-5d')).toEqual([d10]);
      expect(await idsOf('&filter.timefrom=now-4d&filter.timeto=now-1h')).toEqual([h2, d3]);
      const iso = new Date(Date.now() - 4 * 24 * HOUR).toISOString();
      expect(await idsOf(`&filter.timefrom=${encodeURIComponent(iso)}`)).toEqual([h2, d3]);
      expect(await idsOf('&filter.outcome=failure')).toEqual([d10]);
      expect(await idsOf('&filter.category=OTHER')).toEqual([]);
      const mixed = await all('/event/v1/auditlog?filter.type=test.query.probe,organization.created', tok);
      expect(new Set(mixed.body.items.map((i: { type: string }) => i.type))).toEqual(new Set(['test.query.probe', 'organization.created']));
    });

    it('pages newest first with a total, by offset and by cursor, with the same order', async () => {
      const full = await all('/opsauditlogs/', w.partnerA.admin.token);
      const list = ids(full);
      expect(list.length).toBeGreaterThan(6);
      expect(new Set(list).size).toBe(list.length);
      const times = full.body.items.map((i: { timestamp: string }) => Date.parse(i.timestamp));
      expect([...times].sort((a, b) => b - a)).toEqual(times);

      const page = await get('/opsauditlogs/?offset=2&limit=3', w.partnerA.admin.token);
      expect(page.body.total).toBe(list.length);
      expect(ids(page)).toEqual(list.slice(2, 5));

      const walked: string[] = [];
      let cursor: string | null = null;
      for (let n = 0; n < 50; n += 1) {
        const res: { status: number; body: any } = await get(
          `/opsauditlogs/?limit=4${cursor ? `&cursor=${cursor}` : ''}`,
          w.partnerA.admin.token,
        );
        expect(res.status).toBe(200);
        expect(res.body.total).toBe(list.length);
        walked.push(...ids(res));
        cursor = res.body.next_cursor;
        if (!cursor) break;
      }
      expect(walked).toEqual(list);
    });

    it('refuses bad parameters with a 400 problem naming each one', async () => {
      const tok = w.orgA1.admin.token;
      const bad = async (query: string, field: string, rule: string) => {
        const res = await get(`/event/v1/auditlog?${query}`, tok);
        expect(res.status).toBe(400);
        expect(res.headers['content-type']).toContain('application/problem+json');
        expect(res.body.code).toBe('INVALID_AUDIT_QUERY');
        expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field, rule })]));
        return res;
      };
      const capped = await bad('filter.limit=1000', 'filter.limit', 'max');
      expect(capped.body.errors[0].message).toContain('at most 100');
      await bad('filter.limit=0', 'filter.limit', 'isInt');
      await bad('filter.offset=-1', 'filter.offset', 'isInt');
      await bad('filter.offset=9995&filter.limit=10', 'filter.offset', 'max');
      await bad('filter.timefrom=yesterday', 'filter.timefrom', 'isDateMath');
      await bad('filter.timeto=now-5x', 'filter.timeto', 'isDateMath');
      await bad('filter.timefrom=now&filter.timeto=now-1d', 'filter.timefrom', 'beforeTimeto');
      await bad('filter.cursor=not-a-cursor', 'filter.cursor', 'isCursor');
      await bad('filter.limit=1&filter.limit=2', 'filter.limit', 'single');
      await bad('filter.bogus=1', 'filter.bogus', 'unknown_field');
      // Either spelling names the same filter: given twice with different values, it is refused.
      await bad('timefrom=now-1h&filter.timefrom=now-2h', 'filter.timefrom', 'single');
      await bad('filter.outcome=maybe', 'filter.outcome', 'isIn');
      const ops = await get('/opsauditlogs/?limit=abc&org_id=nope', w.partnerA.admin.token);
      expect(ops.status).toBe(400);
      expect(ops.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'limit', rule: 'isInt' })]));
      expect((await h.t.client.get('/event/v1/auditlog')).status).toBe(401);
    });
  });
}
