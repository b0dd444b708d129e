/**
 * For tests that need the service as a real process (embedded start, signals): builds the code once per
 * jest worker into a private directory under .data (never dist/, which other runs may be using) and
 * spawns entry points from it with a controlled environment.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
let built: string | undefined;

export function buildPrivately(): string {
  if (built) return built;
  const out = join(ROOT, '.data', `build-${process.pid}`);
  rmSync(out, { recursive: true, force: true });
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.js'), '--out', out], { stdio: 'pipe' });
  process.once('exit', () => rmSync(out, { recursive: true, force: true }));
  built = out;
  return out;
}

export interface RunningService {
  child: ChildProcess;
  output(): string;
  /** Resolves with the first match of `pattern` in the output, or rejects when the process exits first. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<number | null>;
}

export function spawnService(entry: string, env: Record<string, string>): RunningService {
  const child = spawn(process.execPath, [join(buildPrivately(), entry)], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    out += chunk.toString('utf8');
    for (const l of listeners) l();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => out,
    exited,
    waitFor: (pattern, timeoutMs = 60_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const m = pattern.exec(out);
          if (m) {
            cleanup();
            resolve(m);
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out waiting for ${pattern}; output so far:\n${out}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        void exited.then((code) => {
          if (!listeners.has(check)) return;
          cleanup();
          reject(new Error(`process exited (${code}) before ${pattern}; output:\n${out}`));
        });
        check();
      }),
  };
}
