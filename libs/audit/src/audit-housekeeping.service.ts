import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { APP_CONFIG, AppConfig } from '@mailstrata/config';
import { PeriodicTask } from '@mailstrata/common';
import { DataSource } from 'typeorm';

const HOUR_MS = 3_600_000;
const BATCH = 5_000;

/**
 * Prunes the Postgres audit record. With Elasticsearch as the record of search, delivered events older
 * than AUDIT_RETENTION_DAYS go; undelivered or parked ones never do. Without Elasticsearch, events stay
 * unless AUDIT_KEEP_IN_POSTGRES_DAYS is set.
 */
@Injectable()
export class AuditHousekeepingService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(AuditHousekeepingService.name);
  private readonly task = new PeriodicTask(
    'audit-housekeeping',
    HOUR_MS,
    () => this.prune().then(() => undefined),
    (name, err) => this.logger.error({ err, task: name }, 'audit housekeeping failed'),
  );

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.task.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.task.stop();
  }

  /** Deletes what retention allows, in batches; returns how many rows went. */
  async prune(now = new Date()): Promise<number> {
    const { sql, days } = this.config.elastic
      ? { sql: 'delivered_at IS NOT NULL AND delivered_at < $1', days: this.config.audit.retentionDays }
      : { sql: 'occurred_at < $1', days: this.config.audit.keepInPostgresDays };
    if (days <= 0) return 0;
    const cutoff = new Date(now.getTime() - days * 24 * HOUR_MS);
    let total = 0;
    for (;;) {
      // TypeORM answers a DELETE with [rows, affected count].
      const [, deleted]: [unknown[], number] = await this.dataSource.query(
        `DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events WHERE ${sql} LIMIT ${BATCH})`,
        [cutoff],
      );
      total += deleted;
      if (deleted < BATCH) break;
    }
    if (total > 0) this.logger.log({ pruned: total, cutoff }, 'pruned audit events');
    return total;
  }
}
