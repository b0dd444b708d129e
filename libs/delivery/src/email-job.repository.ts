/**
 * The `email_jobs` table's SQL for the delivery worker, as prepared statements: claim (with a lease),
 * renew leases, book sent / retry / failed (each with its audit events, written through the audit
 * library's statement, in the same statement as the job's new state), release, and the queue's
 * numbers. Every booking requires the job to be still `sending` and claimed by the worker that books
 * it: a worker that lost its claim books nothing, and a renewal never brings back a booked job.
 * Each booking also writes the attempt into the delivery log (`email_attempts`) and moves its message's
 * status, in the same statement: the log, the queue and the audit record never disagree. A job keeps the
 * route its next attempt goes by (`route`: primary, or secondary once failed over), and every attempt
 * row says which route carried it.
 */
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AuditRow, auditRowsParam, insertAuditRowsSql } from '@mailstrata/audit';
import { PreparedStatement, retryOnConflict } from '@mailstrata/database';
import { DataSource, EntityManager } from 'typeorm';
import type { DeliveryRoute } from './delivery-decision';

export interface ClaimedJob {
  id: string;
  partner_id: string | null;
  org_id: string | null;
  kind: string;
  recipient: string;
  subject: string;
  body_ciphertext: string | null;
  /** This attempt's number (counted at claim). */
  attempts: number;
  /** The route this attempt goes by, as the last booking left it (primary, or secondary once failed over). */
  route: DeliveryRoute;
}

/** One attempt as the delivery log shows it: where it went and what the server said (redacted by the mailer). */
export interface AttemptFields {
  attempt: number;
  /** The route that carried the attempt. */
  route: DeliveryRoute;
  host: string | null;
  version: string | null;
  reply: string | null;
}

export interface SentBooking extends AttemptFields {
  jobId: string;
  messageId: string;
  source: string;
  smtpCode: number | null;
  /** Its `email.sent` event; written only if the job is still this worker's. */
  event: AuditRow;
}

/** Where a failed attempt stopped, kept on the job for the delivery log. */
export interface FailureFields {
  stage: string | null;
  smtpCode: number | null;
  errorCode: string;
  source: string | null;
}

export interface QueueStats {
  queued: number;
  sending: number;
  oldestDueSeconds: number;
}

/**
 * Whose share of the queue a job takes: its partner, with the platform's own jobs (no partner) as one more
 * tenant. The same expression as `email_jobs_due_tenant_idx`, so every lookup by tenant is an index scan.
 */
const TENANT = `COALESCE(partner_id, '00000000-0000-0000-0000-000000000000'::uuid)`;

/**
 * Claims due jobs for this worker, fairly across tenants: $1 worker id, $2 batch size, $3 lease ms.
 *
 * Jobs whose lease ran out come first. Then each tenant with due work (at most $2 tenants, those waiting
 * longest) gets an equal share of the batch, its jobs ranked in due order, and the batch is taken by rank,
 * then due time: a tenant's first job goes before any tenant's second, so one partner's burst of 10,000
 * jobs never stands in front of another tenant's next job. What the shares leave (tenants with fewer jobs
 * than their share) is filled in due order, so a claim is full whenever enough is due.
 *
 * It never reads the backlog: the tenants with queued jobs are found by a loose index scan (one probe per
 * tenant on `email_jobs_due_tenant_idx`), and each share is an index range of that tenant. Every candidate
 * is locked with `FOR UPDATE SKIP LOCKED`, so workers claiming at once get disjoint batches; the few locked
 * beyond the batch (shares round up) are left as they were and unlocked when the statement commits.
 */
const CLAIM = new PreparedStatement(
  'email_jobs_claim',
  `WITH RECURSIVE tenants(t) AS (
     (SELECT ${TENANT} FROM email_jobs WHERE status = 'queued' ORDER BY ${TENANT} LIMIT 1)
     UNION ALL
     SELECT (SELECT ${TENANT} FROM email_jobs WHERE status = 'queued' AND ${TENANT} > tenants.t ORDER BY ${TENANT} LIMIT 1)
     FROM tenants WHERE tenants.t IS NOT NULL
   ), due AS MATERIALIZED (
     SELECT tenants.t FROM tenants
     CROSS JOIN LATERAL (
       SELECT next_attempt_at FROM email_jobs
       WHERE ${TENANT} = tenants.t AND status = 'queued' AND next_attempt_at <= now() ORDER BY next_attempt_at LIMIT 1
     ) oldest
     ORDER BY oldest.next_attempt_at LIMIT $2
   ), expired AS MATERIALIZED (
     SELECT id FROM email_jobs WHERE status = 'sending' AND locked_until < now() ORDER BY locked_until LIMIT $2 FOR UPDATE SKIP LOCKED
   ), shares AS MATERIALIZED (
     SELECT s.id, s.next_attempt_at, row_number() OVER (PARTITION BY due.t ORDER BY s.next_attempt_at) AS rank
     FROM due CROSS JOIN LATERAL (
       SELECT id, next_attempt_at FROM email_jobs
       WHERE ${TENANT} = due.t AND status = 'queued' AND next_attempt_at <= now()
       ORDER BY next_attempt_at LIMIT ceil($2::float8 / greatest((SELECT count(*) FROM due), 1))::int
       FOR UPDATE SKIP LOCKED
     ) s
   ), rest AS MATERIALIZED (
     SELECT id, next_attempt_at FROM email_jobs
     WHERE status = 'queued' AND next_attempt_at <= now() AND id NOT IN (SELECT id FROM shares)
     ORDER BY next_attempt_at LIMIT greatest($2 - (SELECT count(*) FROM expired) - (SELECT count(*) FROM shares), 0)
     FOR UPDATE SKIP LOCKED
   ), picked AS (
     SELECT id, row_number() OVER (ORDER BY tier, rank, due_at) AS pos FROM (
       SELECT id, 0 AS tier, 0::bigint AS rank, now() AS due_at FROM expired
       UNION ALL SELECT id, 1, rank, next_attempt_at FROM shares
       UNION ALL SELECT id, 2, 0, next_attempt_at FROM rest
     ) candidates
     ORDER BY tier, rank, due_at LIMIT $2
   ), claimed AS (
     UPDATE email_jobs j SET status = 'sending', attempts = j.attempts + 1, locked_by = $1, locked_until = now() + ($3 || ' milliseconds')::interval
     FROM picked WHERE j.id = picked.id
     RETURNING j.id, j.partner_id, j.org_id, j.kind, j.recipient, j.subject, j.body_ciphertext, j.attempts, j.route, picked.pos
   )
   SELECT id, partner_id, org_id, kind, recipient, subject, body_ciphertext, attempts, route FROM claimed ORDER BY pos`,
);

/**
 * Extends the lease of the jobs this worker ($1) still holds ($2), by $3 ms from now; returns those it still has.
 *
 * It never waits on a row: the heartbeat runs while this worker books, and a booking locks its jobs in
 * its own order (then their messages), so a renewal that waited on a booked row while holding another
 * could deadlock with it, and Postgres might abort the booking, leaving its jobs to run out their lease
 * and be sent again. A job locked by someone else is being booked, released or reclaimed: it is not
 * renewed (and so no longer held), which is right for each of them.
 */
const RENEW = new PreparedStatement(
  'email_jobs_renew',
  `WITH held AS (
     SELECT id FROM email_jobs WHERE id = ANY($2::uuid[]) AND locked_by = $1 AND status = 'sending'
     FOR UPDATE SKIP LOCKED
   )
   UPDATE email_jobs j SET locked_until = now() + ($3 || ' milliseconds')::interval
   FROM held WHERE j.id = held.id
   RETURNING j.id`,
);

/**
 * Books delivered jobs in one statement: the jobs still claimed by this worker ($4) become `sent` and
 * get their `email.sent` event ($5); a job whose lease was lost belongs to another worker now and gets neither.
 *
 * A message's recipients are jobs that different workers may book at once, each with several messages:
 * the messages' rows are locked in id order before any is updated (FOR NO KEY UPDATE, the lock the update
 * takes itself, so the attempts' foreign-key checks never wait on it), and two bookings never wait on each
 * other in a circle. Should Postgres still abort one as a deadlock, it is run again (bookSent): an
 * aborted booking would leave its jobs claimed until their lease ran out, and they would be sent twice.
 */
const BOOK_SENT = new PreparedStatement(
  'email_jobs_book_sent',
  `WITH v AS (
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $6::int[], $7::text[], $8::text[], $9::int[], $10::text[], $11::text[])
       AS v(id, message_id, source, attempt, host, version, smtp_code, reply, route)
   ), done AS (
     UPDATE email_jobs j SET status = 'sent', body_ciphertext = NULL, locked_by = NULL, locked_until = NULL, finished_at = now(),
       message_id = v.message_id, source = v.source, last_stage = NULL, last_smtp_code = NULL, last_error_code = NULL
     FROM v WHERE j.id = v.id AND j.locked_by = $4 AND j.status = 'sending'
     RETURNING j.id, j.email_message_id, j.recipient, v.message_id AS smtp_message_id, v.source, v.attempt, v.host, v.version, v.smtp_code, v.reply, v.route
   ), attempts AS (
     INSERT INTO email_attempts (job_id, attempt, message_id, recipient, route, route_level, route_host, route_version, smtp_code, reply, smtp_message_id, outcome)
     SELECT id, attempt, email_message_id, recipient, route, source, host, version, smtp_code, reply, smtp_message_id, 'sent'
     FROM done WHERE email_message_id IS NOT NULL
     ON CONFLICT DO NOTHING
   ), locked_messages AS MATERIALIZED (
     SELECT id FROM email_messages WHERE id IN (SELECT email_message_id FROM done) ORDER BY id FOR NO KEY UPDATE
   ), messages AS (
     UPDATE email_messages m SET recipients_sent = m.recipients_sent + c.n, updated_at = now(),
       final_message_id = COALESCE(m.final_message_id, c.smtp_message_id),
       status = CASE WHEN m.recipients_sent + c.n + m.recipients_failed < m.recipients_total THEN 'sending'
                     WHEN m.recipients_failed > 0 THEN 'failed' ELSE 'sent' END
     FROM (SELECT email_message_id AS id, count(*)::int AS n, min(smtp_message_id) AS smtp_message_id
           FROM done WHERE email_message_id IS NOT NULL GROUP BY 1) c
     WHERE m.id = c.id AND m.id IN (SELECT id FROM locked_messages)
   )
   ${insertAuditRowsSql('$5', 'a.resource_id IN (SELECT id::text FROM done)')}`,
);

/**
 * The attempt's row in the delivery log for the outcome given; `first` is the parameter number of the
 * stage, followed by smtp code, error code, source, (the event), attempt, host, version, reply and route.
 */
function failedAttemptSql(outcome: 'retrying' | 'failed', first: number): string {
  const p = (offset: number) => `$${first + offset}`;
  return `INSERT INTO email_attempts (job_id, attempt, message_id, recipient, route, route_level, route_host, route_version, stage, smtp_code, error_code, reply, outcome)
     SELECT id, ${p(5)}, email_message_id, recipient, ${p(9)}, ${p(3)}, ${p(6)}, ${p(7)}, ${p(0)}, ${p(1)}, ${p(2)}, ${p(8)}, '${outcome}'
     FROM done WHERE email_message_id IS NOT NULL
     ON CONFLICT DO NOTHING`;
}

/**
 * A transient failure (or a handover to the secondary): back to the queue at $3 on route $14, with where
 * it stopped; its `email.retrying` event ($8) if still ours.
 */
const BOOK_RETRY = new PreparedStatement(
  'email_jobs_book_retry',
  `WITH done AS (
     UPDATE email_jobs SET status = 'queued', locked_by = NULL, locked_until = NULL, next_attempt_at = $3,
       last_stage = $4, last_smtp_code = $5, last_error_code = $6, source = $7, route = $14
     WHERE id = $1 AND locked_by = $2 AND status = 'sending' RETURNING id, email_message_id, recipient
   ), attempts AS (
     ${failedAttemptSql('retrying', 4)}
   ), messages AS (
     UPDATE email_messages m SET status = 'retrying', updated_at = now() FROM done WHERE m.id = done.email_message_id
   ), event AS (
     ${insertAuditRowsSql('$8', 'EXISTS (SELECT 1 FROM done)')}
   )
   SELECT count(*)::int AS booked FROM done`,
);

/** Given up: failed, body deleted, with where it stopped; its `email.failed` event ($7) if still ours. */
const BOOK_FAILED = new PreparedStatement(
  'email_jobs_book_failed',
  `WITH done AS (
     UPDATE email_jobs SET status = 'failed', body_ciphertext = NULL, locked_by = NULL, locked_until = NULL, finished_at = now(),
       last_stage = $3, last_smtp_code = $4, last_error_code = $5, source = $6
     WHERE id = $1 AND locked_by = $2 AND status = 'sending' RETURNING id, email_message_id, recipient
   ), attempts AS (
     ${failedAttemptSql('failed', 3)}
   ), messages AS (
     UPDATE email_messages m SET recipients_failed = m.recipients_failed + 1, updated_at = now(),
       status = CASE WHEN m.recipients_sent + m.recipients_failed + 1 >= m.recipients_total THEN 'failed' ELSE m.status END
     FROM done WHERE m.id = done.email_message_id
   ), event AS (
     ${insertAuditRowsSql('$7', 'EXISTS (SELECT 1 FROM done)')}
   )
   SELECT count(*)::int AS booked FROM done`,
);

/** Claimed but not started (shutdown): back to the queue, the attempt not counted. */
const RELEASE = new PreparedStatement(
  'email_jobs_release',
  `UPDATE email_jobs SET status = 'queued', attempts = attempts - 1, locked_by = NULL, locked_until = NULL
   WHERE id = ANY($1::uuid[]) AND locked_by = $2 AND status = 'sending'`,
);

/** The queue gauges' numbers: unfinished jobs by status, and the wait of the oldest due, unclaimed one. */
const QUEUE_STATS = new PreparedStatement(
  'email_jobs_queue_stats',
  `SELECT (SELECT count(*) FROM email_jobs WHERE status = 'queued')::int AS queued,
          (SELECT count(*) FROM email_jobs WHERE status = 'sending')::int AS sending,
          COALESCE(EXTRACT(EPOCH FROM now() - (SELECT min(next_attempt_at) FROM email_jobs WHERE status = 'queued' AND next_attempt_at <= now())), 0)::float8
            AS oldest_due_seconds`,
);

/** TypeORM answers UPDATE … RETURNING with `[rows, affected]` and SELECT with `rows`. */
function returnedRows<T>(result: unknown): T[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[0] as T[];
  return result as T[];
}

@Injectable()
export class EmailJobRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async claim(workerId: string, batchSize: number, leaseMs: number): Promise<ClaimedJob[]> {
    return returnedRows<ClaimedJob>(await CLAIM.run(this.dataSource, [workerId, batchSize, String(leaseMs)]));
  }

  /** Renews the leases of `ids`; returns the ids this worker still holds. */
  async renew(workerId: string, ids: string[], leaseMs: number): Promise<string[]> {
    return returnedRows<{ id: string }>(await RENEW.run(this.dataSource, [workerId, ids, String(leaseMs)])).map((r) => r.id);
  }

  /** One round trip, its own transaction. */
  async bookSent(workerId: string, sent: readonly SentBooking[]): Promise<void> {
    // Safe to repeat: a job already booked is no longer `sending`, and so is not booked twice.
    await retryOnConflict(() =>
      BOOK_SENT.run(this.dataSource, [
        sent.map((s) => s.jobId),
        sent.map((s) => s.messageId),
        sent.map((s) => s.source),
        workerId,
        auditRowsParam(sent.map((s) => s.event)),
        sent.map((s) => s.attempt),
        sent.map((s) => s.host),
        sent.map((s) => s.version),
        sent.map((s) => s.smtpCode),
        sent.map((s) => s.reply),
        sent.map((s) => s.route),
      ]),
    );
  }

  /** Whether the job was still this worker's (and so was booked, with its event). */
  async bookRetry(
    manager: EntityManager,
    workerId: string,
    jobId: string,
    at: Date,
    fields: FailureFields,
    event: AuditRow,
    attempt: AttemptFields,
    nextRoute: DeliveryRoute,
  ): Promise<boolean> {
    const [row] = returnedRows<{ booked: number }>(
      await BOOK_RETRY.run(manager, [
        jobId,
        workerId,
        at,
        fields.stage,
        fields.smtpCode,
        fields.errorCode,
        fields.source,
        auditRowsParam([event]),
        attempt.attempt,
        attempt.host,
        attempt.version,
        attempt.reply,
        attempt.route,
        nextRoute,
      ]),
    );
    return (row?.booked ?? 0) > 0;
  }

  /** Whether the job was still this worker's (and so was booked, with its event). */
  async bookFailed(
    manager: EntityManager,
    workerId: string,
    jobId: string,
    fields: FailureFields,
    event: AuditRow,
    attempt: AttemptFields,
  ): Promise<boolean> {
    const [row] = returnedRows<{ booked: number }>(
      await BOOK_FAILED.run(manager, [
        jobId,
        workerId,
        fields.stage,
        fields.smtpCode,
        fields.errorCode,
        fields.source,
        auditRowsParam([event]),
        attempt.attempt,
        attempt.host,
        attempt.version,
        attempt.reply,
        attempt.route,
      ]),
    );
    return (row?.booked ?? 0) > 0;
  }

  async release(workerId: string, ids: string[]): Promise<void> {
    await RELEASE.run(this.dataSource, [ids, workerId]);
  }

  async queueStats(): Promise<QueueStats | undefined> {
    const [row] = returnedRows<{ queued: number; sending: number; oldest_due_seconds: number }>(await QUEUE_STATS.run(this.dataSource, []));
    return row ? { queued: row.queued, sending: row.sending, oldestDueSeconds: Number(row.oldest_due_seconds) } : undefined;
  }

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }
}
