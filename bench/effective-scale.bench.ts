/**
 * Email-config at scale: signed-in (controller admin) GET …/effective?org_id= over 100,000 organizations
 * read at random, against the same read over 10 of them, in the same run (goal: ratio ≥ 0.6). 100
 * partners each with a profile; every tenth organization has its own profile with its switch on. Seeded
 * with SQL in the section's own database (the API would take minutes). The loads alternate over a few
 * rounds after every organization has been read once (a replica's steady state: entries live until a
 * change drops them); the ratio is the median of the rounds' paired ratios. That first pass is a row
 * of its own (cache misses per second), with the plan of the one statement a miss runs. The service's
 * resident memory is read before the first pass and after the last load, with its cache entries.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { join } from 'node:path';
import { loadConfig } from '@mailstrata/config';
import { EffectiveConfigService, SmtpProfileRepository } from '@mailstrata/email-config';
import { createApp } from '../apps/event-framework/src/bootstrap';
import { ROOT_EMAIL, ROOT_PASSWORD, testEnv } from '../test/support/app';
import { createTestDatabase } from '../test/support/database';
import { BenchSection, HttpRun, httpJson, loadHttp, Row } from './harness';

const ORGS = 100_000;
const PARTNERS = 100;
const SECONDS = 3;
const ROUNDS = 5;
const CONNECTIONS = 16;
const EFFECTIVE = '/event/v1/email/config/effective';

/** A full collection before reading memory, so that figures show what is retained, not what awaits collection. */
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

/** Every scan in a plan, as `<node type> <index or table>`. */
function scansOf(node: PlanNode): string[] {
  const own = node['Relation Name'] ? [`${node['Node Type']} ${node['Index Name'] ?? node['Relation Name']}`] : [];
  return [...own, ...(node.Plans ?? []).flatMap(scansOf)];
}

async function seed(db: Awaited<ReturnType<typeof createTestDatabase>>): Promise<string[]> {
  await db.query(`INSERT INTO partners (name) SELECT 'scale-' || g FROM generate_series(1, $1::int) g`, [PARTNERS]);
  await db.query(
    `INSERT INTO organizations (partner_id, name, smtp_override_enabled)
     SELECT ps.ids[1 + g % $2::int], 'org-' || g, g % 10 = 0
       FROM (SELECT array_agg(id ORDER BY id) AS ids FROM partners WHERE name LIKE 'scale-%') ps, generate_series(1, $1::int) g`,
    [ORGS, PARTNERS],
  );
  const profile = `host, port, tls_mode, use_insecure, retries, auth_type, sender_email, version`;
  await db.query(
    `INSERT INTO smtp_profiles (id, partner_id, org_id, ${profile})
     SELECT gen_random_uuid(), id, NULL, 'smtp.' || name || '.bench', 587, 'starttls', false, 3, 'none', 'noreply@' || name || '.bench', 1
       FROM partners WHERE name LIKE 'scale-%'`,
  );
  await db.query(
    `INSERT INTO smtp_profiles (id, partner_id, org_id, ${profile})
     SELECT gen_random_uuid(), partner_id, id, 'smtp.' || name || '.bench', 587, 'starttls', false, 3, 'none', 'noreply@' || name || '.bench', 1
       FROM organizations WHERE smtp_override_enabled`,
  );
  await db.query(`ANALYZE partners; ANALYZE organizations; ANALYZE smtp_profiles`);
  return (await db.query<{ id: string }>(`SELECT id FROM organizations ORDER BY random()`)).map((r) => r.id);
}

async function run(): Promise<Row[]> {
  const db = await createTestDatabase();
  const dir = mkdtempSync(join(tmpdir(), 'mailstrata-bench-'));
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
    const ids = await seed(db);
    const root = (await httpJson(base, 'POST', '/auth/v1/login', { email: ROOT_EMAIL, password: ROOT_PASSWORD })).cookie as string;
    const check = await httpJson(base, 'GET', `${EFFECTIVE}?org_id=${ids[0]}`, undefined, root);
    if (check.body.source !== 'org' && check.body.source !== 'partner') throw new Error(`unexpected effective source ${check.body.source}`);

    const few = join(dir, 'few.txt');
    const all = join(dir, 'all.txt');
    writeFileSync(
      few,
      ids
        .slice(0, 10)
        .map((id) => `${EFFECTIVE}?org_id=${id}\n`)
        .join(''),
    );
    writeFileSync(all, ids.map((id) => `${EFFECTIVE}?org_id=${id}\n`).join(''));
    const load = (label: string, pathsFile: string, seconds = SECONDS) =>
      loadHttp(label, { url: base, pathsFile, headers: { cookie: `rsid=${root}` }, seconds, connections: CONNECTIONS });

    // The one statement a miss runs, at this size: its plan must be index scans only (a bitmap heap scan
    // reads what its bitmap index scan found: a level's two routes are two rows of one index range).
    const statement = app.get(SmtpProfileRepository).effectiveForOrgStatement(ids[0]!);
    const [{ 'QUERY PLAN': plan }] = await db.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode; 'Execution Time': number }> }>(
      `EXPLAIN (ANALYZE, FORMAT JSON) ${statement.text}`,
      statement.params,
    );
    const scans = scansOf(plan[0]!.Plan);
    if (scans.some((s) => !/^(Index|Bitmap Heap) /.test(s)))
      throw new Error(`the miss statement scans without an index: ${scans.join(', ')}`);

    await load('warm', few, 1);
    gc();
    const before = process.memoryUsage();
    // Cold: every organization once, as a replica meets them after a start (16 at a time, in-process).
    const effective = app.get(EffectiveConfigService);
    const coldStart = process.hrtime.bigint();
    for (let next = 0; next < ids.length;) {
      await Promise.all(ids.slice(next, (next += CONNECTIONS)).map((id) => effective.orgInfo(id)));
    }
    const coldSeconds = Number(process.hrtime.bigint() - coldStart) / 1e9;
    const fewRuns: HttpRun[] = [];
    const allRuns: HttpRun[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      fewRuns.push(await load('10 orgs', few));
      allRuns.push(await load('100k orgs', all));
    }
    gc();
    const after = process.memoryUsage();
    const entries = effective.cachedEntries;
    for (const r of [...fewRuns, ...allRuns]) {
      if (r.non2xx > 0 || r.errors > 0) throw new Error(`${r.label}: ${r.non2xx} non-2xx, ${r.errors} errors`);
    }
    const ratio = median(allRuns.map((r, i) => r.requestsPerSecond / fewRuns[i]!.requestsPerSecond));
    return [
      {
        section: 'email-config-scale',
        metric: `GET …/effective?org_id= rps, 100k orgs at random (${ROUNDS}×${SECONDS}s; median paired ratio)`,
        value: median(allRuns.map((r) => r.requestsPerSecond)).toFixed(0),
        baseline: `${median(fewRuns.map((r) => r.requestsPerSecond)).toFixed(0)} 10 orgs`,
        ratio,
        goal: 0.6,
      },
      {
        section: 'email-config-scale',
        metric: 'GET …/effective?org_id= p99 ms, 100k orgs',
        value: String(median(allRuns.map((r) => r.p99Ms))),
        baseline: `${median(fewRuns.map((r) => r.p99Ms))} 10 orgs`,
      },
      {
        section: 'email-config-scale',
        metric: 'cache misses/s: 100k orgs each read once (16 at a time)',
        value: (ids.length / coldSeconds).toFixed(0),
        note: `one statement: ${scans.join(', ')}; ${plan[0]!['Execution Time'].toFixed(3)} ms`,
      },
      {
        section: 'email-config-scale',
        metric: 'service RSS after the 100k loads',
        value: mib(after.rss),
        baseline: `${mib(before.rss)} before`,
        note: `heap ${mib(before.heapUsed)} → ${mib(after.heapUsed)}; ${entries} cache entries`,
      },
    ];
  } finally {
    await app.close();
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export const effectiveScaleBench: BenchSection = { name: 'email-config-scale', run };
