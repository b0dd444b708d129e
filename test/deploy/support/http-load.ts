/**
 * A small HTTP load generator that classifies every request honestly:
 *
 * - `ok`: a 2xx answer whose body arrived completely;
 * - `refused`: the TCP connect was refused (ECONNREFUSED) — nothing was sent, the service never saw
 *   the request; this is what a closed listener looks like and what a client retries elsewhere;
 * - `failed`: everything else — a non-2xx status, a reset or hang-up after the connection was made,
 *   a truncated body, a timeout.
 *
 * Each request uses a fresh connection (no agent), so "refused" can only mean "never sent".
 */
import { ClientRequest, IncomingMessage, request as httpRequest } from 'node:http';

export type OutcomeKind = 'ok' | 'refused' | 'failed';

export interface Outcome {
  kind: OutcomeKind;
  method: string;
  path: string;
  status?: number;
  error?: string;
  headers?: Record<string, string | string[] | undefined>;
  body?: string;
  startedAt: number;
  endedAt: number;
}

export interface RequestSpec {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

type Finish = (o: Omit<Outcome, 'method' | 'path' | 'startedAt' | 'endedAt'>) => void;

/** Reads a response to its end: 2xx with a complete body is ok, anything else (or a cut) failed. */
function collect(res: IncomingMessage, finish: Finish): void {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('error', (e) => finish({ kind: 'failed', status: res.statusCode, error: `response: ${e.message}` }));
  res.on('aborted', () => finish({ kind: 'failed', status: res.statusCode, error: 'response aborted' }));
  res.on('end', () => {
    const status = res.statusCode ?? 0;
    finish({
      kind: status >= 200 && status < 300 ? 'ok' : 'failed',
      status,
      headers: res.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    });
  });
}

/** A refused connection sent nothing; any other error after connecting is a failed request. */
function watch(req: ClientRequest, finish: Finish, timeoutMs: number): void {
  req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
  req.on('error', (e: NodeJS.ErrnoException) =>
    finish({ kind: e.code === 'ECONNREFUSED' ? 'refused' : 'failed', error: `${e.code ?? ''} ${e.message}` }),
  );
}

export function send(port: number, spec: RequestSpec, timeoutMs = 10_000): Promise<Outcome> {
  const startedAt = Date.now();
  return new Promise((resolve) => {
    let settled = false;
    const finish = (o: Omit<Outcome, 'method' | 'path' | 'startedAt' | 'endedAt'>) => {
      if (settled) return;
      settled = true;
      resolve({ ...o, method: spec.method, path: spec.path, startedAt, endedAt: Date.now() });
    };
    const headers: Record<string, string> = { ...(spec.headers ?? {}) };
    if (spec.body !== undefined) headers['content-length'] = String(Buffer.byteLength(spec.body));
    const req = httpRequest({ host: '127.0.0.1', port, method: spec.method, path: spec.path, headers, agent: false }, (res) =>
      collect(res, finish),
    );
    watch(req, finish, timeoutMs);
    req.end(spec.body);
  });
}

/**
 * A request whose body is sent in two halves, the second only when the test says so: the service
 * has received it (headers read, handler started) but cannot answer yet — an in-flight request.
 */
export interface HeldRequest {
  release(): Promise<Outcome>;
  /** Settles early if the connection dies before release (which is itself a failure). */
  early: Promise<Outcome>;
}

export function sendHeld(port: number, spec: RequestSpec & { body: string }, timeoutMs = 30_000): HeldRequest {
  const startedAt = Date.now();
  const bytes = Buffer.from(spec.body, 'utf8');
  const half = Math.floor(bytes.length / 2);
  let resolveOutcome!: (o: Outcome) => void;
  const outcome = new Promise<Outcome>((r) => (resolveOutcome = r));
  let settled = false;
  const finish = (o: Omit<Outcome, 'method' | 'path' | 'startedAt' | 'endedAt'>) => {
    if (settled) return;
    settled = true;
    resolveOutcome({ ...o, method: spec.method, path: spec.path, startedAt, endedAt: Date.now() });
  };
  const req = httpRequest(
    {
      host: '127.0.0.1',
      port,
      method: spec.method,
      path: spec.path,
      headers: { ...(spec.headers ?? {}), 'content-length': String(bytes.length) },
      agent: false,
    },
    (res) => collect(res, finish),
  );
  watch(req, finish, timeoutMs);
  req.flushHeaders();
  req.write(bytes.subarray(0, half));
  let released = false;
  return {
    early: outcome,
    release: () => {
      if (!released) {
        released = true;
        req.end(bytes.subarray(half));
      }
      return outcome;
    },
  };
}

/** Polls `check` until it returns a value (not undefined) or the deadline passes. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, deadlineMs = 15_000, everyMs = 25): Promise<T> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
