/**
 * Delivers queued system emails. Jobs are claimed in batches with `FOR UPDATE SKIP LOCKED` (replicas
 * get disjoint batches) and a lease (`leaseMs`, short: a minute by default). While it lives, a worker
 * renews the lease of every job it still holds every third of a lease (claimed, sending, or sent and
 * waiting to be booked), so a slow send is never reclaimed from a live worker; a worker that dies
 * (kill -9, OOM) stops renewing and its jobs are reclaimed about one lease later. Renewal and booking
 * both require the job to be still `sending` and claimed by this worker: a renewal never brings back a
 * booked job, and a worker that lost its claim books nothing. Claiming, sending and booking overlap: the next batch is claimed while the
 * current one is sending, and successes are booked in groups, each in one statement. The profile is resolved at send time through the
 * SMTP_PROFILE_RESOLVER port, so the current effective profile and its `retries` apply.
 *
 * Transient failures (4xx replies, timeouts, connection problems, token endpoint outages) are retried
 * with exponential backoff and full jitter until the profile's retries are used up; permanent ones
 * (5xx, authentication, refused destinations) fail at once. Every outcome is an audit event written in
 * the same transaction (or statement) as the job's new state.
 *
 * On shutdown, sends in flight finish (they are bounded by the SMTP timeouts) and claimed jobs that
 * have not started are released for another worker.
 */
import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AUDIT_CATEGORY, AuditWriter, sanitizeDetails } from '@mailstrata/audit';
import { DomainError, PeriodicTask } from '@mailstrata/common';
import { ChangeBus, PreparedStatement } from '@mailstrata/database';
import { SecretCipher } from '@mailstrata/secrets';
import { DataSource } from 'typeorm';
import { recordDelivery, recordQueue } from './delivery-metrics';
import { EmailFailed, EmailRetrying, EmailSent } from './email-delivery.events';
import { bodyContext, EMAIL_JOBS_TOPIC } from './email-outbox';
import { Mailer } from './mailer';
import { ProfileHealthRecorder } from './profile-health';
import { SmtpDeliveryError, SmtpFailure } from './smtp-failure';
import { ResolvedSmtpTarget, SMTP_PROFILE_RESOLVER, SmtpProfileResolver } from './smtp-target';

export const EMAIL_DELIVERY_OPTIONS = Symbol('EmailDeliveryOptions');

export interface EmailDeliveryOptions {
  /** How often due jobs (retries) are looked for when no notification woke the worker. */
  pollIntervalMs?: number;
  batchSize?: number;
  concurrency?: number;
  /** First retry delay; doubles per attempt, with full jitter, capped at `retryMaxMs`. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** A claimed job whose lease was not renewed within this time is reclaimed by any worker (renewed every third of it). */
  leaseMs?: number;
  /** Retries when no profile can be resolved (there is no profile to take `retries` from). */
  defaultRetries?: number;
  /** How often the queue gauges (depth, oldest due job) are refreshed from the table. */
  queueStatsIntervalMs?: number;
}

/** Most jobs booked by one statement. */
const MAX_BOOKING = 500;
/** Successes booked together once this many have gathered… */
const BOOKING_GROUP = 50;
/** …or this long after the first; also the least time between claims that came back short. */
const GATHER_MS = 20;

/** Claims due jobs (and jobs whose lease ran out) for this worker: $1 worker id, $2 batch size, $3 lease ms. */
const CLAIM = new PreparedStatement(
  'email_jobs_claim',
  `UPDATE email_jobs j SET status = 'sending', attempts = j.attempts + 1, locked_by = $1, locked_until = now() + ($3 || ' milliseconds')::interval
   WHERE j.id IN (
     SELECT id FROM email_jobs
     WHERE (status = 'queued' AND next_attempt_at <= now()) OR (status = 'sending' AND locked_until < now())
     ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED)
   RETURNING j.id, j.partner_id, j.org_id, j.kind, j.recipient, j.subject, j.body_ciphertext, j.attempts`,
);

/** Extends the lease of the jobs this worker ($1) still holds ($2), by $3 ms from now; returns those it still has. */
const RENEW = new PreparedStatement(
  'email_jobs_renew',
  `UPDATE email_jobs SET locked_until = now() + ($3 || ' milliseconds')::interval
   WHERE id = ANY($2::uuid[]) AND locked_by = $1 AND status = 'sending'
   RETURNING id`,
);

/**
 * Books delivered jobs in one statement: the jobs still claimed by this worker ($6) become `sent` and
 * get their `email.sent` event; a job whose lease was lost belongs to another worker now and gets neither.
 */
const BOOK_SENT = new PreparedStatement(
  'email_jobs_book_sent',
  `WITH v AS (
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::jsonb[]) AS v(id, message_id, source, event_id, details)
   ), done AS (
     UPDATE email_jobs j SET status = 'sent', body_ciphertext = NULL, locked_by = NULL, locked_until = NULL, finished_at = now(),
       message_id = v.message_id, source = v.source, last_stage = NULL, last_smtp_code = NULL, last_error_code = NULL
     FROM v WHERE j.id = v.id AND j.locked_by = $6 AND j.status = 'sending'
     RETURNING j.id, j.partner_id, j.org_id
   )
   INSERT INTO audit_events (id, occurred_at, category, type, outcome, partner_id, org_id, resource_type, resource_id, details)
   SELECT v.event_id, $7, $8, $9, 'success', done.partner_id, done.org_id, 'email_job', done.id::text, v.details
   FROM done JOIN v ON v.id = done.id`,
);

const DEFAULTS: Required<EmailDeliveryOptions> = {
  pollIntervalMs: 1_000,
  batchSize: 100,
  concurrency: 16,
  retryBaseMs: 5_000,
  retryMaxMs: 15 * 60_000,
  leaseMs: 60_000,
  defaultRetries: 3,
  queueStatsIntervalMs: 5_000,
};

/** The queue gauges' numbers: unfinished jobs by status, and the wait of the oldest due, unclaimed one. */
const QUEUE_STATS = new PreparedStatement(
  'email_jobs_queue_stats',
  `SELECT (SELECT count(*) FROM email_jobs WHERE status = 'queued')::int AS queued,
          (SELECT count(*) FROM email_jobs WHERE status = 'sending')::int AS sending,
          COALESCE(EXTRACT(EPOCH FROM now() - (SELECT min(next_attempt_at) FROM email_jobs WHERE status = 'queued' AND next_attempt_at <= now())), 0)::float8
            AS oldest_due_seconds`,
);

interface ClaimedJob {
  id: string;
  partner_id: string | null;
  org_id: string | null;
  kind: string;
  recipient: string;
  subject: string;
  body_ciphertext: string | null;
  attempts: number;
}

interface SentRecord {
  job: ClaimedJob;
  target: ResolvedSmtpTarget;
  messageId: string;
  smtpCode: number | null;
  details: Record<string, unknown>;
}

type Outcome =
  | { ok: true; target: ResolvedSmtpTarget; messageId: string; smtpCode: number | null }
  | { ok: false; target: ResolvedSmtpTarget | null; failure: SmtpFailure | null; errorCode: string; permanent: boolean };

/** TypeORM answers UPDATE … RETURNING with `[rows, affected]` and SELECT with `rows`. */
function returnedRows<T>(result: unknown): T[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[0] as T[];
  return result as T[];
}

export function backoffMs(attempt: number, baseMs: number, maxMs: number, random = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  // Full jitter: spreads retries of many jobs that failed together over the whole window.
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

@Injectable()
export class EmailDeliveryWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(EmailDeliveryWorker.name);
  private readonly options: Required<EmailDeliveryOptions>;
  private readonly workerId = `worker-${randomUUID()}`;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private dirty = false;
  private stopping = false;
  private unsubscribe: (() => void) | undefined;
  private readonly queueStats: PeriodicTask;
  /** Jobs claimed by this worker and not yet booked, failed, released or given up: their leases are renewed. */
  private readonly held = new Set<string>();
  private heartbeat: NodeJS.Timeout | undefined;
  private renewing: Promise<void> | undefined;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(SMTP_PROFILE_RESOLVER) private readonly resolver: SmtpProfileResolver,
    private readonly mailer: Mailer,
    private readonly audit: AuditWriter,
    private readonly cipher: SecretCipher,
    private readonly health: ProfileHealthRecorder,
    private readonly changes: ChangeBus,
    @Optional() @Inject(EMAIL_DELIVERY_OPTIONS) options: EmailDeliveryOptions | null = null,
  ) {
    this.options = { ...DEFAULTS, ...(options ?? {}) };
    this.queueStats = new PeriodicTask(
      'email-queue-stats',
      this.options.queueStatsIntervalMs,
      () => this.refreshQueueStats(),
      (name, err) => this.logger.warn({ err, task: name }, 'refreshing the email queue gauges failed'),
    );
  }

  onApplicationBootstrap(): void {
    this.unsubscribe = this.changes.subscribe(EMAIL_JOBS_TOPIC, () => this.wake());
    this.schedule();
    this.wake();
    this.queueStats.start();
    this.heartbeat = setInterval(() => void this.renewLeases(), Math.max(1, Math.floor(this.options.leaseMs / 3)));
    this.heartbeat.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.unsubscribe?.();
    if (this.timer) clearTimeout(this.timer);
    await this.queueStats.stop();
    // Sends in flight finish during shutdown: their leases keep being renewed until then.
    await this.running;
    clearInterval(this.heartbeat);
    await this.renewing;
  }

  /** The heartbeat: renews the leases of held jobs; a job no longer claimed by this worker is dropped from them. */
  async renewLeases(): Promise<void> {
    if (this.renewing || this.held.size === 0) return;
    const ids = [...this.held];
    this.renewing = (async () => {
      try {
        const kept = new Set(
          returnedRows<{ id: string }>(await RENEW.run(this.dataSource, [this.workerId, ids, String(this.options.leaseMs)])).map(
            (r) => r.id,
          ),
        );
        // Not renewed: booked or finished meanwhile (no longer held anyway), or lost to another worker.
        for (const id of ids) if (!kept.has(id)) this.held.delete(id);
      } catch (error) {
        this.logger.warn({ err: error, jobs: ids.length }, 'renewing email job leases failed');
      } finally {
        this.renewing = undefined;
      }
    })();
    await this.renewing;
  }

  /** Sets the queue gauges from the table (every replica reports the same numbers: use max() across them). */
  async refreshQueueStats(): Promise<void> {
    const [row] = returnedRows<{ queued: number; sending: number; oldest_due_seconds: number }>(await QUEUE_STATS.run(this.dataSource, []));
    if (row) recordQueue({ queued: row.queued, sending: row.sending, oldestDueSeconds: Number(row.oldest_due_seconds) });
  }

  /** Delivers everything due now, then resolves (tests and the benchmark use it to drain). */
  async drain(): Promise<void> {
    this.wake();
    while (this.running) await this.running;
  }

  private schedule(): void {
    if (this.stopping) return;
    this.timer = setTimeout(() => {
      this.wake();
      this.schedule();
    }, this.options.pollIntervalMs);
    this.timer.unref();
  }

  private wake(): void {
    if (this.stopping) return;
    this.dirty = true;
    if (this.running) return;
    this.running = this.loop()
      .catch((error: unknown) => this.logger.error({ err: error }, 'email delivery pass failed'))
      .finally(() => {
        this.running = undefined;
      });
  }

  private async loop(): Promise<void> {
    while (this.dirty && !this.stopping) {
      this.dirty = false;
      await this.pump();
    }
  }

  /**
   * Streams due jobs through `concurrency` lanes until none are left. Nothing waits on anything else:
   * the next batch is claimed while the current one is sending (when half of it is left), and
   * successes are booked in groups while sending goes on (each booking takes whatever finished since
   * the previous one started). A wake-up that arrives while the pass runs keeps it claiming.
   * On shutdown, sends in flight finish and are booked; claimed jobs not started are released.
   */
  private async pump(): Promise<void> {
    const { batchSize, concurrency } = this.options;
    const queue: ClaimedJob[] = [];
    // Whether the last claim was full (more may be due), and when a claim may run again after one that
    // was not: under a steady trickle of wake-ups, claims gather what arrived meanwhile instead of
    // running (and committing) once per enqueued email.
    let more = true;
    let nextClaimAt = 0;
    let claiming: Promise<void> | undefined;
    const claimMore = () => {
      const startedAt = Date.now();
      claiming = this.claim()
        .then(
          (jobs) => {
            queue.push(...jobs);
            more = jobs.length === batchSize;
            nextClaimAt = more ? 0 : startedAt + GATHER_MS;
          },
          (error: unknown) => {
            more = false;
            this.logger.error({ err: error }, 'claiming email jobs failed');
          },
        )
        .finally(() => {
          claiming = undefined;
        });
    };

    // Successes are booked in groups: when BOOKING_GROUP have gathered, or GATHER_MS after the first.
    const pending: SentRecord[] = [];
    let booking: Promise<void> | undefined;
    let bookTimer: NodeJS.Timeout | undefined;
    let draining = false;
    const bookNow = () => {
      if (bookTimer) clearTimeout(bookTimer);
      bookTimer = undefined;
      if (booking) return;
      booking = (async () => {
        do await this.bookGroup(pending.splice(0, MAX_BOOKING));
        while (pending.length >= BOOKING_GROUP || (draining && pending.length > 0));
        booking = undefined;
        if (pending.length > 0) scheduleBooking();
      })();
    };
    const scheduleBooking = () => {
      if (booking) return; // it looks at what gathered meanwhile when it is done
      if (pending.length >= BOOKING_GROUP || draining) bookNow();
      else bookTimer ??= setTimeout(bookNow, GATHER_MS);
    };

    const lane = async () => {
      while (!this.stopping) {
        if (!claiming && queue.length <= batchSize / 2 && (more || this.dirty) && Date.now() >= nextClaimAt) {
          if (!more) this.dirty = false;
          claimMore();
        }
        const job = queue.shift();
        if (job) {
          const record = await this.deliver(job).catch((error: unknown) => {
            this.logger.error({ err: error, jobId: job.id }, 'email job bookkeeping failed');
            return undefined;
          });
          if (record) {
            pending.push(record);
            scheduleBooking();
          } else {
            // Finished, or its bookkeeping failed: then the lease runs out and the job is tried again.
            this.held.delete(job.id);
          }
        } else if (claiming) await claiming;
        else if (more || this.dirty) await new Promise((resolve) => setTimeout(resolve, Math.max(1, nextClaimAt - Date.now())));
        else return;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, lane));
    // A claim still running when shutdown began: its jobs are released with the rest below.
    while (claiming) await claiming;
    draining = true;
    while (booking || pending.length > 0) {
      if (!booking) bookNow();
      await booking;
    }
    if (queue.length > 0) await this.release(queue.map((j) => j.id));
  }

  private async bookGroup(group: SentRecord[]): Promise<void> {
    if (group.length === 0) return;
    await this.finishSent(group).catch((error: unknown) =>
      // Left claimed and no longer renewed: the lease runs out and the jobs are sent again (at least once, never lost).
      this.logger.error({ err: error, jobs: group.length }, 'booking sent emails failed'),
    );
    for (const r of group) this.held.delete(r.job.id);
  }

  /** Books delivered jobs (BOOK_SENT: one round trip, its own transaction), then the profiles' health. */
  private async finishSent(sent: SentRecord[]): Promise<void> {
    const now = new Date();
    await BOOK_SENT.run(this.dataSource, [
      sent.map((r) => r.job.id),
      sent.map((r) => r.messageId),
      sent.map((r) => r.target.source),
      sent.map(() => randomUUID()),
      sent.map((r) => JSON.stringify(sanitizeDetails(EmailSent, { ...r.details, message_id: r.messageId, smtp_code: r.smtpCode }))),
      this.workerId,
      now,
      AUDIT_CATEGORY,
      EmailSent.type,
    ]);
    const profiles = new Map(sent.map((r) => [r.target.cacheKey, r.target.version]));
    for (const [key, version] of profiles) await this.health.success(key, version, undefined, now);
  }

  private async claim(): Promise<ClaimedJob[]> {
    const result: unknown = await CLAIM.run(this.dataSource, [this.workerId, this.options.batchSize, String(this.options.leaseMs)]);
    const jobs = returnedRows<ClaimedJob>(result);
    for (const job of jobs) this.held.add(job.id);
    return jobs;
  }

  /** Claimed but not started (shutdown): back to the queue, the attempt not counted. */
  private async release(ids: string[]): Promise<void> {
    await this.dataSource.query(
      `UPDATE email_jobs SET status = 'queued', attempts = attempts - 1, locked_by = NULL, locked_until = NULL
       WHERE id = ANY($1::uuid[]) AND locked_by = $2 AND status = 'sending'`,
      [ids, this.workerId],
    );
    for (const id of ids) this.held.delete(id);
  }

  private async attempt(job: ClaimedJob): Promise<Outcome> {
    let target: ResolvedSmtpTarget | null = null;
    try {
      target = await this.resolver.resolve({ partnerId: job.partner_id, orgId: job.org_id });
      if (job.body_ciphertext === null) throw new Error('job has no body');
      const body = JSON.parse(this.cipher.decrypt(job.body_ciphertext, bodyContext(job.id))) as { text: string; html: string | null };
      const sent = await this.mailer.send(target, {
        to: job.recipient,
        subject: job.subject,
        text: body.text,
        ...(body.html !== null ? { html: body.html } : {}),
      });
      const code = sent.response ? Number(/^(\d{3})/.exec(sent.response)?.[1] ?? NaN) : NaN;
      return { ok: true, target, messageId: sent.messageId, smtpCode: Number.isFinite(code) ? code : null };
    } catch (error) {
      if (error instanceof SmtpDeliveryError) {
        return { ok: false, target, failure: error.failure, errorCode: error.code, permanent: !error.failure.transient };
      }
      if (error instanceof DomainError) {
        // No profile anywhere (it may be configured later): retry. A refused destination or an
        // invalid message will not get better: fail now.
        const permanent = !(error.code === 'NO_SMTP_CONFIG' || error.kind === 'unavailable');
        return { ok: false, target, failure: null, errorCode: error.code, permanent };
      }
      this.logger.error({ err: error, jobId: job.id }, 'unexpected error delivering an email');
      return { ok: false, target, failure: null, errorCode: 'INTERNAL', permanent: false };
    }
  }

  /** Sends one job; a success is returned for booking with its batch, a failure is booked here. */
  private async deliver(job: ClaimedJob): Promise<SentRecord | undefined> {
    const startedAt = performance.now();
    const outcome = await this.attempt(job);
    const seconds = (performance.now() - startedAt) / 1000;
    const t = outcome.target;
    const base = {
      job_id: job.id,
      kind: job.kind,
      recipient: job.recipient,
      ...(t ? { source: t.source, host: t.host, port: t.port, tls_mode: t.tlsMode, insecure: t.insecure } : {}),
      attempt: job.attempts,
    };
    const scope = { partnerId: job.partner_id, orgId: job.org_id, resource: { type: 'email_job', id: job.id } };

    if (outcome.ok) {
      recordDelivery('sent', seconds);
      return { job, target: outcome.target, messageId: outcome.messageId, smtpCode: outcome.smtpCode, details: base };
    }

    const booked = await this.dataSource.transaction(async (manager): Promise<'retrying' | 'failed' | undefined> => {
      const retries = t ? t.retries : this.options.defaultRetries;
      const maxAttempts = retries + 1;
      const stage = outcome.failure?.stage ?? null;
      const smtpCode = outcome.failure?.smtpCode ?? null;
      const failureDetails = { ...base, max_attempts: maxAttempts, stage, smtp_code: smtpCode, error_code: outcome.errorCode };
      let result: 'retrying' | 'failed';
      if (!outcome.permanent && job.attempts < maxAttempts) {
        const nextAt = new Date(Date.now() + backoffMs(job.attempts, this.options.retryBaseMs, this.options.retryMaxMs));
        const updated = returnedRows(
          await manager.query(
            `UPDATE email_jobs SET status = 'queued', locked_by = NULL, locked_until = NULL, next_attempt_at = $3,
             last_stage = $4, last_smtp_code = $5, last_error_code = $6, source = $7
           WHERE id = $1 AND locked_by = $2 RETURNING 1`,
            [job.id, this.workerId, nextAt, stage, smtpCode, outcome.errorCode, t?.source ?? null],
          ),
        );
        if (updated.length === 0) return undefined;
        await this.audit.record(manager, EmailRetrying, {
          outcome: 'failure',
          actor: null,
          ...scope,
          details: { ...failureDetails, next_attempt_at: nextAt.toISOString() },
        });
        result = 'retrying';
      } else {
        const updated = returnedRows(
          await manager.query(
            `UPDATE email_jobs SET status = 'failed', body_ciphertext = NULL, locked_by = NULL, locked_until = NULL, finished_at = now(),
             last_stage = $3, last_smtp_code = $4, last_error_code = $5, source = $6
           WHERE id = $1 AND locked_by = $2 RETURNING 1`,
            [job.id, this.workerId, stage, smtpCode, outcome.errorCode, t?.source ?? null],
          ),
        );
        if (updated.length === 0) return undefined;
        await this.audit.record(manager, EmailFailed, {
          outcome: 'failure',
          actor: null,
          ...scope,
          details: { ...failureDetails, permanent: outcome.permanent },
        });
        result = 'failed';
      }
      if (t) await this.health.failure(t.cacheKey, t.version, outcome.failure, outcome.errorCode, manager);
      return result;
    });
    if (booked) recordDelivery(booked, seconds);
    return undefined;
  }
}
