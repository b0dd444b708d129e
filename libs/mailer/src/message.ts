/**
 * What the mailer sends and the rules it holds to before anything goes on the wire. CR or LF in a
 * header-bound value is refused (never "cleaned"), so a subject or address can never smuggle in a
 * header of its own.
 */
import { randomUUID } from 'node:crypto';
import { fieldError, FieldError, pooledRandomBytes } from '@mailstrata/common';
import { MailerErrors } from './errors';

export interface OutgoingEmail {
  to: string;
  /** A Reply-To address (one plain mailbox). */
  replyTo?: string;
  subject: string;
  text: string;
  html?: string;
  /** Overrides the profile's sender address (verification's `sender_email`); the name stays the profile's. */
  fromEmail?: string;
  /**
   * The Message-ID (`<id@domain>`, letters, digits, dots and dashes) when the caller needs it stable:
   * a delivery job sends every attempt, on any route, under one Message-ID, so a copy sent again after a
   * lost reply to DATA is recognisable as the same message. Absent: a new one per send.
   */
  messageId?: string;
}

const MESSAGE_ID = /^<[A-Za-z0-9][A-Za-z0-9.-]{0,127}@[A-Za-z0-9][A-Za-z0-9.-]{0,252}>$/;

const CRLF = /[\r\n]/;
// Deliberately plain: one mailbox, no display name, no comments, no quoted local parts.
const ADDRESS = /^[^\s@<>()[\]\\,;:"]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

export function isPlainAddress(value: string): boolean {
  return value.length <= 254 && ADDRESS.test(value);
}

/** Field errors for header-bound values; `prefix` is the request path of the owning object. */
export function headerFieldErrors(values: Record<string, string | undefined>, addressFields: readonly string[], prefix = ''): FieldError[] {
  const errors: FieldError[] = [];
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) continue;
    const field = `${prefix}${name}`;
    if (CRLF.test(value)) errors.push(fieldError(field, 'no_line_breaks', 'must not contain CR or LF characters'));
    else if (addressFields.includes(name) && !isPlainAddress(value))
      errors.push(fieldError(field, 'isEmail', 'must be a single email address'));
  }
  return errors;
}

export function assertSendable(email: OutgoingEmail, senderEmail: string, senderName: string | undefined): void {
  const errors = headerFieldErrors(
    { to: email.to, reply_to: email.replyTo, subject: email.subject, from: email.fromEmail ?? senderEmail, sender_name: senderName },
    ['to', 'reply_to', 'from'],
  );
  if (email.messageId !== undefined && !MESSAGE_ID.test(email.messageId)) {
    errors.push({ field: 'message_id', rule: 'messageId', message: 'must be <id@domain> with letters, digits, dots and dashes only' });
  }
  if (errors.length > 0) throw MailerErrors.INVALID_EMAIL_MESSAGE(undefined, { errors });
}

/**
 * The Message-ID and MIME boundary of one outgoing message, in nodemailer's `messageId`/`baseBoundary`
 * options. Left to itself nodemailer draws them with six `randomBytes` calls per message; on the
 * delivery hot path those calls cost more than the rest of composing it.
 */
export function messageIdentity(fromAddress: string, messageId?: string): { messageId: string; baseBoundary: string } {
  const domain = fromAddress.slice(fromAddress.lastIndexOf('@') + 1);
  return { messageId: messageId ?? `<${randomUUID()}@${domain}>`, baseBoundary: pooledRandomBytes(8).toString('hex') };
}
