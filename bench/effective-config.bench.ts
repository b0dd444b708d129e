/**
 * Email-config section: GET /event/v1/email/config/effective for a signed-in org admin (org profile,
 * switch on: the full scope + resolution path) against GET /healthz in the same run (goal: ratio ≥ 0.7).
 * Both must be served from memory: the session cache and the per-scope resolution cache.
 * The machines are shared and noisy, so the two loads alternate over a few rounds and the figures are
 * the means over rounds (p99: the median round's); the ratio is the median of the rounds' paired ratios.
 */
import { AddressInfo } from 'node:net';
import { loadConfig } from '@mailstrata/config';
import { createApp } from '../apps/event-framework/src/bootstrap';
import { ROOT_EMAIL, ROOT_PASSWORD, testEnv } from '../test/support/app';
import { createTestDatabase } from '../test/support/database';
import { BenchSection, HttpRun, httpJson, loadHttp, Row } from './harness';

const SECONDS = 3;
const ROUNDS = 5;
const CONNECTIONS = 16;
const PASSWORD = 'bench-passphrase-2026';

function summarise(runs: HttpRun[]): HttpRun {
  const p99s = runs.map((r) => r.p99Ms).sort((a, b) => a - b);
  return {
    label: runs[0]!.label,
    requestsPerSecond: runs.reduce((sum, r) => sum + r.requestsPerSecond, 0) / runs.length,
    p99Ms: p99s[Math.floor(p99s.length / 2)]!,
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
    non2xx: runs.reduce((sum, r) => sum + r.non2xx, 0),
    clientUtilisation: runs.reduce((sum, r) => sum + r.clientUtilisation, 0) / runs.length,
  };
}

async function run(): Promise<Row[]> {
  const db = await createTestDatabase();
  const config = loadConfig(
    testEnv(db.url, {
      LOGIN_RATE_LIMIT_PER_MINUTE: '100000',
      FW_EVENT_SMTP_SERVER_ADDR: 'smtp.controller.bench',
      FW_EVENT_SMTP_SENDER_EMAIL: 'noreply@controller.bench',
    }),
  );
  const app = await createApp(config, db.url, { swaggerUi: false });
  try {
    await app.listen(0, '127.0.0.1');
    const base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    const root = (await httpJson(base, 'POST', '/auth/v1/login', { email: ROOT_EMAIL, password: ROOT_PASSWORD })).cookie;
    await httpJson(base, 'POST', '/auth/v1/partners', { name: 'Bench', admin: { email: 'admin@bench.test', password: PASSWORD } }, root);
    const partnerToken = (await httpJson(base, 'POST', '/auth/v1/login', { email: 'admin@bench.test', password: PASSWORD })).cookie;
    const org = await httpJson(
      base,
      'POST',
      '/auth/v1/organizations',
      { name: 'Org', admin: { email: 'admin@org.bench.test', password: PASSWORD } },
      partnerToken,
    );
    await httpJson(base, 'PATCH', `/auth/v1/organizations/${org.body.id}`, { smtp_override_enabled: true }, partnerToken);
    const smtp = { host: 'smtp.bench.test', port: 587, use_tls: true, username: 'bench', password: 'bench-secret', retries: 3 };
    await httpJson(base, 'POST', '/event/v1/email/config', { email_config: { smtp_config: smtp } }, partnerToken);
    const orgToken = (await httpJson(base, 'POST', '/auth/v1/login', { email: 'admin@org.bench.test', password: PASSWORD }))
      .cookie as string;
    await httpJson(
      base,
      'POST',
      '/event/v1/email/config',
      { email_config: { smtp_config: { ...smtp, host: 'smtp.org.bench.test' } } },
      orgToken,
    );
    const check = await httpJson(base, 'GET', '/event/v1/email/config/effective', undefined, orgToken);
    if (check.body.source !== 'org') throw new Error(`unexpected effective source ${check.body.source}`);

    const effectiveUrl = `${base}/event/v1/email/config/effective`;
    const headers = { cookie: `rsid=${orgToken}` };
    // Warm-up (JIT, pools, caches), then both measured in the same run.
    await loadHttp('warm', { url: `${base}/healthz`, seconds: 1, connections: CONNECTIONS });
    await loadHttp('warm', { url: effectiveUrl, headers, seconds: 1, connections: CONNECTIONS });
    const healthRuns: HttpRun[] = [];
    const effectiveRuns: HttpRun[] = [];
    // The app runs in this process: its CPU per request shows whether it (or the load generator) set the pace.
    const healthCpu: number[] = [];
    const effectiveCpu: number[] = [];
    const timed = async (runs: HttpRun[], cpu: number[], url: string, loadHeaders?: Record<string, string>) => {
      const before = process.cpuUsage();
      const result = await loadHttp('load', { url, headers: loadHeaders, seconds: SECONDS, connections: CONNECTIONS });
      const used = process.cpuUsage(before);
      runs.push(result);
      cpu.push((used.user + used.system) / (result.requestsPerSecond * SECONDS));
    };
    for (let round = 0; round < ROUNDS; round += 1) {
      await timed(healthRuns, healthCpu, `${base}/healthz`);
      await timed(effectiveRuns, effectiveCpu, effectiveUrl, headers);
    }
    const medianOf = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    const loadBusy = (runs: HttpRun[]) => medianOf(runs.map((r) => r.clientUtilisation)).toFixed(2);
    const cpuNote =
      `app ${medianOf(effectiveCpu).toFixed(0)} µs/req vs ${medianOf(healthCpu).toFixed(0)} healthz; ` +
      `load generator core ${loadBusy(effectiveRuns)} vs ${loadBusy(healthRuns)} busy`;
    const health = summarise(healthRuns);
    const effective = summarise(effectiveRuns);
    // Each round pairs the two loads back to back; the median of the paired ratios resists the drift of
    // a shared VM better than a ratio of means.
    const paired = effectiveRuns.map((r, i) => r.requestsPerSecond / healthRuns[i]!.requestsPerSecond).sort((a, b) => a - b);
    const medianRatio = paired[Math.floor(paired.length / 2)]!;
    if (effective.non2xx > 0 || effective.errors > 0) throw new Error(`effective: ${effective.non2xx} non-2xx, ${effective.errors} errors`);
    return [
      {
        section: 'email-config',
        metric: `GET …/effective rps (org admin, ${CONNECTIONS} conns, ${ROUNDS}×${SECONDS}s; median paired ratio)`,
        value: effective.requestsPerSecond.toFixed(0),
        baseline: `${health.requestsPerSecond.toFixed(0)} healthz`,
        ratio: medianRatio,
        goal: 0.7,
        note: cpuNote,
      },
      {
        section: 'email-config',
        metric: 'GET …/effective p99 ms',
        value: String(effective.p99Ms),
        baseline: `${health.p99Ms} healthz`,
      },
    ];
  } finally {
    await app.close();
    await db.drop();
  }
}

export const effectiveConfigBench: BenchSection = { name: 'email-config', run };
