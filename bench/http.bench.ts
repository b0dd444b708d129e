/**
 * HTTP section: what the service's HTTP stack costs against bare Fastify on the same machine, with the
 * same load generator, in the same run. Four servers, each a process of its own started from the built
 * code: bare Fastify answering a small JSON (the baseline), bare Fastify with its own request logging,
 * and the API as a user runs it (default logging: LOG_LEVEL=info, access logs on) for GET /healthz and
 * a signed-in org admin's GET …/effective. Every server's logs go to LOG_DESTINATION.
 *
 * The machines are shared and noisy: the loads run back to back in rounds (bare, bare with logging,
 * /healthz, /effective) and each ratio is the median of the rounds' paired ratios against that round's
 * bare Fastify; the req/s shown are medians over rounds.
 */
import { randomBytes } from 'node:crypto';
import { createTestDatabase } from '../test/support/database';
import { BenchSection, HttpRun, httpJson, loadHttp, processCpuSeconds, Row } from './harness';
import { LOG_DESTINATION, ServerProcess, startBareFastify, startService } from './processes';

const SECONDS = 3;
const ROUNDS = 5;
const CONNECTIONS = 16;
const PASSWORD = 'bench-passphrase-2026';
const ROOT_EMAIL = 'root@controller.bench';
const ROOT_PASSWORD = 'controller-secret-9000';

/** The environment the benchmarked API runs with: the defaults, plus what a first start needs. */
export function serviceEnv(): Record<string, string> {
  return {
    BOOTSTRAP_ADMIN_EMAIL: ROOT_EMAIL,
    BOOTSTRAP_ADMIN_PASSWORD: ROOT_PASSWORD,
    SECRETS_ENCRYPTION_KEYS: `bench:${randomBytes(32).toString('base64')}`,
    PUBLIC_URL: 'http://console.mailstrata.bench',
  };
}

/**
 * A partner with an org whose admin has its own SMTP profile (switch on): returns the org admin's
 * session token. GET …/effective for that admin runs the full scope and resolution path.
 */
export async function signedInOrgAdmin(base: string): Promise<string> {
  const root = (await httpJson(base, 'POST', '/auth/v1/login', { email: ROOT_EMAIL, password: ROOT_PASSWORD })).cookie;
  await httpJson(base, 'POST', '/auth/v1/partners', { name: 'Bench', admin: { email: 'admin@bench.test', password: PASSWORD } }, root);
  const partner = (await httpJson(base, 'POST', '/auth/v1/login', { email: 'admin@bench.test', password: PASSWORD })).cookie;
  const org = await httpJson(
    base,
    'POST',
    '/auth/v1/organizations',
    { name: 'Org', admin: { email: 'admin@org.bench.test', password: PASSWORD } },
    partner,
  );
  await httpJson(base, 'PATCH', `/auth/v1/organizations/${org.body.id}`, { smtp_override_enabled: true }, partner);
  const smtp = { host: 'smtp.org.bench.test', port: 587, use_tls: true, username: 'bench', password: 'bench-secret', retries: 3 };
  const orgAdmin = (await httpJson(base, 'POST', '/auth/v1/login', { email: 'admin@org.bench.test', password: PASSWORD })).cookie as string;
  await httpJson(base, 'POST', '/event/v1/email/config', { email_config: { smtp_config: smtp } }, orgAdmin);
  const check = await httpJson(base, 'GET', '/event/v1/email/config/effective', undefined, orgAdmin);
  if (check.body.source !== 'org') throw new Error(`unexpected effective source ${check.body.source}`);
  return orgAdmin;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

interface Load {
  key: string;
  server: ServerProcess;
  url: string;
  headers?: Record<string, string>;
}

/** A load's figures plus what it cost the server: CPU per request and how busy its one core was. */
interface ServerRun extends HttpRun {
  cpuMicrosPerRequest: number;
  utilisation: number;
}

async function run(): Promise<Row[]> {
  const db = await createTestDatabase();
  const servers: ServerProcess[] = [];
  try {
    const bare = await startBareFastify(false);
    servers.push(bare);
    const bareLogging = await startBareFastify(true);
    servers.push(bareLogging);
    const api = await startService(db.url, serviceEnv());
    servers.push(api);
    const orgAdmin = await signedInOrgAdmin(api.base);

    const loads: Load[] = [
      { key: 'bare', server: bare, url: `${bare.base}/healthz` },
      { key: 'bareLogging', server: bareLogging, url: `${bareLogging.base}/healthz` },
      { key: 'healthz', server: api, url: `${api.base}/healthz` },
      { key: 'effective', server: api, url: `${api.base}/event/v1/email/config/effective`, headers: { cookie: `rsid=${orgAdmin}` } },
    ];
    // Warm-up (JIT, pools, caches), then every load once per round, back to back.
    for (const load of loads) await loadHttp('warm', { url: load.url, headers: load.headers, seconds: 1, connections: CONNECTIONS });
    const runs = new Map<string, ServerRun[]>(loads.map((l) => [l.key, []]));
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const load of loads) {
        const cpuBefore = processCpuSeconds(load.server.pid);
        const result = await loadHttp(load.key, { url: load.url, headers: load.headers, seconds: SECONDS, connections: CONNECTIONS });
        const cpu = processCpuSeconds(load.server.pid) - cpuBefore;
        if (result.non2xx > 0 || result.errors > 0) throw new Error(`${load.key}: ${result.non2xx} non-2xx, ${result.errors} errors`);
        runs.get(load.key)!.push({
          ...result,
          cpuMicrosPerRequest: (cpu * 1e6) / (result.requestsPerSecond * SECONDS),
          utilisation: cpu / SECONDS,
        });
      }
    }
    const baseline = runs.get('bare')!;
    const rps = (key: string) => median(runs.get(key)!.map((r) => r.requestsPerSecond));
    const ratio = (key: string) => median(runs.get(key)!.map((r, i) => r.requestsPerSecond / baseline[i]!.requestsPerSecond));
    const baselineText = `${rps('bare').toFixed(0)} bare`;
    // Whether the server was the bottleneck: a core near 1.0 busy means req/s measures the server; well
    // below, the load generator (on the other core) set the pace and the ratios understate the gap.
    const cost = (key: string) => {
      const serverRuns = runs.get(key)!;
      const busy = (values: number[]) => median(values).toFixed(2);
      return (
        `server ${median(serverRuns.map((r) => r.cpuMicrosPerRequest)).toFixed(0)} µs/req; cores busy: ` +
        `server ${busy(serverRuns.map((r) => r.utilisation))}, load ${busy(serverRuns.map((r) => r.clientUtilisation))}`
      );
    };
    const shape = `${CONNECTIONS} conns, ${ROUNDS}×${SECONDS}s, logs → ${LOG_DESTINATION}`;
    return [
      { section: 'http', metric: `bare Fastify rps, no logging (${shape})`, value: rps('bare').toFixed(0), note: cost('bare') },
      {
        section: 'http',
        metric: 'bare Fastify rps with its own request logging',
        value: rps('bareLogging').toFixed(0),
        baseline: baselineText,
        ratio: ratio('bareLogging'),
        note: cost('bareLogging'),
      },
      {
        section: 'http',
        metric: 'GET /healthz rps (LOG_LEVEL=info; probes not logged)',
        value: rps('healthz').toFixed(0),
        baseline: baselineText,
        ratio: ratio('healthz'),
        goal: 0.6,
        note: cost('healthz'),
      },
      {
        section: 'http',
        metric: 'GET …/effective rps (org admin, access-logged)',
        value: rps('effective').toFixed(0),
        baseline: baselineText,
        ratio: ratio('effective'),
        goal: 0.35,
        note: cost('effective'),
      },
    ];
  } finally {
    for (const server of servers.reverse()) await server.stop();
    await db.drop();
  }
}

export const httpBench: BenchSection = { name: 'http', run };
