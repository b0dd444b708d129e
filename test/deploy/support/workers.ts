/**
 * The worker deployment as real child processes, for the SIGTERM suites: the env that makes the API
 * leave background work to them, a start that waits for the worker's start line, and a clean-up that
 * kills whatever a failed test left running.
 */
import { RunningService, spawnService } from '../../support/process';

/** On top of a suite's env: no in-process worker in the API, an ops port of the OS's choosing. */
export function workerDeploymentEnv(shutdownTimeoutMs: number): Record<string, string> {
  return { SHUTDOWN_TIMEOUT_MS: String(shutdownTimeoutMs), WORKER_IN_PROCESS: 'false', WORKER_HTTP_PORT: '0', LOG_LEVEL: 'warn' };
}

export class WorkerProcesses {
  private readonly started: RunningService[] = [];

  async start(env: Record<string, string>): Promise<RunningService> {
    const worker = spawnService('apps/event-worker/src/main.js', env);
    this.started.push(worker);
    await worker.waitFor(/mailstrata-worker: started/);
    return worker;
  }

  async killLeftovers(): Promise<void> {
    for (const w of this.started) {
      if (w.child.exitCode === null && w.child.signalCode === null) {
        w.child.kill('SIGKILL');
        await w.exited;
      }
    }
  }
}
