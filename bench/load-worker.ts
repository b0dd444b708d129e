/** Child process of bench/harness.ts: runs one autocannon load and prints its summary as JSON. */
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import type { HttpLoadOptions } from './harness';

function randomPath(file: string) {
  const paths = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  return (request: autocannon.Request) => ({ ...request, path: paths[Math.floor(Math.random() * paths.length)] });
}

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as HttpLoadOptions;
  const cpuBefore = process.cpuUsage();
  const startedAt = performance.now();
  const result = await autocannon({
    url: options.url,
    method: options.method ?? 'GET',
    headers: options.headers,
    body: options.body,
    duration: options.seconds ?? 5,
    connections: options.connections ?? 16,
    pipelining: 1,
    ...(options.pathsFile ? { requests: [{ setupRequest: randomPath(options.pathsFile) }] } : {}),
  });
  const cpu = process.cpuUsage(cpuBefore);
  process.stdout.write(
    JSON.stringify({
      // How busy the load generator's own core was: near 1.0, it (not the server) may have set the pace.
      clientUtilisation: (cpu.user + cpu.system) / 1000 / (performance.now() - startedAt),
      requestsPerSecond: result.requests.average,
      p99Ms: result.latency.p99,
      errors: result.errors + result.timeouts,
      non2xx: result.non2xx,
    }),
  );
}

void main();
