/**
 * Turns whatever nodemailer, DNS, TLS or the token endpoint threw into one `SmtpDeliveryError`: the stage
 * that failed, the server's reply code and text when there was one, whether a retry may help, and a hint
 * a human can act on. Messages are built here from known parts only, never from credentials or bodies.
 */
import { DomainError } from '@mailstrata/common';
import { MailerErrors } from './errors';
import { TLS_HINTS, TLS_REASON_WORDS, TlsReason, tlsReasonOf } from './tls-failure';

/**
 * Where an attempt failed. CONFIG is before any connection: the route's own configuration could not be
 * completed (a secret reference's file cannot be read); the mailer never reports it itself.
 */
export type SmtpStage = 'CONFIG' | 'DNS' | 'CONNECT' | 'TLS' | 'AUTH' | 'OAUTH_TOKEN' | 'MAIL_FROM' | 'RCPT_TO' | 'DATA' | 'TIMEOUT';

export const SMTP_STAGES: readonly SmtpStage[] = [
  'CONFIG',
  'DNS',
  'CONNECT',
  'TLS',
  'AUTH',
  'OAUTH_TOKEN',
  'MAIL_FROM',
  'RCPT_TO',
  'DATA',
  'TIMEOUT',
];

export interface SmtpFailure {
  stage: SmtpStage;
  smtpCode: number | null;
  smtpResponse: string | null;
  /** 4xx replies, timeouts and connection problems: a later attempt may succeed. */
  transient: boolean;
  hint: string;
  /** Set when stage is TLS: why the negotiation failed (a closed set). */
  tlsReason?: TlsReason;
}

export class SmtpDeliveryError extends DomainError<'SMTP_DELIVERY_FAILED'> {
  constructor(readonly failure: SmtpFailure) {
    super(
      MailerErrors.SMTP_DELIVERY_FAILED.code,
      MailerErrors.SMTP_DELIVERY_FAILED.kind,
      `The SMTP ${STAGE_WORDS[failure.stage]} failed${failure.smtpCode ? ` (${failure.smtpCode})` : ''}${
        failure.tlsReason ? `: ${TLS_REASON_WORDS[failure.tlsReason]}` : ''
      }.`,
      [],
      {
        stage: failure.stage,
        smtp_code: failure.smtpCode,
        smtp_response: failure.smtpResponse,
        transient: failure.transient,
        hint: failure.hint,
        ...(failure.tlsReason ? { tls_reason: failure.tlsReason } : {}),
      },
    );
    this.name = 'SmtpDeliveryError';
  }

  get stage(): SmtpStage {
    return this.failure.stage;
  }
}

const STAGE_WORDS: Record<SmtpStage, string> = {
  CONFIG: 'route configuration',
  DNS: 'host name lookup',
  CONNECT: 'connection',
  TLS: 'TLS negotiation',
  AUTH: 'authentication',
  OAUTH_TOKEN: 'OAuth2 token request',
  MAIL_FROM: 'sender (MAIL FROM)',
  RCPT_TO: 'recipient (RCPT TO)',
  DATA: 'message transfer (DATA)',
  TIMEOUT: 'exchange (timeout)',
};

const HINTS: Record<SmtpStage, string> = {
  CONFIG:
    'A secret of the SMTP profile comes from a file (a secret reference) that cannot be read; check that the operator mounts it under the tenant’s secrets directory.',
  DNS: 'The SMTP host name does not resolve from this installation; check the host and the cluster DNS.',
  CONNECT: 'No SMTP server answered on this host and port; check the port, firewalls and whether the server is up.',
  TLS: 'TLS failed: check tls_mode (implicit TLS is usually port 465, STARTTLS 587), the server certificate and ca_cert, or the client certificate.',
  AUTH: 'The server refused the credentials; check the username and password (or the OAuth2 account and its SMTP permission).',
  OAUTH_TOKEN:
    'The token endpoint refused the client credentials request; check token_endpoint, client_id, client_secret, scope and audience.',
  MAIL_FROM: 'The server refused the sender address; the account may not be allowed to send as this sender.',
  RCPT_TO: 'The server refused the recipient; check the address, or whether the server relays to this domain for this account.',
  DATA: 'The server refused the message content; check size limits or content policies on the server.',
  TIMEOUT: 'The server did not answer in time; check that the port speaks SMTP and the tls_mode matches it.',
};

const MAX_RESPONSE = 300;

/** Server replies may span lines; keep one line of bounded length. */
export function cleanResponse(response: unknown): string | null {
  if (typeof response !== 'string' || response.trim() === '') return null;
  const oneLine = response.replace(/[\r\n]+/g, ' ').trim();
  return oneLine.length > MAX_RESPONSE ? `${oneLine.slice(0, MAX_RESPONSE)}…` : oneLine;
}

function replyCode(response: string | null, given: unknown): number | null {
  if (typeof given === 'number' && given >= 200 && given < 600) return given;
  const m = response ? /^([2-5]\d\d)[\s-]/.exec(response) : null;
  return m ? Number(m[1]) : null;
}

export function failure(
  stage: SmtpStage,
  smtpCode: number | null,
  smtpResponse: string | null,
  transient: boolean,
  hint?: string,
): SmtpFailure {
  return { stage, smtpCode, smtpResponse, transient, hint: hint ?? HINTS[stage] };
}

/** A TLS failure with its reason; the hint is the reason's. */
export function tlsFailure(
  reason: TlsReason,
  smtpCode: number | null = null,
  smtpResponse: string | null = null,
  transient = false,
): SmtpFailure {
  return { ...failure('TLS', smtpCode, smtpResponse, transient, TLS_HINTS[reason]), tlsReason: reason };
}

interface NodemailerishError {
  code?: string;
  command?: string;
  response?: string;
  responseCode?: number;
  message?: string;
  cause?: unknown;
}

const TLS_MESSAGE = /certificate|self[- ]signed|SSL|TLS|handshake|wrong version number|alert|unable to verify|altnames|CERT_/i;

/** Classifies an error from a send or a verification. `phase` is where we were when it happened. */
export function classifySmtpError(error: unknown, phase?: SmtpStage): SmtpFailure {
  if (error instanceof SmtpDeliveryError) return error.failure;
  const e = (error ?? {}) as NodemailerishError;
  const response = cleanResponse(e.response);
  const code = replyCode(response, e.responseCode);
  const permanentReply = code !== null && code >= 500;
  const transientReply = code !== null && code >= 400 && code < 500;
  const command = (e.command ?? '').toUpperCase();
  const message = typeof e.message === 'string' ? e.message : '';

  switch (e.code) {
    case 'EDNS':
      return failure('DNS', null, null, /ETIMEOUT|EAI_AGAIN|timed out/i.test(message));
    case 'ETIMEDOUT':
      return failure('TIMEOUT', null, null, true);
    case 'ETLS':
      return tlsFailure(tlsReasonOf(e) ?? 'other', code, response, transientReply);
    case 'EAUTH':
      // A 4xx during AUTH (e.g. 454 temporary authentication failure) may pass later; 535 will not.
      return failure('AUTH', code, response, transientReply);
    case 'EENVELOPE':
    case 'EMESSAGE':
    case 'EREQUIRETLS': {
      const stage: SmtpStage = command.startsWith('RCPT') ? 'RCPT_TO' : command.startsWith('MAIL') ? 'MAIL_FROM' : 'DATA';
      return failure(stage, code, response, transientReply);
    }
    default:
      break;
  }
  // Socket-level failures: TLS alerts show up as socket errors with TLS-ish messages.
  const sysCode = (e as { code?: string }).code ?? '';
  const tlsReason = tlsReasonOf(e);
  if (tlsReason || TLS_MESSAGE.test(message) || /^ERR_TLS|^ERR_SSL|CERT|DEPTH_ZERO|SELF_SIGNED/.test(sysCode)) {
    return tlsFailure(tlsReason ?? 'other', code, response, false);
  }
  if (/ETIMEDOUT|ESOCKETTIMEDOUT|Timeout/i.test(sysCode) || /timeout|timed out/i.test(message)) return failure('TIMEOUT', null, null, true);
  if (phase === 'MAIL_FROM' || phase === 'RCPT_TO' || phase === 'DATA') {
    if (code !== null) return failure(phase, code, response, transientReply);
  }
  if (code !== null && (command === 'CONN' || command === 'EHLO' || command === 'HELO')) {
    // A 421/554 greeting: the server is there but does not want us now (or ever).
    return failure('CONNECT', code, response, !permanentReply);
  }
  return failure(phase === 'TLS' || phase === 'AUTH' ? phase : 'CONNECT', code, response, !permanentReply);
}
