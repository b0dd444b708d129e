/**
 * SIGTERM under load, against the real entry point in a child process (what Kubernetes runs).
 *
 * The load generator plays a Kubernetes Service: it keeps sending while the replica is in the
 * endpoints, polls /readyz like the kubelet, and stops routing new requests a propagation delay
 * after readiness fails (like kube-proxy). The service must:
 * - answer every request it receives, before and after SIGTERM (zero `failed`; see http-load.ts for
 *   the classification — a refused connect is "never sent", a reset after connect is a failure);
 * - turn /readyz to 503 at once while still serving for SHUTDOWN_DRAIN_DELAY_MS;
 * - then refuse new connections (OS-level ECONNREFUSED) while requests already received — here
 *   logins whose bodies are still uploading — run to completion against a still-open database;
 * - exit 0 by itself.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { ROOT_EMAIL, ROOT_PASSWORD, testEnv } from '../support/app';
import { createTestDatabase, TestDatabase } from '../support/database';
import { Build, buildServices } from './support/build';
import { Outcome, send, sendHeld, waitFor } from './support/http-load';

const DRAIN_DELAY_MS = 1500;
const READINESS_PERIOD_MS = 50;
const PROPAGATION_MS = 300;
const WORKERS = 12;
const HELD = 3;

interface Service {
  child: ChildProcess;
  port: number;
  output: () => string;
  exited: Promise<number | null>;
}

async function startService(build: Build, db: TestDatabase): Promise<Service> {
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    ...testEnv(db.url, { HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'warn', SHUTDOWN_DRAIN_DELAY_MS: String(DRAIN_DELAY_MS) }),
  };
  const child = spawn(process.execPath, [build.entry('apps/event-framework/src/main.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const port = await waitFor(
    'the service to listen',
    async () => {
      if (child.exitCode !== null) throw new Error(`service exited with ${child.exitCode}:\n${output}`);
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      return m ? Number(m[1]) : undefined;
    },
    45_000,
  );
  return { child, port, output: () => output, exited };
}

function metricValue(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

describe('SIGTERM under load (child process)', () => {
  let build: Build;
  let db: TestDatabase;
  let service: Service | undefined;

  beforeAll(() => {
    build = buildServices();
  });
  afterAll(async () => {
    if (service && service.child.exitCode === null) {
      service.child.kill('SIGKILL');
      await service.exited;
    }
    await db?.drop();
    build?.remove();
  });

  it('answers every received request, refuses new connections only after draining, and exits 0', async () => {
    db = await createTestDatabase();
    service = await startService(build, db);
    const { port } = service;
    await waitFor('readiness', async () => ((await send(port, { method: 'GET', path: '/readyz' })).status === 200 ? true : undefined));

    const login = await send(port, {
      method: 'POST',
      path: '/auth/v1/login',
      body: JSON.stringify({ email: ROOT_EMAIL, password: ROOT_PASSWORD }),
    });
    expect(login.status).toBe(200);
    const cookie = /rsid=[^;]+/.exec(String(login.headers?.['set-cookie']))![0];

    // In-flight requests: logins whose bodies are half uploaded. Before any other load, so the in-flight
    // gauge proves the service has received exactly these (plus the /metrics request asking).
    const held = Array.from({ length: HELD }, () =>
      sendHeld(port, { method: 'POST', path: '/auth/v1/login', body: JSON.stringify({ email: ROOT_EMAIL, password: ROOT_PASSWORD }) }),
    );
    await waitFor('the held requests to reach the service', async () => {
      const m = await send(port, { method: 'GET', path: '/metrics' });
      return metricValue(m.body ?? '', 'mailstrata_http_requests_in_flight') === HELD + 1 ? true : undefined;
    });

    // The "Service": routes while the replica is in the endpoints.
    const outcomes: Outcome[] = [];
    let routable = true;
    let notReadyAt: number | undefined;
    let readinessBody: string | undefined;
    let stopLoad = false;
    const readiness = (async () => {
      while (!stopLoad) {
        const r = await send(port, { method: 'GET', path: '/readyz' }, 2000);
        if (r.status !== 200 && notReadyAt === undefined) {
          notReadyAt = Date.now();
          readinessBody = r.body;
          setTimeout(() => (routable = false), PROPAGATION_MS);
        }
        await new Promise((resolve) => setTimeout(resolve, READINESS_PERIOD_MS));
      }
    })();
    const mix = [
      { method: 'GET', path: '/auth/v1/me', headers: { cookie } },
      { method: 'GET', path: '/auth/v1/organizations', headers: { cookie } },
      { method: 'GET', path: '/healthz' },
      { method: 'GET', path: '/metrics' },
    ];
    const workers = Array.from({ length: WORKERS }, async (_, w) => {
      for (let i = w; routable && !stopLoad; i++) outcomes.push(await send(port, mix[i % mix.length]));
    });

    await waitFor('steady load', async () => (outcomes.filter((o) => o.kind === 'ok').length >= 200 ? true : undefined));
    const sigtermAt = Date.now();
    service.child.kill('SIGTERM');

    // Readiness flips, the load balancer stops routing, the listener closes: new connects are refused.
    await waitFor('the listener to close', async () =>
      (await send(port, { method: 'GET', path: '/healthz' }, 2000)).kind === 'refused' ? true : undefined,
    );
    const closedAt = Date.now();
    await Promise.all(workers);

    // The held requests are still in flight, so the process is still there, waiting for them.
    expect(service.child.exitCode).toBeNull();
    const heldOutcomes = await Promise.all(held.map((h) => h.release()));
    const code = await service.exited;
    stopLoad = true;
    await readiness;

    const failed = outcomes.filter((o) => o.kind === 'failed');
    const afterSigterm = outcomes.filter((o) => o.startedAt >= sigtermAt);
    const summary = {
      total: outcomes.length,
      ok: outcomes.filter((o) => o.kind === 'ok').length,
      refused: outcomes.filter((o) => o.kind === 'refused').length,
      failed: failed.length,
      startedAfterSigterm: afterSigterm.length,
      notReadyAfterMs: notReadyAt! - sigtermAt,
      listenerClosedAfterMs: closedAt - sigtermAt,
    };
    process.stdout.write(`sigterm-under-load: ${JSON.stringify(summary)}\n`);

    expect(failed.slice(0, 5)).toEqual([]);
    expect(code).toBe(0);
    expect(service.output()).toContain('mailstrata: stopped');
    // Readiness went down well before the listener closed, and requests sent in between were served.
    expect(notReadyAt).toBeDefined();
    expect(JSON.parse(readinessBody!)).toMatchObject({ status: 503, code: 'SHUTTING_DOWN' });
    expect(closedAt - sigtermAt).toBeGreaterThanOrEqual(DRAIN_DELAY_MS);
    expect(afterSigterm.filter((o) => o.kind === 'ok').length).toBeGreaterThan(0);
    // Once draining, answers close their connections so keep-alive clients reconnect elsewhere.
    const whileDraining = outcomes.filter((o) => o.startedAt >= notReadyAt!);
    expect(whileDraining.length).toBeGreaterThan(0);
    expect(whileDraining.every((o) => o.headers?.connection === 'close')).toBe(true);
    // The in-flight logins completed after the listener closed, with a session written to the database.
    for (const o of heldOutcomes) {
      expect(o).toMatchObject({ kind: 'ok', status: 200 });
      expect(String(o.headers?.['set-cookie'])).toMatch(/rsid=/);
      expect(o.endedAt).toBeGreaterThanOrEqual(closedAt);
    }
    const sessions = await db.query<{ n: string }>('SELECT count(*)::text AS n FROM sessions');
    expect(Number(sessions[0].n)).toBeGreaterThanOrEqual(1 + HELD);
  });
});
