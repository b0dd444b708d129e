/**
 * What a producer hands the send intake (the HTTP API and event intake share it), its limits, the
 * checks that hold whatever the transport, and the request's fingerprint for idempotency. The HTTP
 * layer validates the same rules as DTOs first; these checks are the library's own guarantee.
 */
import { createHash } from 'node:crypto';
import { fieldError, FieldError } from '@mailstrata/common';
import { isPlainAddress } from '@mailstrata/mailer';

/** Template kinds a message may name; rendering each is MessageRenderer's job. */
export const TEMPLATE_KINDS = ['password_setup', 'password_reset', 'email_verification', 'alert', 'report', 'generic'] as const;
export type TemplateKind = (typeof TEMPLATE_KINDS)[number];

export const MESSAGE_LIMITS = {
  /** to + cc together. */
  maxRecipients: 50,
  /** RFC 5322's line limit; the mailer folds or encodes it. */
  maxSubjectChars: 998,
  /** Each of text and html. */
  maxBodyChars: 256 * 1024,
  /** The template's data, as JSON. */
  maxDataChars: 256 * 1024,
} as const;

export interface MessageRequest {
  /** Exactly one of orgId and partnerId: whose route delivers it. */
  orgId?: string;
  partnerId?: string;
  to: string[];
  cc?: string[];
  replyTo?: string;
  /** Either template (+ data) … */
  template?: string;
  data?: Record<string, unknown>;
  /** … or subject, text and optional html. */
  subject?: string;
  text?: string;
  html?: string;
}

export type ProducerType = 'user' | 'service_account' | 'system' | 'nats';

/** Who handed the message over: shown in the delivery log and its audit events. */
export interface MessageProducer {
  type: ProducerType;
  id: string | null;
  name: string | null;
}

/** An idempotency key (Idempotency-Key header, event id) and the fingerprint of the request it came with. */
export interface MessageDedup {
  key: string;
  fingerprint: string;
}

const CRLF = /[\r\n]/;
const isText = (v: unknown): v is string => typeof v === 'string';

function addressErrors(field: string, value: unknown): FieldError[] {
  if (!isText(value)) return [fieldError(field, 'isString', 'must be a string')];
  if (CRLF.test(value)) return [fieldError(field, 'no_line_breaks', 'must not contain CR or LF characters')];
  if (!isPlainAddress(value)) return [fieldError(field, 'isEmail', 'must be a single email address')];
  return [];
}

/**
 * Each mailbox once: an address repeated in `to` and `cc` (in any case; the domain is case-blind and no
 * mail system in use tells local parts apart by case) gets one copy, in the first place it was named.
 * Every recipient gets its own SMTP transaction, so a repeat would be a second email to the same person.
 */
export function distinctRecipients(to: readonly string[], cc: readonly string[] = []): { to: string[]; cc: string[] } {
  const seen = new Set<string>();
  const keep = (address: string) => {
    const key = address.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  };
  return { to: to.filter(keep), cc: cc.filter(keep) };
}

/** Every rule a message breaks, by field (the request's snake_case names). Empty: sendable. */
export function messageFieldErrors(request: MessageRequest): FieldError[] {
  const errors: FieldError[] = [];
  if ((request.orgId === undefined) === (request.partnerId === undefined)) {
    errors.push(fieldError('org_id', 'exactly_one_scope', 'exactly one of org_id and partner_id is required'));
  }
  const to = Array.isArray(request.to) ? request.to : [];
  const cc = Array.isArray(request.cc) ? request.cc : [];
  if (to.length === 0) errors.push(fieldError('to', 'arrayMinSize', 'must name at least one recipient'));
  if (to.length + cc.length > MESSAGE_LIMITS.maxRecipients) {
    errors.push(fieldError('to', 'arrayMaxSize', `to and cc together must name at most ${MESSAGE_LIMITS.maxRecipients} recipients`));
  }
  to.forEach((a, i) => errors.push(...addressErrors(`to[${i}]`, a)));
  cc.forEach((a, i) => errors.push(...addressErrors(`cc[${i}]`, a)));
  if (request.replyTo !== undefined) errors.push(...addressErrors('reply_to', request.replyTo));
  const templated = request.template !== undefined;
  const literal = request.subject !== undefined || request.text !== undefined || request.html !== undefined;
  if (templated === literal) {
    errors.push(fieldError('template', 'exactly_one_shape', 'give either template (with data) or subject and text, not both'));
  } else if (templated) {
    if (!(TEMPLATE_KINDS as readonly string[]).includes(request.template!)) {
      errors.push(fieldError('template', 'isIn', `must be one of ${TEMPLATE_KINDS.join(', ')}`));
    }
    if (request.data !== undefined && (typeof request.data !== 'object' || request.data === null || Array.isArray(request.data))) {
      errors.push(fieldError('data', 'isObject', 'must be an object'));
    } else if (JSON.stringify(request.data ?? {}).length > MESSAGE_LIMITS.maxDataChars) {
      errors.push(fieldError('data', 'maxLength', `must be at most ${MESSAGE_LIMITS.maxDataChars} characters as JSON`));
    }
  } else {
    errors.push(...contentErrors({ subject: request.subject, text: request.text, html: request.html }, ''));
  }
  return errors;
}

/** The rules for a rendered or literal message's content (`prefix` names the owning field, e.g. `data.`). */
export function contentErrors(content: { subject?: unknown; text?: unknown; html?: unknown }, prefix: string): FieldError[] {
  const errors: FieldError[] = [];
  const { subject, text, html } = content;
  if (!isText(subject) || subject.trim() === '') errors.push(fieldError(`${prefix}subject`, 'isNotEmpty', 'must be a non-empty string'));
  else if (CRLF.test(subject)) errors.push(fieldError(`${prefix}subject`, 'no_line_breaks', 'must not contain CR or LF characters'));
  else if (subject.length > MESSAGE_LIMITS.maxSubjectChars) {
    errors.push(fieldError(`${prefix}subject`, 'maxLength', `must be at most ${MESSAGE_LIMITS.maxSubjectChars} characters`));
  }
  if (!isText(text)) errors.push(fieldError(`${prefix}text`, 'isString', 'must be a string'));
  else if (text.length > MESSAGE_LIMITS.maxBodyChars) {
    errors.push(fieldError(`${prefix}text`, 'maxLength', `must be at most ${MESSAGE_LIMITS.maxBodyChars} characters`));
  }
  if (html !== undefined && !isText(html)) errors.push(fieldError(`${prefix}html`, 'isString', 'must be a string'));
  else if (isText(html) && html.length > MESSAGE_LIMITS.maxBodyChars) {
    errors.push(fieldError(`${prefix}html`, 'maxLength', `must be at most ${MESSAGE_LIMITS.maxBodyChars} characters`));
  }
  return errors;
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/**
 * A hash of the normalized request (addresses lower-cased, keys sorted, absent and empty cc alike):
 * the same message sent twice with one key has one fingerprint, another message another. It is stored
 * with the key and compared on a later retry, so its text must never change: the JSON of the request's
 * fields in sorted order, `data` with its keys sorted at every level. Written out field by field rather
 * than sorting a built object, as it is computed on every keyed request.
 */
export function requestFingerprint(request: MessageRequest): string {
  const lower = (list: string[] | undefined) => (list ?? []).map((a) => a.toLowerCase());
  const json = (value: unknown) => JSON.stringify(value ?? null);
  const normalized =
    `{"cc":${json(lower(request.cc))},"data":${json(canonical(request.data ?? null))},"html":${json(request.html)}` +
    `,"org_id":${json(request.orgId?.toLowerCase())},"partner_id":${json(request.partnerId?.toLowerCase())}` +
    `,"reply_to":${json(request.replyTo?.toLowerCase())},"subject":${json(request.subject)},"template":${json(request.template)}` +
    `,"text":${json(request.text)},"to":${json(lower(request.to))}}`;
  return createHash('sha256').update(normalized).digest('hex');
}
