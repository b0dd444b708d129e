import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { PeriodicTask } from '@mailstrata/common';
import { APP_CONFIG, AppConfig } from '@mailstrata/config';
import { DataSource } from 'typeorm';
import { auditRelayMetrics } from './audit-metrics';
import { AuditRelay } from './audit-relay';
import { AUDIT_SINK, AuditSink } from './audit-sink.port';

const BASE_BACKOFF_MS = 1_000;

/**
 * Runs the relay in the worker (and in-process by default) when Elasticsearch is configured. While the
 * sink is unavailable the whole relay backs off exponentially — the events wait in Postgres, which
 * is the record — and resumes at full speed on the first success.
 */
@Injectable()
export class AuditRelayService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(AuditRelayService.name);
  readonly relay: AuditRelay | undefined;
  private readonly task: PeriodicTask;
  private failures = 0;
  private pausedUntil = 0;
  private stopping = false;

  constructor(
    @InjectDataSource() dataSource: DataSource,
    @Inject(AUDIT_SINK) sink: AuditSink | null,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    const { batchSize, intervalMs, maxBackoffMs } = config.audit.relay;
    this.relay = sink
      ? new AuditRelay(
          dataSource,
          sink,
          { batchSize, baseBackoffMs: Math.min(BASE_BACKOFF_MS, maxBackoffMs), maxBackoffMs },
          auditRelayMetrics(),
        )
      : undefined;
    this.task = new PeriodicTask(
      'audit-relay',
      intervalMs,
      () => this.cycle(),
      (name, err) => this.logger.error({ err, task: name }, 'audit relay cycle failed'),
    );
  }

  onApplicationBootstrap(): void {
    if (this.relay) this.task.start();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await this.task.stop();
  }

  private async cycle(): Promise<void> {
    const relay = this.relay;
    if (!relay || Date.now() < this.pausedUntil) return;
    const result = await relay.drain(() => !this.stopping);
    if (result.unavailable) {
      this.failures += 1;
      const delay = Math.min(this.config.audit.relay.maxBackoffMs, BASE_BACKOFF_MS * 2 ** Math.min(this.failures - 1, 20));
      this.pausedUntil = Date.now() + delay;
      if (this.failures === 1 || this.failures % 10 === 0) {
        this.logger.warn(
          { reason: result.unavailable, failures: this.failures, retryInMs: delay },
          'Elasticsearch unavailable; audit events wait in Postgres',
        );
      }
    } else {
      if (this.failures > 0) this.logger.log({ failures: this.failures }, 'Elasticsearch reachable again; audit relay resumed');
      this.failures = 0;
    }
    await relay.refreshGauges();
  }
}
