/**
 * SIGTERM to the worker deployment while its audit relay is shipping events (the audit half of "SIGTERM
 * under load"). The worker runs as a real process against a real Postgres and an Elasticsearch stand-in:
 * a real HTTP server that answers the three APIs the relay uses (ILM policy, index template, and `_bulk`
 * through the relay suites' FakeElasticsearch, whose `create` of an `_id` already indexed is a 409) and
 * holds every bulk response back for a while, so a batch is on the wire when the signal arrives. Elasticsearch is the one service the
 * tests may stand in for (DESIGN.md); the worker talks to it through the real client over HTTP.
 *
 * The worker must exit 0 within the shutdown deadline, and the batch in flight must be finished and
 * booked: every event the stand-in acknowledged is marked delivered in Postgres, nothing is marked
 * delivered that it did not acknowledge, and the rest waits, unclaimed. A second worker then ships the
 * rest: every event ends up in the index exactly once.
 */
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { AuditWriter, defineAuditEvent } from '@mailstrata/audit';
import { getDataSourceToken } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { startTestApp, TestApp, testEnv } from '../support/app';
import { createTestDatabase, TestDatabase } from '../support/database';
import { WorkerProcesses, workerDeploymentEnv } from './support/workers';
import { waitFor } from '../support/wait';
import { FakeElasticsearch } from '../audit/fake-elasticsearch';

const EVENTS = 400;
const BATCH = 25;
const BULK_DELAY_MS = 120;
const SHUTDOWN_TIMEOUT_MS = 15_000;
const SigtermProbe = defineAuditEvent('test.sigterm_probe', ['n']);

interface ElasticStandIn {
  url: string;
  /** The cluster's state; the HTTP server answers `_bulk` through it. */
  fake: FakeElasticsearch;
  /** `_id`s whose bulk response has been sent. */
  acknowledged: Set<string>;
  inFlight(): number;
  close(): Promise<void>;
}

/** FakeElasticsearch behind a real HTTP server, each bulk response held back `delayMs`. */
async function startElasticStandIn(delayMs: number): Promise<ElasticStandIn> {
  const fake = new FakeElasticsearch();
  const acknowledged = new Set<string>();
  let inFlight = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' });
        res.end(JSON.stringify(body));
      };
      const path = (req.url ?? '').split('?')[0]!;
      if (req.method === 'PUT' && (path.startsWith('/_index_template/') || path.startsWith('/_ilm/policy/'))) {
        reply(200, { acknowledged: true });
        return;
      }
      if ((req.method === 'POST' || req.method === 'PUT') && path === '/_bulk') {
        const lines = Buffer.concat(chunks)
          .toString('utf8')
          .split('\n')
          .filter((l) => l.trim() !== '')
          .map((l) => JSON.parse(l) as Record<string, unknown>);
        const answer = fake.bulk(lines);
        inFlight += 1;
        setTimeout(() => {
          inFlight -= 1;
          for (const item of answer.items) acknowledged.add(String(item.create._id));
          reply(200, answer);
        }, delayMs);
        return;
      }
      reply(404, { error: { type: 'not_found', reason: `${req.method} ${path}` }, status: 404 });
    });
  });
  const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
  return {
    url: `http://127.0.0.1:${port}`,
    fake,
    acknowledged,
    inFlight: () => inFlight,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** How many `create` actions carried each `_id`, over every bulk request. */
function createsById(fake: FakeElasticsearch): Map<string, number> {
  const counts = new Map<string, number>();
  for (const lines of fake.bulkRequests)
    for (let i = 0; i < lines.length; i += 2) {
      const id = String(lines[i]!.create._id);
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
  return counts;
}

describe('SIGTERM to the worker while its audit relay ships events (child process)', () => {
  let db: TestDatabase;
  let elastic: ElasticStandIn;
  let api: TestApp;
  let env: Record<string, string>;
  const workers = new WorkerProcesses();

  beforeAll(async () => {
    db = await createTestDatabase();
    elastic = await startElasticStandIn(BULK_DELAY_MS);
    env = testEnv(db.url, {
      ELASTIC_SEARCH_FQDN: elastic.url,
      ES_INDEX_PREFIX: 'audit-sigterm',
      AUDIT_RELAY_BATCH_SIZE: String(BATCH),
      AUDIT_RELAY_INTERVAL_MS: '50',
      ...workerDeploymentEnv(SHUTDOWN_TIMEOUT_MS),
    });
    api = await startTestApp({ db, env });
  });

  afterAll(async () => {
    await workers.killLeftovers();
    await api?.close();
    await elastic?.close();
    await db?.drop();
  });

  const probeEvents = () =>
    db.query<{ id: string; delivered: boolean }>(
      `SELECT id::text, delivered_at IS NOT NULL AS delivered FROM audit_events WHERE type = 'test.sigterm_probe' ORDER BY seq`,
    );
  const startWorker = () => workers.start(env);

  it('finishes and books the batch in flight, exits 0, and a second worker ships the rest exactly once', async () => {
    const dataSource = api.app.get<DataSource>(getDataSourceToken());
    const audit = api.app.get(AuditWriter);
    for (let i = 0; i < EVENTS; i += 1) {
      await dataSource.transaction((m) => audit.record(m, SigtermProbe, { outcome: 'success', actor: null, details: { n: i } }));
    }
    // The API's own start-up may have written events too: they ship alongside and are not counted.
    const ids = (await probeEvents()).map((e) => e.id);
    expect(ids).toHaveLength(EVENTS);

    const first = await startWorker();
    await waitFor(
      () => (elastic.acknowledged.size >= 3 * BATCH && elastic.inFlight() > 0 ? true : undefined),
      30_000,
      'the relay to be mid-run with a batch on the wire',
    );
    const signalledAt = Date.now();
    first.child.kill('SIGTERM');
    const code = await first.exited;
    const tookMs = Date.now() - signalledAt;

    expect(code).toBe(0);
    expect(tookMs).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
    expect(first.output()).toContain('mailstrata-worker: stopped');

    const afterStop = await probeEvents();
    const delivered = afterStop.filter((e) => e.delivered).map((e) => e.id);
    const waiting = afterStop.filter((e) => !e.delivered).map((e) => e.id);
    // The batch on the wire was answered and booked before the process left: what the cluster holds
    // is exactly what Postgres marks delivered, and the signal came before the end.
    expect(delivered.length).toBeGreaterThan(0);
    expect(waiting.length).toBeGreaterThan(0);
    expect(delivered.every((id) => elastic.acknowledged.has(id))).toBe(true);
    expect(ids.filter((id) => elastic.acknowledged.has(id)).sort()).toEqual([...delivered].sort());
    const [claimed] = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit_events WHERE type = 'test.sigterm_probe' AND delivered_at IS NULL AND (delivery_attempts > 0 OR parked_at IS NOT NULL)`,
    );
    expect(claimed!.n).toBe(0);
    process.stdout.write(
      `sigterm-audit-relay: ${JSON.stringify({ delivered: delivered.length, waiting: waiting.length, exitMs: tookMs })}\n`,
    );

    const second = await startWorker();
    await waitFor(
      async () => ((await probeEvents()).every((e) => e.delivered) ? true : undefined),
      30_000,
      `all ${EVENTS} events delivered`,
    );
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);

    expect(ids.every((id) => elastic.acknowledged.has(id))).toBe(true);
    const creates = createsById(elastic.fake);
    expect(ids.filter((id) => creates.get(id) !== 1)).toEqual([]);
    expect(ids.filter((id) => elastic.fake.copiesByEventId().get(id) !== 1)).toEqual([]);
  });
});
