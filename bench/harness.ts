/**
 * Benchmark harness. Absolute numbers on these shared 2-core machines are noise; every section
 * therefore measures its own baseline in the same run and reports the ratio against it.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

export interface HttpRun {
  label: string;
  requestsPerSecond: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
}

export interface HttpLoadOptions {
  url: string;
  headers?: Record<string, string>;
  method?: 'GET' | 'POST' | 'PATCH';
  body?: string;
  seconds?: number;
  connections?: number;
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
}

export function printRows(rows: Row[]): void {
  const line = (cells: string[]) => console.log(cells.map((c, i) => c.padEnd([22, 52, 16, 16, 8, 10][i] ?? 10)).join(' '));
  line(['section', 'metric', 'value', 'baseline', 'ratio', 'goal']);
  for (const r of rows) {
    const verdict = r.ratio === undefined || r.goal === undefined ? '' : r.ratio >= r.goal ? `≥${r.goal} ok` : `<${r.goal} MISS`;
    line([r.section, r.metric, r.value, r.baseline ?? '', r.ratio === undefined ? '' : r.ratio.toFixed(2), verdict]);
  }
}

/** A section of the benchmark: bench/run.ts runs every registered section in order. */
export interface BenchSection {
  name: string;
  run(): Promise<Row[]>;
}
