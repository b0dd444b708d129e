/**
 * Delivers queued system emails. Jobs are claimed in batches with `FOR UPDATE SKIP LOCKED` (replicas
 * get disjoint batches) and a lease (`leaseMs`, short: a minute by default), renewed while this worker
 * holds them; the mechanics (claim-ahead, lanes, grouped bookings, heartbeat, release on shutdown) are
 * LeasedBatchPump's, the SQL is EmailJobRepository's, and what becomes of an attempt is `decide`'s. This
 * class sends one job: the profile is resolved at send time (SmtpRouteResolver, over email-config's
 * cached resolution), so the current effective profile and its `retries` apply.
 *
 * Transient failures (4xx replies, timeouts, connection problems, token endpoint outages) are retried
 * with exponential backoff and full jitter until the profile's retries are used up; permanent ones
 * (5xx, authentication, refused destinations) fail at once. Every outcome is an audit event written in
 * the same statement as the job's new state.
 *
 * When the scope's effective level has a secondary route, `decide` may hand a job over to it (the job
 * then stays on the secondary), and `routeForAttempt` sends a job straight to the secondary while the
 * primary's health is failing. That health is read from ProfileHealthRecorder at most once a second per
 * primary (and updated at once by this worker's own outcomes), and only for scopes with a secondary.
 * A job is booked once whichever route carried it: the booking requires the worker's claim, so a
 * handover never makes two jobs of one. What it cannot rule out is the SMTP protocol's own window: a
 * server that took the whole message but whose 250 never arrived looks like a timeout, and the next
 * attempt (on either route) sends it again. Failover does not widen that window (a retry on the
 * primary has it too), but it is there; every attempt of a job carries the same Message-ID
 * (`<job id@primary sender's domain>`), so the copy is recognisable as the same message.
 *
 * On shutdown, sends in flight finish (they are bounded by the SMTP timeouts) and claimed jobs that
 * have not started are released for another worker.
 */
import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, Optional } from '@nestjs/common';
import { auditRow } from '@mailstrata/audit';
import { PeriodicTask } from '@mailstrata/common';
import { ChangeBus } from '@mailstrata/database';
import { Mailer } from '@mailstrata/mailer';
import { LRUCache } from 'lru-cache';
import { SecretCipher } from '@mailstrata/secrets';
import { recordDelivery, recordFailover, recordQueue } from './delivery-metrics';
import {
  AttemptOutcome,
  classifyFailure,
  decide,
  DeliveryRoute,
  isRouteFailure,
  primaryFailing,
  routeForAttempt,
} from './delivery-decision';
import { EmailFailed, EmailRetrying, EmailSent } from './email-delivery.events';
import { ClaimedJob, EmailJobRepository } from './email-job.repository';
import { EMAIL_JOBS_TOPIC } from './email-outbox';
import { bodyContext, JobPayload } from './message-writer';
import { LeasedBatchPump } from './leased-batch-pump';
import { ProfileHealthRecorder } from './profile-health';
import { ResolvedRoutes, ResolvedSmtpTarget, SmtpRouteResolver } from './smtp-route';

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
  /** From this attempt on, a transient failure on the primary hands the job to the secondary. */
  failoverAfterAttempts?: number;
  /** A route failure of the primary newer than its last success sends jobs straight to the secondary for this long. */
  failoverHealthWindowMs?: number;
}

const DEFAULTS: Required<EmailDeliveryOptions> = {
  pollIntervalMs: 1_000,
  batchSize: 100,
  concurrency: 16,
  retryBaseMs: 5_000,
  retryMaxMs: 15 * 60_000,
  leaseMs: 60_000,
  defaultRetries: 3,
  queueStatsIntervalMs: 5_000,
  failoverAfterAttempts: 1,
  failoverHealthWindowMs: 60_000,
};

/** How long this worker trusts what it read of a primary's health. */
const HEALTH_READ_TTL_MS = 1_000;

/** A delivered job waiting to be booked with its group. */
interface SentRecord {
  job: ClaimedJob;
  target: ResolvedSmtpTarget;
  messageId: string;
  smtpCode: number | null;
  reply: string | null;
  details: Record<string, unknown>;
}

type Attempt = AttemptOutcome & {
  target: ResolvedSmtpTarget | null;
  routes: ResolvedRoutes | null;
  primaryFailing: boolean;
  payload: JobPayload | null;
  messageId?: string;
  smtpCode?: number | null;
  reply?: string | null;
};

function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1);
}

/** The delivery log's fields of a job's audit events (from its payload; absent for jobs queued before the log). */
function messageDetails(payload: JobPayload | null): Record<string, unknown> {
  if (!payload?.messageId) return {};
  return {
    message_id: payload.messageId,
    template: payload.template ?? null,
    producer_type: payload.producer?.type ?? null,
    producer_id: payload.producer?.id ?? null,
    producer_name: payload.producer?.name ?? null,
  };
}

@Injectable()
export class EmailDeliveryWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(EmailDeliveryWorker.name);
  private readonly options: Required<EmailDeliveryOptions>;
  private readonly workerId = `worker-${randomUUID()}`;
  private readonly pump: LeasedBatchPump<ClaimedJob, SentRecord>;
  private unsubscribe: (() => void) | undefined;
  private readonly queueStats: PeriodicTask;
  /** Whether a primary (cache key and version) is failing, as last read or seen by this worker. */
  private readonly primaryHealth = new LRUCache<string, { failing: boolean }>({ max: 10_000, ttl: HEALTH_READ_TTL_MS });

  constructor(
    private readonly jobs: EmailJobRepository,
    private readonly resolver: SmtpRouteResolver,
    private readonly mailer: Mailer,
    private readonly cipher: SecretCipher,
    private readonly health: ProfileHealthRecorder,
    private readonly changes: ChangeBus,
    @Optional() @Inject(EMAIL_DELIVERY_OPTIONS) options: EmailDeliveryOptions | null = null,
  ) {
    this.options = { ...DEFAULTS, ...(options ?? {}) };
    const { batchSize, leaseMs } = this.options;
    this.pump = new LeasedBatchPump(
      'email delivery',
      {
        claim: () => this.jobs.claim(this.workerId, batchSize, leaseMs),
        process: (job) => this.deliver(job),
        book: (group) => this.bookSent(group),
        release: (ids) => this.jobs.release(this.workerId, ids),
        renew: (ids) => this.jobs.renew(this.workerId, ids, leaseMs),
        idOf: (record) => record.job.id,
      },
      this.options,
      this.logger,
    );
    this.queueStats = new PeriodicTask(
      'email-queue-stats',
      this.options.queueStatsIntervalMs,
      () => this.refreshQueueStats(),
      (name, err) => this.logger.warn({ err, task: name }, 'refreshing the email queue gauges failed'),
    );
  }

  onApplicationBootstrap(): void {
    this.unsubscribe = this.changes.subscribe(EMAIL_JOBS_TOPIC, () => this.pump.wake());
    this.pump.start();
    this.queueStats.start();
  }

  async onApplicationShutdown(): Promise<void> {
    this.unsubscribe?.();
    await this.queueStats.stop();
    await this.pump.stop();
  }

  /** The heartbeat's work, on demand: renews the leases of the jobs this worker holds. */
  renewLeases(): Promise<void> {
    return this.pump.renewLeases();
  }

  /** Sets the queue gauges from the table (every replica reports the same numbers: use max() across them). */
  async refreshQueueStats(): Promise<void> {
    const stats = await this.jobs.queueStats();
    if (stats) recordQueue(stats);
  }

  /** Delivers everything due now, then resolves (tests and the benchmark use it to drain). */
  drain(): Promise<void> {
    return this.pump.drain();
  }

  /** Books delivered jobs (one statement, its own transaction), then the profiles' health. */
  private async bookSent(sent: SentRecord[]): Promise<void> {
    const now = new Date();
    await this.jobs.bookSent(
      this.workerId,
      sent.map((r) => ({
        jobId: r.job.id,
        messageId: r.messageId,
        source: r.target.source,
        route: r.target.route,
        smtpCode: r.smtpCode,
        attempt: r.job.attempts,
        host: r.target.host,
        version: r.target.version,
        reply: r.reply,
        event: auditRow(EmailSent, {
          outcome: 'success',
          actor: null,
          partnerId: r.job.partner_id,
          orgId: r.job.org_id,
          resource: { type: 'email_job', id: r.job.id },
          details: { ...r.details, smtp_message_id: r.messageId, smtp_code: r.smtpCode },
          occurredAt: now,
        }),
      })),
    );
    const profiles = new Map(sent.map((r) => [r.target.cacheKey, r.target.version]));
    for (const [key, version] of profiles) {
      this.primaryHealth.set(`${key}|${version}`, { failing: false });
      await this.health.success(key, version, undefined, now);
    }
  }

  /** Whether the primary of `routes` is failing now (read only when there is a secondary to go to). */
  private async isPrimaryFailing(routes: ResolvedRoutes): Promise<boolean> {
    if (!routes.secondary) return false;
    const { cacheKey, version } = routes.primary;
    const key = `${cacheKey}|${version}`;
    const known = this.primaryHealth.get(key);
    if (known) return known.failing;
    const failing = primaryFailing(await this.health.read(cacheKey, version), new Date(), this.options.failoverHealthWindowMs);
    this.primaryHealth.set(key, { failing });
    return failing;
  }

  private async attempt(job: ClaimedJob): Promise<Attempt> {
    let target: ResolvedSmtpTarget | null = null;
    let routes: ResolvedRoutes | null = null;
    let failing = false;
    let payload: JobPayload | null = null;
    try {
      if (job.body_ciphertext === null) throw new Error('job has no body');
      payload = JSON.parse(this.cipher.decrypt(job.body_ciphertext, bodyContext(job.id))) as JobPayload;
      routes = await this.resolver.resolveRoutes({ partnerId: job.partner_id, orgId: job.org_id });
      failing = await this.isPrimaryFailing(routes);
      const route = routeForAttempt({
        jobRoute: job.route ?? 'primary',
        secondaryAvailable: routes.secondary !== null,
        primaryFailing: failing,
      });
      target = route === 'secondary' ? routes.secondary! : routes.primary;
      if (route === 'secondary' && job.route !== 'secondary') recordFailover('primary_failing');
      const sent = await this.mailer.send(target, {
        to: job.recipient,
        subject: job.subject,
        text: payload.text,
        ...(payload.html !== null ? { html: payload.html } : {}),
        ...(payload.replyTo ? { replyTo: payload.replyTo } : {}),
        // One Message-ID for every attempt of the job, whichever route carries it.
        messageId: `<${job.id}@${domainOf(routes.primary.sender.email)}>`,
      });
      const code = sent.response ? Number(/^(\d{3})/.exec(sent.response)?.[1] ?? NaN) : NaN;
      return {
        ok: true,
        target,
        routes,
        primaryFailing: failing,
        payload,
        messageId: sent.messageId,
        smtpCode: Number.isFinite(code) ? code : null,
        reply: sent.response,
      };
    } catch (error) {
      const failure = classifyFailure(error);
      if (failure.unexpected) this.logger.error({ err: error, jobId: job.id }, 'unexpected error delivering an email');
      return { ok: false, target, routes, primaryFailing: failing, payload, ...failure };
    }
  }

  /** Sends one job; a success is returned for booking with its batch, a failure is booked here. */
  private async deliver(job: ClaimedJob): Promise<SentRecord | undefined> {
    const startedAt = performance.now();
    const outcome = await this.attempt(job);
    const seconds = (performance.now() - startedAt) / 1000;
    const t = outcome.target;
    const base = {
      ...messageDetails(outcome.payload),
      job_id: job.id,
      kind: job.kind,
      recipient: job.recipient,
      ...(t
        ? {
            route: t.route,
            source: t.source,
            host: t.host,
            port: t.port,
            tls_mode: t.tlsMode,
            insecure: t.insecure,
            profile_version: t.version,
          }
        : {}),
      attempt: job.attempts,
    };

    if (outcome.ok) {
      recordDelivery('sent', seconds);
      return {
        job,
        target: t!,
        messageId: outcome.messageId!,
        smtpCode: outcome.smtpCode ?? null,
        reply: outcome.reply ?? null,
        details: base,
      };
    }

    const decision = decide(
      {
        outcome,
        attempt: job.attempts,
        retries: t ? t.retries : this.options.defaultRetries,
        now: new Date(),
        route: t?.route ?? job.route ?? 'primary',
        secondaryAvailable: Boolean(outcome.routes?.secondary),
        primaryFailing: outcome.primaryFailing,
      },
      this.options,
    );
    if (decision.action === 'sent') return undefined;
    const stage = outcome.failure?.stage ?? null;
    const smtpCode = outcome.failure?.smtpCode ?? null;
    const fields = { stage, smtpCode, errorCode: outcome.errorCode, source: t?.source ?? null };
    const attempt = {
      attempt: job.attempts,
      route: (t?.route ?? job.route ?? 'primary') as DeliveryRoute,
      host: t?.host ?? null,
      version: t?.version ?? null,
      reply: outcome.failure?.smtpResponse ?? null,
    };
    const failureDetails = { ...base, max_attempts: decision.maxAttempts, stage, smtp_code: smtpCode, error_code: outcome.errorCode };
    const event = (definition: typeof EmailRetrying | typeof EmailFailed, details: Record<string, unknown>) =>
      auditRow(definition, {
        outcome: 'failure',
        actor: null,
        partnerId: job.partner_id,
        orgId: job.org_id,
        resource: { type: 'email_job', id: job.id },
        details,
      });

    const booked = await this.jobs.transaction(async (manager): Promise<'retrying' | 'failed' | undefined> => {
      const result =
        decision.action === 'retry'
          ? (await this.jobs.bookRetry(
              manager,
              this.workerId,
              job.id,
              decision.at,
              fields,
              event(EmailRetrying, { ...failureDetails, next_attempt_at: decision.at.toISOString(), next_route: decision.route }),
              attempt,
              decision.route,
            )) && 'retrying'
          : (await this.jobs.bookFailed(
              manager,
              this.workerId,
              job.id,
              fields,
              event(EmailFailed, { ...failureDetails, permanent: outcome.permanent }),
              attempt,
            )) && 'failed';
      if (!result) return undefined;
      if (t) await this.health.failure(t.cacheKey, t.version, outcome.failure, outcome.errorCode, manager);
      return result;
    });
    if (booked) recordDelivery(booked, seconds);
    if (booked && decision.action === 'retry' && decision.failover) recordFailover('attempt_failed');
    if (booked && t?.route === 'primary' && isRouteFailure(stage, outcome.errorCode)) {
      // Seen here first: the next jobs of this scope need not wait for the health read to expire.
      this.primaryHealth.set(`${t.cacheKey}|${t.version}`, { failing: true });
    }
    return undefined;
  }
}
