/**
 * Benchmark harness. Absolute numbers on these shared 2-core machines are noise; every section
 * therefore measures its own baseline in the same run and reports the ratio against it.
 */
import autocannon from 'autocannon';

export interface HttpRun {
  label: string;
  requestsPerSecond: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
}

export async function loadHttp(
  label: string,
  options: {
    url: string;
    headers?: Record<string, string>;
    method?: 'GET' | 'POST';
    body?: string;
    seconds?: number;
    connections?: number;
  },
): Promise<HttpRun> {
  const result = await autocannon({
    url: options.url,
    method: options.method ?? 'GET',
    headers: options.headers,
    body: options.body,
    duration: options.seconds ?? 5,
    connections: options.connections ?? 16,
    pipelining: 1,
  });
  return {
    label,
    requestsPerSecond: result.requests.average,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
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
