import { DataSource, EntityManager } from 'typeorm';
import { AUDIT_EVENT_COLUMNS, AuditEventRow, toAuditDocument } from '../audit-document';
import { AuditRelayMetrics } from './audit-metrics';
import { AuditSink, AuditSinkUnavailable } from './audit-sink.port';

export interface AuditRelayOptions {
  batchSize: number;
  /** First retry delay of an event the sink refused transiently; doubles per attempt up to maxBackoffMs. */
  baseBackoffMs: number;
  maxBackoffMs: number;
}

export interface AuditRelayHooks {
  /**
   * Runs after the sink acknowledged a batch and before the outcome is committed. Tests throw here to
   * act out a relay that dies at the worst moment: the claim rolls back and the batch is sent again.
   */
  afterSinkAck?(eventIds: string[]): Promise<void>;
}

export interface RelayBatchResult {
  claimed: number;
  delivered: number;
  retried: number;
  parked: number;
  /** Set when the sink failed as a whole; no event's state changed. */
  unavailable?: string;
}

/**
 * Moves committed audit events from the Postgres outbox to the sink. Claims rows by their state
 * (undelivered, not parked, due) rather than by a sequence high-water mark, so a transaction that
 * commits late with a lower `seq` is still picked up. Rows stay locked (`FOR UPDATE SKIP LOCKED`)
 * while their batch is in flight: parallel relays take disjoint batches, and a relay that dies
 * releases its rows to be sent again, which the sink's idempotent `create` turns into a 409.
 */
export class AuditRelay {
  private prepared = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly sink: AuditSink,
    private readonly options: AuditRelayOptions,
    private readonly metrics: AuditRelayMetrics,
    private readonly hooks: AuditRelayHooks = {},
  ) {}

  /** Claims and delivers one batch. Throws only for database errors (or a hook's). */
  async runBatch(): Promise<RelayBatchResult> {
    if (!this.prepared) {
      try {
        await this.sink.prepare();
        this.prepared = true;
      } catch (error) {
        return { claimed: 0, delivered: 0, retried: 0, parked: 0, unavailable: (error as Error).message };
      }
    }
    return this.dataSource.transaction((manager) => this.deliverClaimed(manager));
  }

  /** Runs batches until the due backlog is empty or the sink is unavailable; returns the totals. */
  async drain(keepGoing: () => boolean = () => true): Promise<RelayBatchResult> {
    const total: RelayBatchResult = { claimed: 0, delivered: 0, retried: 0, parked: 0 };
    for (;;) {
      const r = await this.runBatch();
      total.claimed += r.claimed;
      total.delivered += r.delivered;
      total.retried += r.retried;
      total.parked += r.parked;
      if (r.unavailable) return { ...total, unavailable: r.unavailable };
      if (r.claimed < this.options.batchSize || !keepGoing()) return total;
    }
  }

  /** Refreshes the backlog gauges from the table. */
  async refreshGauges(): Promise<{ backlog: number; oldestSeconds: number }> {
    const [row] = (await this.dataSource.query(
      `SELECT (SELECT count(*) FROM audit_events WHERE delivered_at IS NULL AND parked_at IS NULL)::int AS backlog,
              COALESCE(EXTRACT(EPOCH FROM now() - (SELECT occurred_at FROM audit_events
                 WHERE delivered_at IS NULL AND parked_at IS NULL ORDER BY seq LIMIT 1)), 0)::float8 AS oldest`,
    )) as { backlog: number; oldest: number }[];
    const backlog = Number(row?.backlog ?? 0);
    const oldestSeconds = Math.max(0, Number(row?.oldest ?? 0));
    this.metrics.backlog.set(backlog);
    this.metrics.oldestUndeliveredSeconds.set(oldestSeconds);
    return { backlog, oldestSeconds };
  }

  private async deliverClaimed(manager: EntityManager): Promise<RelayBatchResult> {
    const rows = (await manager.query(
      `SELECT ${AUDIT_EVENT_COLUMNS} FROM audit_events
        WHERE delivered_at IS NULL AND parked_at IS NULL AND (next_attempt_at IS NULL OR next_attempt_at <= now())
        ORDER BY seq
        LIMIT $1
        FOR UPDATE SKIP LOCKED`,
      [this.options.batchSize],
    )) as AuditEventRow[];
    if (rows.length === 0) return { claimed: 0, delivered: 0, retried: 0, parked: 0 };

    let outcomes;
    try {
      outcomes = await this.sink.deliver(rows.map(toAuditDocument));
    } catch (error) {
      if (!(error instanceof AuditSinkUnavailable)) throw error;
      // The cluster is down, not these events: leave their state alone (the service backs off as a whole).
      this.metrics.retried.inc(rows.length);
      return { claimed: rows.length, delivered: 0, retried: rows.length, parked: 0, unavailable: error.reason };
    }
    await this.hooks.afterSinkAck?.(rows.map((r) => r.id));

    const delivered: string[] = [];
    const retry: { id: string; reason: string }[] = [];
    const park: { id: string; reason: string }[] = [];
    rows.forEach((row, i) => {
      const outcome = outcomes[i] ?? { status: 'retry', reason: 'no item status in the bulk answer' };
      if (outcome.status === 'delivered') delivered.push(row.id);
      else if (outcome.status === 'retry') retry.push({ id: row.id, reason: outcome.reason });
      else park.push({ id: row.id, reason: outcome.reason });
    });

    if (delivered.length > 0) {
      await manager.query(
        `UPDATE audit_events SET delivered_at = now(), delivery_attempts = delivery_attempts + 1, next_attempt_at = NULL, last_error = NULL
          WHERE id = ANY($1::uuid[])`,
        [delivered],
      );
    }
    if (retry.length > 0) {
      // Exponential backoff per event with jitter, so a hot spot (one overloaded shard) spreads out.
      await manager.query(
        `UPDATE audit_events a
            SET delivery_attempts = a.delivery_attempts + 1,
                last_error = r.reason,
                next_attempt_at = now() + make_interval(secs => LEAST($3::float8, $2::float8 * power(2, LEAST(a.delivery_attempts, 30)))
                                                         * (0.5 + random() / 2) / 1000)
           FROM unnest($1::uuid[], $4::text[]) AS r(id, reason)
          WHERE a.id = r.id`,
        [retry.map((r) => r.id), this.options.baseBackoffMs, this.options.maxBackoffMs, retry.map((r) => r.reason)],
      );
    }
    if (park.length > 0) {
      await manager.query(
        `UPDATE audit_events a SET parked_at = now(), delivery_attempts = a.delivery_attempts + 1, last_error = p.reason, next_attempt_at = NULL
           FROM unnest($1::uuid[], $2::text[]) AS p(id, reason)
          WHERE a.id = p.id`,
        [park.map((p) => p.id), park.map((p) => p.reason)],
      );
    }
    this.metrics.delivered.inc(delivered.length);
    this.metrics.retried.inc(retry.length);
    this.metrics.parked.inc(park.length);
    return { claimed: rows.length, delivered: delivered.length, retried: retry.length, parked: park.length };
  }
}
