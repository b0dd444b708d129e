/**
 * Writes a message to the delivery log with one job per recipient and their audit events, in one
 * prepared statement inside the caller's transaction. Used by the outbox (one recipient, e.g. the
 * password-setup email) and the send intake (1–50 recipients, idempotency key). Each recipient is its
 * own SMTP transaction: a recipient refused (550) or deferred (451) is retried or failed alone, never
 * holding back or duplicating the others, and the log shows each one's attempts.
 *
 * Each job's payload (text, html, reply-to, and the message's id, template and producer for the
 * worker's audit events) is encrypted under the secrets keyring bound to the job row, and deleted
 * when the job finishes.
 */
import { randomUUID } from 'node:crypto';
import { AuditActor, auditRow, auditRowsParam, AuditRow, insertAuditRowsSql } from '@mailstrata/audit';
import { PreparedStatement } from '@mailstrata/database';
import { SecretCipher } from '@mailstrata/secrets';
import { EntityManager } from 'typeorm';
import { EmailMessageAccepted, EmailQueued } from './email-delivery.events';
import { MessageProducer } from './message-request';
import { SmtpScope } from './smtp-route';

export const EMAIL_JOBS_TABLE = 'email_jobs';

export function bodyContext(jobId: string) {
  return { table: EMAIL_JOBS_TABLE, rowId: jobId, field: 'body' };
}

/** What a job's encrypted payload holds. */
export interface JobPayload {
  text: string;
  html: string | null;
  replyTo?: string | null;
  /** The delivery log's message (absent in jobs queued before the log existed). */
  messageId?: string;
  template?: string;
  producer?: MessageProducer;
}

export interface RouteAtEnqueue {
  level: string;
  profileId: string | null;
  version: string;
}

export interface NewMessage {
  /** The message's id when the caller needs it before the write (e.g. to claim an event id with it). */
  id?: string;
  scope: SmtpScope;
  producer: MessageProducer;
  template: string;
  to: string[];
  cc: string[];
  replyTo: string | null;
  subject: string;
  text: string;
  html?: string;
  route: RouteAtEnqueue | null;
  /** Idempotency: unique per `scope` (the caller) while the row holds it. */
  dedup: { scope: string; key: string; fingerprint: string } | null;
  actor: AuditActor | null;
  /** Write `email.message.accepted` (producers from outside; the outbox's internal emails do not). */
  accepted: boolean;
}

/** The message row (skipped when its idempotency key is taken), its jobs and events, in one round trip. */
const INSERT_MESSAGE = new PreparedStatement(
  'email_message_insert',
  `WITH m AS (
     INSERT INTO email_messages (id, partner_id, org_id, producer_type, producer_id, producer_name, template, to_addresses, cc_addresses,
       reply_to, subject, recipients_total, route_level, route_profile_id, route_version, idempotency_scope, idempotency_key, idempotency_fingerprint)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
     ON CONFLICT (idempotency_scope, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
     RETURNING id
   ), jobs AS (
     INSERT INTO email_jobs (id, partner_id, org_id, kind, recipient, subject, body_ciphertext, email_message_id)
     SELECT j.id, $2, $3, $7, j.recipient, $11, j.body, m.id FROM m, unnest($19::uuid[], $20::text[], $21::text[]) AS j(id, recipient, body)
   ), events AS (
     ${insertAuditRowsSql('$22', 'EXISTS (SELECT 1 FROM m)')}
   )
   SELECT count(*)::int AS inserted FROM m`,
);

function returnedRows<T>(result: unknown): T[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[0] as T[];
  return result as T[];
}

/** Returns the new message's id and its jobs' ids, or `inserted: false` when the idempotency key is taken. */
export async function writeMessage(
  manager: EntityManager,
  cipher: SecretCipher,
  message: NewMessage,
): Promise<{ id: string; jobIds: string[]; inserted: boolean }> {
  const id = message.id ?? randomUUID();
  const recipients = [...message.to, ...message.cc];
  const jobIds = recipients.map(() => randomUUID());
  const producer = message.producer;
  const common = {
    message_id: id,
    template: message.template,
    producer_type: producer.type,
    producer_id: producer.id,
    producer_name: producer.name,
  };
  const scope = { actor: message.actor, partnerId: message.scope.partnerId, orgId: message.scope.orgId };
  const events: AuditRow[] = [];
  if (message.accepted) {
    events.push(
      auditRow(EmailMessageAccepted, {
        ...scope,
        outcome: 'success',
        resource: { type: 'email_message', id },
        details: {
          ...common,
          recipients: recipients.length,
          route_level: message.route?.level ?? null,
          route_profile_id: message.route?.profileId ?? null,
          route_version: message.route?.version ?? null,
        },
      }),
    );
  }
  const bodies = jobIds.map((jobId, i) => {
    events.push(
      auditRow(EmailQueued, {
        ...scope,
        outcome: 'success',
        resource: { type: 'email_job', id: jobId },
        details: { ...common, job_id: jobId, kind: message.template, recipient: recipients[i] },
      }),
    );
    const payload: JobPayload = {
      text: message.text,
      html: message.html ?? null,
      replyTo: message.replyTo,
      messageId: id,
      template: message.template,
      producer,
    };
    return cipher.encrypt(JSON.stringify(payload), bodyContext(jobId));
  });
  const [row] = returnedRows<{ inserted: number }>(
    await INSERT_MESSAGE.run(manager, [
      id,
      message.scope.partnerId,
      message.scope.orgId,
      producer.type,
      producer.id,
      producer.name,
      message.template,
      message.to,
      message.cc,
      message.replyTo,
      message.subject,
      recipients.length,
      message.route?.level ?? null,
      message.route?.profileId ?? null,
      message.route?.version ?? null,
      message.dedup?.scope ?? null,
      message.dedup?.key ?? null,
      message.dedup?.fingerprint ?? null,
      jobIds,
      recipients,
      bodies,
      auditRowsParam(events),
    ]),
  );
  return { id, jobIds, inserted: (row?.inserted ?? 0) > 0 };
}
