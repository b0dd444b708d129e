/**
 * Audit section: config changes per second (PATCH /auth/v1/organizations/:id, an audited write) with
 * the Elasticsearch relay running in-process beside the same run with it stopped (goal: ratio ≥ 0.8),
 * and the relay's drain rate in events per second. Elasticsearch is a tiny local HTTP server that
 * answers the bulk API like a cluster would (201 per item), so the relay's real client and real
 * HTTP round trips are measured, not the cluster's indexing.
 */
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AuditRelay, auditRelayMetrics, createElasticClient, ElasticsearchAuditSink } from '@mailstrata/audit';
import { loadConfig } from '@mailstrata/config';
import autocannon from 'autocannon';
import { DataSource } from 'typeorm';
import { createApp } from '../apps/event-framework/src/bootstrap';
import { ROOT_EMAIL, ROOT_PASSWORD, testEnv } from '../test/support/app';
import { createTestDatabase, TestDatabase } from '../test/support/database';
import { BenchSection, httpJson, Row } from './harness';

const SECONDS = 4;
const CONNECTIONS = 16;
const ORGS = 16;
const ROUNDS = 4;
const DRAIN_BACKLOG = 20_000;
const PASSWORD = 'bench-passphrase-2026';

/** Answers `_bulk` with 201 per item, and template/policy PUTs with acknowledged. */
async function startFakeElasticsearch(): Promise<{ url: string; received: () => number; close(): Promise<void> }> {
  let received = 0;
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: unknown = { acknowledged: true };
      if (req.url?.startsWith('/_bulk')) {
        const lines = Buffer.concat(chunks).toString('utf8').split('\n').filter(Boolean);
        const items = [];
        for (let i = 0; i < lines.length; i += 2) {
          const action = JSON.parse(lines[i] as string) as { create: { _index: string; _id: string } };
          items.push({ create: { ...action.create, status: 201, result: 'created' } });
        }
        received += items.length;
        body = { took: 1, errors: false, items };
      }
      res.writeHead(200, { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, received: () => received, close: () => new Promise((r) => server.close(() => r())) };
}

interface Started {
  app: NestFastifyApplication;
  base: string;
  db: TestDatabase;
  token: string;
  orgIds: string[];
}

async function startApp(env: Record<string, string>): Promise<Started> {
  const db = await createTestDatabase();
  const config = loadConfig(testEnv(db.url, { ...env, LOGIN_RATE_LIMIT_PER_MINUTE: '100000' }));
  const app = await createApp(config, db.url, { swaggerUi: false });
  await app.listen(0, '127.0.0.1');
  const base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  const root = await httpJson(base, 'POST', '/auth/v1/login', { email: ROOT_EMAIL, password: ROOT_PASSWORD });
  const partner = await httpJson(
    base,
    'POST',
    '/auth/v1/partners',
    { name: 'Bench', admin: { email: 'admin@bench.test', password: PASSWORD } },
    root.cookie,
  );
  const orgIds: string[] = [];
  for (let i = 0; i < ORGS; i += 1) {
    const org = await httpJson(
      base,
      'POST',
      '/auth/v1/organizations',
      { name: `Org${i}`, partner_id: partner.body.id, admin: { email: `admin@org${i}.bench.test`, password: PASSWORD } },
      root.cookie,
    );
    orgIds.push(org.body.id);
  }
  const admin = await httpJson(base, 'POST', '/auth/v1/login', { email: 'admin@bench.test', password: PASSWORD });
  return { app, base, db, token: admin.cookie as string, orgIds };
}

async function configChanges(s: Started): Promise<{ rps: number; non2xx: number }> {
  const requests = s.orgIds.flatMap((id) =>
    [true, false].map((enabled) => ({
      method: 'PATCH' as const,
      path: `/auth/v1/organizations/${id}`,
      headers: { 'content-type': 'application/json', cookie: `rsid=${s.token}` },
      body: JSON.stringify({ smtp_override_enabled: enabled }),
    })),
  );
  // Warm-up (JIT, pools), then the measured run.
  await autocannon({ url: s.base, connections: CONNECTIONS, duration: 1, requests });
  const result = await autocannon({ url: s.base, connections: CONNECTIONS, duration: SECONDS, requests });
  return { rps: result.requests.average, non2xx: result.non2xx + result.errors + result.timeouts };
}

async function run(): Promise<Row[]> {
  const es = await startFakeElasticsearch();
  const esEnv = { ELASTIC_SEARCH_FQDN: es.url, AUDIT_RELAY_INTERVAL_MS: '100' };
  try {
    // Both apps up at once, each on its own database, measured alternately so warm-up and machine noise
    // fall on both sides alike: relay stopped (no in-process background work) vs running in-process.
    const stopped = await startApp({ ...esEnv, WORKER_IN_PROCESS: 'false' });
    const running = await startApp(esEnv);
    const without: number[] = [];
    const withRelay: number[] = [];
    let non2xx = 0;
    for (let round = 0; round < ROUNDS; round += 1) {
      // Alternate which goes first, so neither side always runs on a cooler or warmer machine.
      const [a, b] =
        round % 2 === 0
          ? [await configChanges(stopped), await configChanges(running)]
          : await configChanges(running).then(async (r) => [await configChanges(stopped), r]);
      without.push(a.rps);
      withRelay.push(b.rps);
      non2xx += a.non2xx + b.non2xx;
    }
    const lag = (await running.db.query<{ n: string }>('SELECT count(*) AS n FROM audit_events WHERE delivered_at IS NULL'))[0]?.n;
    await running.app.close();
    await running.db.drop();

    // Drain rate: one relay with the default batch size against a fixed backlog of realistic rows.
    await stopped.db.query(
      `INSERT INTO audit_events (id, occurred_at, category, type, outcome, actor_id, actor_email, actor_role, actor_ip,
                                 actor_user_agent, partner_id, org_id, resource_type, resource_id, details)
       SELECT gen_random_uuid(), now() - make_interval(secs => g), category, type, outcome, actor_id, actor_email, actor_role,
              actor_ip, actor_user_agent, partner_id, org_id, resource_type, resource_id, details
         FROM generate_series(1, $1) AS g,
              LATERAL (SELECT * FROM audit_events WHERE type = 'organization.smtp_override.changed' LIMIT 1) AS sample`,
      [DRAIN_BACKLOG],
    );
    const backlog = Number(
      (await stopped.db.query<{ n: string }>('SELECT count(*) AS n FROM audit_events WHERE delivered_at IS NULL'))[0]?.n,
    );
    const config = loadConfig(testEnv(stopped.db.url, esEnv));
    const client = createElasticClient(config.elastic!);
    const relay = new AuditRelay(
      stopped.app.get(DataSource),
      new ElasticsearchAuditSink(client, config.elastic!),
      { batchSize: config.audit.relay.batchSize, baseBackoffMs: 1000, maxBackoffMs: config.audit.relay.maxBackoffMs },
      auditRelayMetrics(),
    );
    const started = process.hrtime.bigint();
    const drained = await relay.drain();
    const drainSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    await client.close();
    await stopped.app.close();
    await stopped.db.drop();

    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const ratio = mean(withRelay) / mean(without);
    return [
      {
        section: 'audit',
        metric: `config changes/s, relay running (${ROUNDS}×${SECONDS}s, non2xx ${non2xx})`,
        value: mean(withRelay).toFixed(0),
        baseline: `${mean(without).toFixed(0)} stopped`,
        ratio,
        goal: 0.8,
      },
      { section: 'audit', metric: 'undelivered right after the running load', value: String(lag) },
      {
        section: 'audit',
        metric: `relay drain, events/s (${drained.delivered}/${backlog} in ${drainSeconds.toFixed(2)} s)`,
        value: (drained.delivered / drainSeconds).toFixed(0),
      },
    ];
  } finally {
    await es.close();
  }
}

export const auditBench: BenchSection = { name: 'audit', run };
