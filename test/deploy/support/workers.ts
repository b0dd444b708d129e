/**
 * The worker deployment as real child processes, for the SIGTERM, SIGKILL and metrics suites: the env
 * that makes the API leave background work to them, a start that waits for the worker's start line, a
 * clean-up that kills whatever a failed test left running, and the suite fixture that puts them together.
 */
import { randomBytes } from 'node:crypto';
import { EmailOutbox } from '@mailstrata/delivery';
import { getDataSourceToken } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { startTestApp, TestApp, testEnv } from '../../support/app';
import { createTestDatabase, TestDatabase } from '../../support/database';
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

/** What a worker-deployment suite runs against, filled in by `workerDeployment`'s beforeAll. */
export interface WorkerDeployment<S> {
  db: TestDatabase;
  smtp: S;
  /** An HTTP app with no worker of its own: it only enqueues. */
  api: TestApp;
  /** The env of the API and of every worker process: the SMTP server as the controller route. */
  env: Record<string, string>;
  workers: WorkerProcesses;
  /** Enqueues `count` emails to the controller route, one transaction each, subjects `job 0000`, `job 0001`, … */
  enqueueJobs(count: number, kind: string): Promise<void>;
}

/**
 * Registers the suite's beforeAll/afterAll: a database, the SMTP server `startSmtp` gives, an API that
 * leaves delivery to worker processes, and a clean-up that kills whatever a failed test left running.
 */
export function workerDeployment<S extends { port: number; close(): Promise<void> }>(options: {
  startSmtp: () => Promise<S>;
  shutdownTimeoutMs: number;
  env?: Record<string, string>;
}): WorkerDeployment<S> {
  const deployment = { workers: new WorkerProcesses() } as WorkerDeployment<S>;
  deployment.enqueueJobs = async (count, kind) => {
    const dataSource = deployment.api.app.get<DataSource>(getDataSourceToken());
    const outbox = deployment.api.app.get(EmailOutbox);
    for (let i = 0; i < count; i += 1) {
      await dataSource.transaction((m) =>
        outbox.enqueue(m, {
          scope: { partnerId: null, orgId: null },
          kind,
          to: `user${i}@customer.test`,
          subject: `job ${String(i).padStart(4, '0')}`,
          text: `message ${i}`,
        }),
      );
    }
  };

  beforeAll(async () => {
    deployment.db = await createTestDatabase();
    deployment.smtp = await options.startSmtp();
    deployment.env = testEnv(deployment.db.url, {
      FW_EVENT_SMTP_SERVER_ADDR: '127.0.0.1',
      FW_EVENT_SMTP_SERVER_PORT: String(deployment.smtp.port),
      FW_EVENT_SMTP_SERVER_USE_TLS: 'false',
      FW_EVENT_SMTP_SENDER_EMAIL: 'noreply@controller.test',
      SECRETS_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
      ...options.env,
      ...workerDeploymentEnv(options.shutdownTimeoutMs),
    });
    deployment.api = await startTestApp({ db: deployment.db, env: deployment.env });
  });

  afterAll(async () => {
    await deployment.workers.killLeftovers();
    await deployment.api?.close();
    await deployment.smtp?.close();
    await deployment.db?.drop();
  });

  return deployment;
}
