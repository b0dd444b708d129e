/**
 * Enqueues system emails inside the caller's transaction. The job row and its `email.queued` audit event
 * commit with the caller's change or not at all (the workers are woken once it has committed), so a user is never
 * created without their email being on its way (and an email never leaves for a rolled-back user).
 *
 * Why a claimed outbox table rather than a job library: enqueueing must join the caller's TypeORM
 * transaction (pg-boss and friends use their own connection), it mirrors the audit outbox the team
 * already runs, `FOR UPDATE SKIP LOCKED` gives many workers disjoint batches, and it adds no dependency.
 *
 * The body is encrypted with the secrets keyring (bound to the job row) because it may carry a one-time
 * link, and it is deleted once the job is finished, sent or failed.
 */
import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AuditActor, auditRow, auditRowsParam, insertAuditRowsSql } from '@mailstrata/audit';
import { ChangeBus, PreparedStatement } from '@mailstrata/database';
import { assertSendable } from '@mailstrata/mailer';
import { SecretCipher } from '@mailstrata/secrets';
import { EntityManager } from 'typeorm';
import { EmailQueued } from './email-delivery.events';
import { DeliveryErrors } from './errors';
import { SmtpScope } from './smtp-route';

export const EMAIL_JOBS_TOPIC = 'email.jobs';
export const EMAIL_JOBS_TABLE = 'email_jobs';

export interface EmailJobInput {
  /** Whose effective profile delivers it (resolved at send time, so a changed profile applies). */
  scope: SmtpScope;
  /** What the email is, e.g. `password_setup`; shown in audit events. */
  kind: string;
  to: string;
  subject: string;
  text: string;
  html?: string;
  /** Who caused it, for the `email.queued` event. */
  actor?: AuditActor | null;
}

/**
 * One round trip inside the caller's transaction: the job row and its `email.queued` event (the row
 * built by the audit library, written by its statement; the org scope always carries its partner here).
 * Each enqueue used to be three statements; on a busy queue the statements, not the work, cost most.
 */
const ENQUEUE = new PreparedStatement(
  'email_outbox_enqueue',
  `WITH job AS (
     INSERT INTO email_jobs (id, partner_id, org_id, kind, recipient, subject, body_ciphertext) VALUES ($1, $2, $3, $4, $5, $6, $7)
   )
   ${insertAuditRowsSql('$8')}`,
);

export function bodyContext(jobId: string) {
  return { table: EMAIL_JOBS_TABLE, rowId: jobId, field: 'body' };
}

@Injectable()
export class EmailOutbox {
  constructor(
    private readonly cipher: SecretCipher,
    private readonly changes: ChangeBus,
  ) {}

  /** Must be called with the caller's transaction manager. Returns the job id. */
  async enqueue(manager: EntityManager, input: EmailJobInput): Promise<string> {
    if (!/^[a-z][a-z0-9_]{0,63}$/.test(input.kind)) throw new Error(`bad email kind ${input.kind}`);
    if (input.scope.orgId && !input.scope.partnerId) throw DeliveryErrors.INVALID_SCOPE();
    // The sender is the profile's and is checked at send time; here only the recipient and subject.
    assertSendable({ to: input.to, subject: input.subject, text: input.text }, 'sender@mailstrata.invalid', undefined);
    const id = randomUUID();
    const body = this.cipher.encrypt(JSON.stringify({ text: input.text, html: input.html ?? null }), bodyContext(id));
    const queued = auditRow(EmailQueued, {
      outcome: 'success',
      actor: input.actor ?? null,
      partnerId: input.scope.partnerId,
      orgId: input.scope.orgId,
      resource: { type: 'email_job', id },
      details: { job_id: id, kind: input.kind, recipient: input.to },
    });
    await ENQUEUE.run(manager, [
      id,
      input.scope.partnerId,
      input.scope.orgId,
      input.kind,
      input.to,
      input.subject,
      body,
      auditRowsParam([queued]),
    ]);
    this.changes.wakeAfterCommit(manager, EMAIL_JOBS_TOPIC);
    return id;
  }
}
