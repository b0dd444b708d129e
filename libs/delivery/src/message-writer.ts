/**
 * Writes messages to the delivery log with one job per recipient and their audit events, in one
 * prepared statement: the outbox's one message inside the caller's transaction (e.g. the password-setup
 * email), or the send intake's messages gathered by MessageBatchWriter (1–50 recipients each,
 * idempotency key or bus event id). Each recipient is its
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
import { DataSource, EntityManager } from 'typeorm';
import { EmailTemplateFallback, TemplateFallback, templateFallbackEvent } from '@mailstrata/templates';
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
  /** An event from the bus: written only if this statement claims its id (exactly once per event id). */
  eventClaim?: { eventId: string; producer: string };
  /** The tenant's template failed and the built-in one was used: its `email.template.fallback` goes with the message. */
  templateFallback?: TemplateFallback;
}

/** The columns of an `email_messages` row that a writer sets and the delivery log reads back alike. */
export interface EmailMessageColumns {
  id: string;
  partner_id: string | null;
  org_id: string | null;
  producer_type: string;
  producer_id: string | null;
  producer_name: string | null;
  template: string;
  to_addresses: string[];
  cc_addresses: string[];
  reply_to: string | null;
  subject: string;
  route_level: string | null;
  route_profile_id: string | null;
  route_version: string | null;
}

/** A message row as the batch statement's JSON input carries it (`event_*`: the bus event it claims). */
export interface MessageRow extends EmailMessageColumns {
  recipients_total: number;
  idempotency_scope: string | null;
  idempotency_key: string | null;
  idempotency_fingerprint: string | null;
  event_id: string | null;
  event_producer: string | null;
}

const MESSAGE_COLUMNS = [
  'id',
  'partner_id',
  'org_id',
  'producer_type',
  'producer_id',
  'producer_name',
  'template',
  'to_addresses',
  'cc_addresses',
  'reply_to',
  'subject',
  'recipients_total',
  'route_level',
  'route_profile_id',
  'route_version',
  'idempotency_scope',
  'idempotency_key',
  'idempotency_fingerprint',
].join(', ');

/** The columns of a message row in the statements' JSON input ($1), typed for `jsonb_to_recordset`. */
const INPUT_COLUMNS = `id uuid, partner_id uuid, org_id uuid, producer_type text, producer_id text, producer_name text, template text,
       to_addresses text[], cc_addresses text[], reply_to text, subject text, recipients_total int, route_level text,
       route_profile_id uuid, route_version text, idempotency_scope text, idempotency_key text, idempotency_fingerprint text,
       event_id text, event_producer text`;

/** The CTE `input`: the messages of $1 (JSON rows), with `extraColumns` (e.g. `, pos int`) after the message's own. */
export function messageInputCte(extraColumns = ''): string {
  return `input AS (
     SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(${INPUT_COLUMNS}${extraColumns})
   )`;
}

/**
 * The CTEs that write the messages of `input` for which `admitted` (a condition on an `input` row)
 * holds, their jobs ($2 ids, $3 message ids, $4 recipients, $5 encrypted bodies) and audit events ($6):
 * in one statement and so one transaction, all of a message or none of it. A message is skipped when
 * its idempotency key is taken, or when it carries a bus event whose id is already claimed in
 * `email_events_seen` (the claim is made by this statement, with the message's id, so a copy of a
 * committed event writes nothing, and a concurrent copy waits on the claim's row, then writes nothing).
 * Jobs and events are written only for the messages written, whose ids the CTE `m` returns (every event
 * names its message in `details.message_id`).
 */
export function writeMessagesCtes(admitted = 'true'): string {
  return `claim AS (
     INSERT INTO email_events_seen (event_id, producer, message_ids)
     SELECT event_id, event_producer, ARRAY[id] FROM input WHERE event_id IS NOT NULL AND (${admitted})
     ON CONFLICT (event_id) DO NOTHING
     RETURNING message_ids[1] AS id
   ), m AS (
     INSERT INTO email_messages (${MESSAGE_COLUMNS})
     SELECT ${MESSAGE_COLUMNS} FROM input WHERE (${admitted}) AND (event_id IS NULL OR id IN (SELECT id FROM claim))
     ON CONFLICT (idempotency_scope, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
     RETURNING id
   ), jobs AS (
     INSERT INTO email_jobs (id, partner_id, org_id, kind, recipient, subject, body_ciphertext, email_message_id)
     SELECT j.id, i.partner_id, i.org_id, i.template, j.recipient, i.subject, j.body, m.id
     FROM unnest($2::uuid[], $3::uuid[], $4::text[], $5::text[]) AS j(id, message_id, recipient, body)
     JOIN m ON m.id = j.message_id JOIN input i ON i.id = j.message_id
     RETURNING id
   ), events AS (
     ${insertAuditRowsSql('$6', `a.details->>'message_id' IN (SELECT id::text FROM m)`)}
   )`;
}

/** Messages, their jobs and audit events in one statement (see `writeMessagesCtes`); returns the written messages' ids. */
const INSERT_MESSAGES = new PreparedStatement(
  'email_messages_insert',
  `WITH ${messageInputCte()}, ${writeMessagesCtes()} SELECT id FROM m`,
);

/** The statement parameters $2–$6 of `writeMessagesCtes` for these messages ($1 is the caller's). */
export function messageWriteParams(messages: readonly PreparedMessage[]): unknown[] {
  return [
    messages.flatMap((m) => m.jobIds),
    messages.flatMap((m) => m.jobIds.map(() => m.row.id)),
    messages.flatMap((m) => m.recipients),
    messages.flatMap((m) => m.bodies),
    auditRowsParam(messages.flatMap((m) => m.events)),
  ];
}

export function returnedRows<T>(result: unknown): T[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[0] as T[];
  return result as T[];
}

export interface WrittenMessage {
  id: string;
  jobIds: string[];
  /** False when the idempotency key (or the event id) was taken: nothing was written. */
  inserted: boolean;
}

/** A message ready to write: its row, its jobs (bodies encrypted) and its audit events. */
export interface PreparedMessage {
  row: MessageRow;
  jobIds: string[];
  recipients: string[];
  bodies: string[];
  events: AuditRow[];
}

export function prepareMessage(cipher: SecretCipher, message: NewMessage): PreparedMessage {
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
  if (message.templateFallback) events.push(auditRow(EmailTemplateFallback, templateFallbackEvent(message.templateFallback, id)));
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
  const row: MessageRow = {
    id,
    partner_id: message.scope.partnerId,
    org_id: message.scope.orgId,
    producer_type: producer.type,
    producer_id: producer.id,
    producer_name: producer.name,
    template: message.template,
    to_addresses: message.to,
    cc_addresses: message.cc,
    reply_to: message.replyTo,
    subject: message.subject,
    recipients_total: recipients.length,
    route_level: message.route?.level ?? null,
    route_profile_id: message.route?.profileId ?? null,
    route_version: message.route?.version ?? null,
    idempotency_scope: message.dedup?.scope ?? null,
    idempotency_key: message.dedup?.key ?? null,
    idempotency_fingerprint: message.dedup?.fingerprint ?? null,
    event_id: message.eventClaim?.eventId ?? null,
    event_producer: message.eventClaim?.producer ?? null,
  };
  return { row, jobIds, recipients, bodies, events };
}

/**
 * Writes prepared messages in one statement (see INSERT_MESSAGES), in the manager's transaction or, outside
 * one, committed on its own. Answers each message in the order given.
 */
export async function writePreparedMessages(executor: EntityManager | DataSource, messages: PreparedMessage[]): Promise<WrittenMessage[]> {
  const written = returnedRows<{ id: string }>(
    await INSERT_MESSAGES.run(executor, [JSON.stringify(messages.map((m) => m.row)), ...messageWriteParams(messages)]),
  );
  const ids = new Set(written.map((r) => r.id));
  return messages.map((m) => ({ id: m.row.id, jobIds: m.jobIds, inserted: ids.has(m.row.id) }));
}

/**
 * Writes one message in the caller's transaction. Returns its id and its jobs' ids, or `inserted:
 * false` when the idempotency key (or the event id) is taken.
 */
export async function writeMessage(manager: EntityManager, cipher: SecretCipher, message: NewMessage): Promise<WrittenMessage> {
  const [written] = await writePreparedMessages(manager, [prepareMessage(cipher, message)]);
  return written!;
}
