/**
 * Servers under load as processes of their own, started from the built code in dist/: the API as a
 * user runs it (`node dist/apps/event-framework/src/main.js`, default logging) and the bare Fastify
 * baselines. Every one writes its stdout, where the logs go, to the same LOG_DESTINATION, so a logging
 * server pays the same write per line whichever it is.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** Where the servers' logs (their stdout) go during a bench run. */
export const LOG_DESTINATION = '/dev/null';

const DIST = join(__dirname, '..');

export interface ServerProcess {
  base: string;
  pid: number;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(url)).status === 200;
  } catch {
    return false;
  }
}

/**
 * Node flags for the servers a section starts, e.g. `BENCH_SERVER_NODE_ARGS='--cpu-prof
 * --cpu-prof-dir=/tmp/prof'` to profile the API under the section's load (Node's own flags on the bench
 * command reach the section's process, not these; NODE_OPTIONS refuses --cpu-prof).
 */
const SERVER_NODE_ARGS = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);

async function start(label: string, args: string[], env: NodeJS.ProcessEnv, port: number): Promise<ServerProcess> {
  const out = openSync(LOG_DESTINATION, 'a');
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, [...SERVER_NODE_ARGS, ...args], { env, stdio: ['ignore', out, 'pipe'] });
  } finally {
    closeSync(out);
  }
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let gone = false;
  void exited.then(() => (gone = true));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  while (!(await answers(`${base}/healthz`))) {
    if (gone || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${label} did not start: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    base,
    pid: child.pid!,
    stop: async () => {
      if (!gone) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Bare Fastify answering `{"status":"ok"}` on /healthz; with `logging`, with its own request logging at info. */
export async function startBareFastify(logging: boolean): Promise<ServerProcess> {
  const port = await freePort();
  const args = [join(__dirname, 'bare-fastify.js'), String(port), ...(logging ? ['logging'] : [])];
  return start(`bare Fastify${logging ? ' with logging' : ''}`, args, { PATH: process.env.PATH }, port);
}

/** One of the project's apps from dist/, on `databaseUrl`, listening on a free port named by `portVariable`. */
async function startApp(label: string, app: string, portVariable: string, databaseUrl: string, env: Record<string, string>) {
  const port = await freePort();
  const entry = join(DIST, 'apps', app, 'src', 'main.js');
  return start(
    label,
    [entry],
    { PATH: process.env.PATH, DATABASE_URL: databaseUrl, HOST: '127.0.0.1', [portVariable]: String(port), ...env },
    port,
  );
}

/**
 * The API as `npm start` runs it, on `databaseUrl`, with the defaults a user gets (LOG_LEVEL=info,
 * access logs on) plus `env`. The controller admin in BOOTSTRAP_ADMIN_* is created at start.
 */
export function startService(databaseUrl: string, env: Record<string, string> = {}): Promise<ServerProcess> {
  return startApp('mailstrata', 'event-framework', 'PORT', databaseUrl, env);
}

/**
 * The worker deployment (`node dist/apps/event-worker/src/main.js`), as the Kustomize base runs it beside
 * an API with WORKER_IN_PROCESS=false; answers on its ops listener once its workers are started.
 */
export function startWorker(databaseUrl: string, env: Record<string, string> = {}): Promise<ServerProcess> {
  return startApp('mailstrata-worker', 'event-worker', 'WORKER_HTTP_PORT', databaseUrl, env);
}
