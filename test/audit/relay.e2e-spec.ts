/**
 * The audit relay against Elastic's mock transport under the real client: the bulk body, per-item
 * outcomes, an unavailable cluster, a relay that dies after the acknowledgement, parallel relays and
 * transactions that commit late. Postgres is real; the app runs without its own relay here
 * (WORKER_IN_PROCESS=false) so each test drives relays itself.
 */
import { AuditWriter, defineAuditEvent } from '@mailstrata/audit';
import { register } from 'prom-client';
import { DataSource } from 'typeorm';
import { startTestApp, TestApp } from '../support/app';
import { buildWorld, World } from '../support/world';
import { relayFor } from './audit-app';
import { FakeElasticsearch } from './fake-elasticsearch';

const TestEvent = defineAuditEvent('test.relay.probe', ['n']);

async function metric(name: string): Promise<number> {
  const m = await register.getSingleMetric(name)?.get();
  return m?.values[0]?.value ?? 0;
}

describe('audit relay', () => {
  let t: TestApp;
  let w: World;
  let es: FakeElasticsearch;

  const undelivered = async () =>
    (await t.db.query<{ id: string }>('SELECT id FROM audit_events WHERE delivered_at IS NULL AND parked_at IS NULL ORDER BY seq')).map(
      (r) => r.id,
    );
  const toggle = (enabled: boolean) =>
    t.client.patch(`/auth/v1/organizations/${w.orgA1.id}`, { smtp_override_enabled: enabled }, w.partnerA.admin.token);
  const record = async (count: number) => {
    const writer = t.app.get(AuditWriter);
    const ids: string[] = [];
    await t.app.get(DataSource).transaction(async (m) => {
      for (let n = 0; n < count; n += 1) {
        ids.push(await writer.record(m, TestEvent, { outcome: 'success', actor: null, orgId: w.orgB1.id, details: { n } }));
      }
    });
    return ids;
  };

  beforeAll(async () => {
    t = await startTestApp({ env: { WORKER_IN_PROCESS: 'false' } });
    w = await buildWorld(t.client, 'relay');
  });
  afterAll(async () => {
    await t.close();
  });
  beforeEach(async () => {
    // Each test starts from an empty outbox and an empty cluster.
    await t.db.query('UPDATE audit_events SET delivered_at = now() WHERE delivered_at IS NULL');
    es = new FakeElasticsearch();
  });

  it('sends a bulk body of create actions with the event id as _id and the documented event model', async () => {
    expect((await toggle(true)).status).toBe(200);
    const [id] = await undelivered();
    const result = await relayFor(t, es).drain();
    expect(result).toMatchObject({ claimed: 1, delivered: 1, retried: 0, parked: 0 });

    expect(es.bulkRequests).toHaveLength(1);
    const [action, doc] = es.bulkRequests[0] as [any, any];
    const month = new Date().toISOString().slice(0, 7).replace('-', '.');
    expect(action).toEqual({ create: { _index: `audit-test-${month}`, _id: id } });
    expect(Object.keys(doc).sort()).toEqual(
      ['@timestamp', 'event_id', 'category', 'type', 'outcome', 'actor', 'partner_id', 'org_id', 'resource', 'details'].sort(),
    );
    expect(doc).toMatchObject({
      event_id: id,
      category: 'SYSTEMAUDIT',
      type: 'organization.smtp_override.changed',
      outcome: 'success',
      actor: { type: 'user', id: w.partnerA.admin.id, name: null, email: w.partnerA.admin.email, role: 'partner_admin' },
      partner_id: w.partnerA.id,
      org_id: w.orgA1.id,
      resource: { type: 'organization', id: w.orgA1.id },
      details: { enabled: true, previous: false },
    });
    expect(Object.keys(doc.actor).sort()).toEqual(['email', 'id', 'ip', 'name', 'role', 'type', 'user_agent']);
    expect(new Date(doc['@timestamp']).toISOString()).toBe(doc['@timestamp']);
    // The template was installed first, with the typed mapping the queries rely on.
    const template = es.templates.get('audit-test') as any;
    expect(template.index_patterns).toEqual(['audit-test-*']);
    expect(template.template.mappings.properties.event_id).toEqual({ type: 'keyword' });
    expect(template.template.mappings.properties.details).toEqual({ type: 'flattened' });

    const [row] = await t.db.query<any>('SELECT delivered_at, delivery_attempts, last_error FROM audit_events WHERE id = $1', [id]);
    expect(row.delivered_at).not.toBeNull();
    expect(row.delivery_attempts).toBe(1);
  });

  it('handles a partial failure per item: 409 is delivered, 429 is retried with backoff, 400 is parked with its reason', async () => {
    const [throttled, refused, present] = await record(3);
    // `present` landed in an earlier attempt that never got marked.
    await relayFor(t, es).drain();
    await t.db.query('UPDATE audit_events SET delivered_at = NULL, delivery_attempts = 0 WHERE id = ANY($1)', [
      [throttled, refused, present],
    ]);
    es.indices.get([...es.indices.keys()][0] as string)?.delete(throttled as string);
    es.indices.get([...es.indices.keys()][0] as string)?.delete(refused as string);
    es.bulkRequests.length = 0;

    es.override = (id) =>
      id === throttled
        ? { status: 429, type: 'es_rejected_execution_exception', reason: 'rejected execution' }
        : id === refused
          ? { status: 400, type: 'mapper_parsing_exception', reason: 'failed to parse field [details]' }
          : undefined;
    const before = {
      delivered: await metric('mailstrata_audit_delivered_total'),
      retried: await metric('mailstrata_audit_retried_total'),
      parked: await metric('mailstrata_audit_parked_total'),
    };
    const result = await relayFor(t, es).runBatch();
    expect(result).toMatchObject({ claimed: 3, delivered: 1, retried: 1, parked: 1 });
    expect(await metric('mailstrata_audit_delivered_total')).toBe(before.delivered + 1);
    expect(await metric('mailstrata_audit_retried_total')).toBe(before.retried + 1);
    expect(await metric('mailstrata_audit_parked_total')).toBe(before.parked + 1);

    const rows = await t.db.query<any>(
      'SELECT id, delivered_at, parked_at, next_attempt_at, delivery_attempts, last_error FROM audit_events WHERE id = ANY($1)',
      [[throttled, refused, present]],
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(byId.get(present).delivered_at).not.toBeNull();
    expect(byId.get(throttled)).toMatchObject({ delivered_at: null, parked_at: null, delivery_attempts: 1 });
    expect(byId.get(throttled).next_attempt_at).not.toBeNull();
    expect(byId.get(throttled).last_error).toContain('429');
    expect(byId.get(refused).parked_at).not.toBeNull();
    expect(byId.get(refused).last_error).toContain('mapper_parsing_exception');

    // Once the cluster accepts it, the throttled event lands; the parked one is never sent again.
    es.override = () => undefined;
    es.bulkRequests.length = 0;
    const relay = relayFor(t, es);
    await expect(
      (async () => {
        const deadline = Date.now() + 10_000;
        while ((await undelivered()).includes(throttled as string)) {
          if (Date.now() > deadline) throw new Error('throttled event never delivered');
          await relay.drain();
        }
      })(),
    ).resolves.toBeUndefined();
    const sentIds = es.bulkRequests
      .flat()
      .filter((l) => l.create)
      .map((l) => l.create._id);
    expect(sentIds).toContain(throttled);
    expect(sentIds).not.toContain(refused);
    expect(es.copiesByEventId().get(throttled as string)).toBe(1);
  });

  it('keeps config changes working while the cluster is down, then delivers every event exactly once', async () => {
    es.down = true;
    const relay = relayFor(t, es);
    for (let i = 0; i < 500; i += 1) {
      const res = await toggle(i % 2 === 0);
      expect(res.status).toBe(200);
      if (i % 100 === 99) expect((await relay.drain()).unavailable).toMatch(/ECONNREFUSED|ConnectionError/);
    }
    const backlog = await undelivered();
    expect(backlog).toHaveLength(500);
    expect((await relay.refreshGauges()).backlog).toBe(500);
    expect(await metric('mailstrata_audit_outbox_backlog')).toBe(500);
    expect(es.documents()).toHaveLength(0);

    es.down = false;
    const result = await relay.drain();
    expect(result).toMatchObject({ delivered: 500, parked: 0 });
    expect(await undelivered()).toEqual([]);
    const copies = es.copiesByEventId();
    expect([...copies.keys()].sort()).toEqual([...backlog].sort());
    expect([...copies.values()].every((n) => n === 1)).toBe(true);
    expect((await relay.refreshGauges()).backlog).toBe(0);
  });

  it('redelivers without a visible duplicate when a relay dies after the acknowledgement and before marking', async () => {
    const ids = await record(25);
    const dying = relayFor(t, es, {
      hooks: {
        afterSinkAck: async () => {
          throw new Error('relay killed');
        },
      },
    });
    await expect(dying.runBatch()).rejects.toThrow('relay killed');
    // The cluster has the events, Postgres still has them as undelivered.
    expect(es.documents()).toHaveLength(25);
    expect((await undelivered()).sort()).toEqual([...ids].sort());

    const result = await relayFor(t, es).drain();
    expect(result).toMatchObject({ claimed: 25, delivered: 25 });
    expect(await undelivered()).toEqual([]);
    const second = es.bulkRequests[1] as any[];
    expect(second.filter((l) => l.create)).toHaveLength(25);
    expect([...es.copiesByEventId().values()]).toEqual(new Array(25).fill(1));
  });

  it('lets two relays in parallel deliver each event once', async () => {
    const ids = await record(300);
    const [a, b] = await Promise.all([relayFor(t, es, { batchSize: 20 }).drain(), relayFor(t, es, { batchSize: 20 }).drain()]);
    expect(a.delivered + b.delivered).toBe(300);
    expect(await undelivered()).toEqual([]);
    // SKIP LOCKED gives the relays disjoint batches: not even a 409 was needed.
    const sent = es.bulkRequests
      .flat()
      .filter((l) => l.create)
      .map((l) => l.create._id);
    expect(sent).toHaveLength(300);
    expect(new Set(sent)).toEqual(new Set(ids));
  });

  it('never skips an event whose transaction commits after later events were delivered', async () => {
    const writer = t.app.get(AuditWriter);
    const runner = t.app.get(DataSource).createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    let late: string;
    try {
      late = await writer.record(runner.manager, TestEvent, { outcome: 'success', actor: null, details: { n: -1 } });
      const later = await record(5);
      const relay = relayFor(t, es);
      expect((await relay.drain()).delivered).toBe(5);
      expect(es.copiesByEventId().has(late)).toBe(false);
      expect([...es.copiesByEventId().keys()].sort()).toEqual([...later].sort());
      await runner.commitTransaction();
    } finally {
      await runner.release();
    }
    const [row] = await t.db.query<{ seq: string }>('SELECT seq FROM audit_events WHERE id = $1', [late]);
    const [max] = await t.db.query<{ max: string }>('SELECT max(seq) AS max FROM audit_events');
    expect(BigInt(row!.seq)).toBeLessThan(BigInt(max!.max));
    expect((await relayFor(t, es).drain()).delivered).toBe(1);
    expect(es.copiesByEventId().get(late)).toBe(1);
  });
});
