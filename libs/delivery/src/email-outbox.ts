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
import { Injectable } from '@nestjs/common';
import { AuditActor } from '@mailstrata/audit';
import { ChangeBus } from '@mailstrata/database';
import { assertSendable } from '@mailstrata/mailer';
import { SecretCipher } from '@mailstrata/secrets';
import { EntityManager } from 'typeorm';
import { MessageProducer } from './message-request';
import { writeMessage } from './message-writer';
import { DeliveryErrors } from './errors';
import { SmtpScope } from './smtp-route';

export { bodyContext, EMAIL_JOBS_TABLE } from './message-writer';
export const EMAIL_JOBS_TOPIC = 'email.jobs';

export interface EmailJobInput {
  /** Whose effective profile delivers it (resolved at send time, so a changed profile applies). */
  scope: SmtpScope;
  /** What the email is, e.g. `password_setup`; shown in audit events and the delivery log as its template. */
  kind: string;
  to: string;
  subject: string;
  text: string;
  html?: string;
  /** Who caused it, for the `email.queued` event. */
  actor?: AuditActor | null;
  /** Shown in the delivery log; by default the system itself, named by the kind. */
  producer?: MessageProducer;
}

@Injectable()
export class EmailOutbox {
  constructor(
    private readonly cipher: SecretCipher,
    private readonly changes: ChangeBus,
  ) {}

  /**
   * Must be called with the caller's transaction manager: the delivery log's message, its job and its
   * `email.queued` event in one round trip. Returns the job id.
   */
  async enqueue(manager: EntityManager, input: EmailJobInput): Promise<string> {
    if (!/^[a-z][a-z0-9_]{0,63}$/.test(input.kind)) throw new Error(`bad email kind ${input.kind}`);
    if (input.scope.orgId && !input.scope.partnerId) throw DeliveryErrors.INVALID_SCOPE();
    // The sender is the profile's and is checked at send time; here only the recipient and subject.
    assertSendable({ to: input.to, subject: input.subject, text: input.text }, 'sender@mailstrata.invalid', undefined);
    const { jobIds } = await writeMessage(manager, this.cipher, {
      scope: input.scope,
      producer: input.producer ?? { type: 'system', id: null, name: input.kind },
      template: input.kind,
      to: [input.to],
      cc: [],
      replyTo: null,
      subject: input.subject,
      text: input.text,
      ...(input.html !== undefined ? { html: input.html } : {}),
      route: null,
      dedup: null,
      actor: input.actor ?? null,
      accepted: false,
    });
    this.changes.wakeAfterCommit(manager, EMAIL_JOBS_TOPIC);
    return jobIds[0]!;
  }
}
