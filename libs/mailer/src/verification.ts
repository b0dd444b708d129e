/**
 * Test emails ("verification"): the seed's body `{sender_email, recipient_email, subject, body}` plus
 * `mode` ("send" | "connect") and an optional unsaved `smtp_config` (validated by email-config, not
 * here). One recipient, no CR/LF in header-bound values, a per-tenant rate limit, and an audit event for
 * every test (`email.verification.succeeded|failed`) with host, port, source and stage — never the body,
 * the subject or a secret. The caller (HTTP layer) resolves the target; this service only tests it.
 */
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AuditActor, AuditWriter, defineAuditEvent } from '@mailstrata/audit';
import { DomainError, fieldError, FieldError } from '@mailstrata/common';
import { APP_CONFIG, AppConfig } from '@mailstrata/config';
import { SharedRateLimiter } from '@mailstrata/database';
import { DataSource } from 'typeorm';
import { DESTINATION_REFUSED } from './egress-guard';
import { Mailer, VerificationResult } from './mailer';
import { headerFieldErrors } from './message';
import { ProfileHealthRecorder } from './profile-health';
import { SmtpDeliveryError } from './smtp-failure';
import { ResolvedSmtpTarget } from './smtp-target';

const DETAILS = [
  'mode',
  'source',
  'candidate',
  'host',
  'port',
  'tls_mode',
  'insecure',
  'auth_type',
  'recipient',
  'stage',
  'smtp_code',
  'error_code',
  'duration_ms',
] as const;
export const EmailVerificationSucceeded = defineAuditEvent('email.verification.succeeded', DETAILS);
export const EmailVerificationFailed = defineAuditEvent('email.verification.failed', DETAILS);

export interface VerificationRequest {
  mode: 'send' | 'connect';
  senderEmail: string | undefined;
  recipientEmail: string;
  subject: string;
  body: string;
}

export interface ParsedVerificationBody {
  request: VerificationRequest;
  /** The unsaved profile to test instead of the effective one, raw (email-config validates it). */
  smtpConfig: unknown;
}

const KNOWN = new Set(['sender_email', 'recipient_email', 'subject', 'body', 'mode', 'smtp_config']);
const MAX_SUBJECT = 998;
const MAX_BODY = 100_000;

/** Validates the seed body; every problem comes back as a field error at once. */
export function parseVerificationBody(raw: unknown): ParsedVerificationBody {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw DomainError.invalid('VALIDATION_FAILED', 'The request body must be a JSON object.');
  }
  const b = raw as Record<string, unknown>;
  const errors: FieldError[] = [];
  for (const key of Object.keys(b)) if (!KNOWN.has(key)) errors.push(fieldError(key, 'unknown_field', 'is not a known field'));
  const text = (name: string, required: boolean, max: number): string | undefined => {
    const v = b[name];
    if (v === undefined || v === null) {
      if (required) errors.push(fieldError(name, 'required', 'is required'));
      return undefined;
    }
    if (typeof v !== 'string') {
      errors.push(fieldError(name, 'isString', 'must be a string'));
      return undefined;
    }
    if (v.length > max) errors.push(fieldError(name, 'maxLength', `must be at most ${max} characters`));
    return v;
  };
  const recipient = b.recipient_email;
  if (Array.isArray(recipient) || (typeof recipient === 'string' && /[,;]/.test(recipient))) {
    errors.push(fieldError('recipient_email', 'single_recipient', 'must be exactly one address'));
  }
  const recipientEmail = Array.isArray(recipient) ? undefined : text('recipient_email', true, 254);
  const senderEmail = text('sender_email', false, 254);
  const subject = text('subject', false, MAX_SUBJECT) ?? 'mailstrata test email';
  const body = text('body', false, MAX_BODY) ?? 'This is a test email sent by mailstrata to check the SMTP configuration.';
  const mode = b.mode === undefined ? 'send' : b.mode;
  if (mode !== 'send' && mode !== 'connect') errors.push(fieldError('mode', 'isIn', 'must be "send" or "connect"'));
  if (b.smtp_config !== undefined && (typeof b.smtp_config !== 'object' || b.smtp_config === null || Array.isArray(b.smtp_config))) {
    errors.push(fieldError('smtp_config', 'isObject', 'must be an object'));
  }
  errors.push(
    ...headerFieldErrors(
      {
        recipient_email: errors.some((e) => e.field === 'recipient_email') ? undefined : recipientEmail,
        sender_email: senderEmail,
        subject,
      },
      ['recipient_email', 'sender_email'],
    ),
  );
  if (errors.length > 0) throw DomainError.invalid('VALIDATION_FAILED', 'The request has invalid fields.', errors);
  return {
    request: { mode: mode as 'send' | 'connect', senderEmail, recipientEmail: recipientEmail!, subject, body },
    smtpConfig: b.smtp_config,
  };
}

export interface VerificationScope {
  partnerId: string;
  orgId: string | null;
}

export interface VerificationAnswer {
  status: 'sent' | 'connected';
  mode: 'send' | 'connect';
  source: ResolvedSmtpTarget['source'];
  candidate: boolean;
  host: string;
  port: number;
  tls_mode: string;
  insecure: boolean;
  smtp_response: string | null;
  message_id: string | null;
  accepted: string[];
  rejected: string[];
  timings: VerificationResult['timings'];
}

@Injectable()
export class EmailVerificationService {
  private readonly limiter: SharedRateLimiter;

  constructor(
    private readonly mailer: Mailer,
    private readonly audit: AuditWriter,
    private readonly health: ProfileHealthRecorder,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.limiter = new SharedRateLimiter(dataSource, {
      name: 'verification',
      points: config.egress.verificationRateLimitPerMinute,
      windowSeconds: 60,
    });
  }

  /**
   * Throws RATE_LIMITED (429, `retry_after` seconds) when the tenant used up its tests for this minute,
   * counted across all replicas.
   */
  async checkRateLimit(scope: VerificationScope): Promise<void> {
    const wait = await this.limiter.take(scope.orgId ? `org:${scope.orgId}` : `partner:${scope.partnerId}`);
    if (wait > 0) {
      throw new DomainError('RATE_LIMITED', 'rate_limited', `Too many test emails for this tenant; try again in ${wait} s.`, [], {
        retry_after: wait,
      });
    }
  }

  async verify(
    actor: AuditActor,
    scope: VerificationScope,
    target: ResolvedSmtpTarget,
    candidate: boolean,
    request: VerificationRequest,
  ): Promise<VerificationAnswer> {
    const started = performance.now();
    // What was tested and where: shared by the audit event and the answer.
    const tested = {
      mode: request.mode,
      source: target.source,
      candidate,
      host: target.host,
      port: target.port,
      tls_mode: target.tlsMode,
      insecure: target.insecure,
    };
    const details = { ...tested, auth_type: target.auth.type, recipient: request.recipientEmail };
    const email =
      request.mode === 'send'
        ? {
            to: request.recipientEmail,
            subject: request.subject,
            text: request.body,
            ...(request.senderEmail ? { fromEmail: request.senderEmail } : {}),
          }
        : undefined;
    let result: VerificationResult;
    try {
      result = await this.mailer.verify(target, email);
    } catch (error) {
      const failure = error instanceof SmtpDeliveryError ? error.failure : null;
      const code = error instanceof DomainError ? error.code : 'INTERNAL';
      await this.dataSource.transaction(async (manager) => {
        await this.audit.record(manager, EmailVerificationFailed, {
          outcome: 'failure',
          actor,
          partnerId: scope.partnerId,
          orgId: scope.orgId,
          resource: { type: 'smtp_profile', id: target.cacheKey },
          details: {
            ...details,
            stage: failure?.stage ?? (code === DESTINATION_REFUSED ? 'EGRESS' : null),
            smtp_code: failure?.smtpCode ?? null,
            error_code: code,
            duration_ms: Math.round(performance.now() - started),
          },
        });
        // A refused destination or a bad message says nothing about the saved profile's health.
        if (!candidate && failure) await this.health.failure(target.cacheKey, target.version, failure, code, manager);
      });
      throw error;
    }
    await this.dataSource.transaction(async (manager) => {
      await this.audit.record(manager, EmailVerificationSucceeded, {
        outcome: 'success',
        actor,
        partnerId: scope.partnerId,
        orgId: scope.orgId,
        resource: { type: 'smtp_profile', id: target.cacheKey },
        details: { ...details, duration_ms: Math.round(performance.now() - started) },
      });
      if (!candidate) await this.health.success(target.cacheKey, target.version, manager);
    });
    return {
      status: request.mode === 'send' ? 'sent' : 'connected',
      ...tested,
      smtp_response: result.response ?? null,
      message_id: result.messageId ?? null,
      accepted: result.accepted ?? [],
      rejected: result.rejected ?? [],
      timings: result.timings,
    };
  }
}
