/**
 * Benchmark harness. Absolute numbers on these shared 2-core machines are noise; every section
 * therefore measures its own baseline in the same run and reports the ratio against it.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

export interface HttpRun {
  label: string;
  requestsPerSecond: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
  /** CPU the load generator used per second of the load (1.0: its core was saturated). */
  clientUtilisation: number;
}

export interface HttpLoadOptions {
  url: string;
  headers?: Record<string, string>;
  method?: 'GET' | 'POST' | 'PATCH';
  body?: string;
  seconds?: number;
  connections?: number;
  /** A file of request paths, one a line: each request takes one of them at random (the url gives the origin). */
  pathsFile?: string;
}

/**
 * Drives HTTP load from a separate process (bench/load-worker.ts running autocannon), so the load
 * generator does not compete with the server for the same event loop: on 2 cores, one is the
 * server's and one the client's.
 */
export async function loadHttp(label: string, options: HttpLoadOptions): Promise<HttpRun> {
  const { stdout } = await promisify(execFile)(process.execPath, [join(__dirname, 'load-worker.js'), JSON.stringify(options)], {
    maxBuffer: 16 * 1024 * 1024,
  });
  const result = JSON.parse(stdout) as Omit<HttpRun, 'label'>;
  return { label, ...result };
}

/** One JSON call against the app under test (setup steps); the session cookie comes back when one is set. */
export async function httpJson(base: string, method: string, path: string, body: unknown, cookie?: string) {
  const res = await fetch(base + path, {
    method,
    headers: { 'content-type': 'application/json', ...(cookie ? { cookie: `rsid=${cookie}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return { body: JSON.parse(text) as any, cookie: /rsid=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1] };
}

export interface Row {
  section: string;
  metric: string;
  value: string;
  baseline?: string;
  ratio?: number;
  goal?: number;
  /** Printed after the verdict, e.g. where the CPU time went. */
  note?: string;
}

export function printRows(rows: Row[]): void {
  const line = (cells: string[]) => console.log(cells.map((c, i) => c.padEnd([22, 52, 16, 16, 8, 10][i] ?? 10)).join(' '));
  line(['section', 'metric', 'value', 'baseline', 'ratio', 'goal', 'cpu per item']);
  for (const r of rows) {
    const verdict = r.ratio === undefined || r.goal === undefined ? '' : r.ratio >= r.goal ? `≥${r.goal} ok` : `<${r.goal} MISS`;
    line([r.section, r.metric, r.value, r.baseline ?? '', r.ratio === undefined ? '' : r.ratio.toFixed(2), verdict, r.note ?? '']);
  }
}

/** A section of the benchmark: bench/run.ts runs every registered section in order. */
export interface BenchSection {
  name: string;
  run(): Promise<Row[]>;
}

/** CPU seconds used so far by this process and by every Postgres process on the machine (Linux /proc). */
export interface CpuTotals {
  node: number;
  postgres: number;
}

const TICKS_PER_SECOND = 100;

function postgresCpuSeconds(): number {
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    const close = stat.lastIndexOf(')');
    if (!stat.slice(stat.indexOf('(') + 1, close).startsWith('postgres')) continue;
    // Fields after the command: state is 3; utime, stime, cutime, cstime are 14–17 (cutime holds the
    // time of backends the postmaster has already reaped).
    const fields = stat.slice(close + 2).split(' ');
    ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
  }
  return ticks / TICKS_PER_SECOND;
}

/** CPU seconds used so far by one process (Linux /proc; 0 elsewhere or once it is gone). */
export function processCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

export function cpuTotals(): CpuTotals {
  const own = process.cpuUsage();
  return { node: (own.user + own.system) / 1e6, postgres: existsSync('/proc/self/stat') ? postgresCpuSeconds() : 0 };
}

/** CPU milliseconds per item spent between two snapshots, by this process and by Postgres. */
export function cpuPerItem(before: CpuTotals, after: CpuTotals, items: number): string {
  const ms = (s: number) => ((s * 1000) / items).toFixed(3);
  return `node ${ms(after.node - before.node)} ms, pg ${ms(after.postgres - before.postgres)} ms`;
}

/** Busy share of the machine's CPUs over `ms` (Linux /proc/stat; 0 where it cannot be read). */
async function machineBusy(ms: number): Promise<number> {
  const sample = () => {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal: idle and iowait are the CPUs' idle time.
    return { total: fields.reduce((a, b) => a + b, 0), idle: fields[3]! + fields[4]! };
  };
  if (!existsSync('/proc/stat')) return 0;
  const before = sample();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = sample();
  const total = after.total - before.total;
  return total > 0 ? 1 - (after.idle - before.idle) / total : 0;
}

/**
 * Waits until the machine is quiet (under 10% busy over a second, at most `limitMs`), so that a section's
 * loads never share the cores with what the last one left running (Postgres vacuuming what it wrote, a
 * process still exiting). Returns how long it waited; the run prints it.
 */
export async function settle(limitMs = 20_000): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < limitMs && (await machineBusy(1_000)) >= 0.1);
  return Date.now() - started;
}
