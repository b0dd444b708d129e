/**
 * Test emails ("verification"): the seed's body `{sender_email, recipient_email, subject, body}` plus
 * `mode` ("send" | "connect") and an optional unsaved `smtp_config` (validated by email-config, not
 * here). One recipient, no CR/LF in header-bound values, a per-tenant rate limit, and an audit event for
 * every test (`email.verification.succeeded|failed`) with host, port, source, stage and TLS reason —
 * never the body, the subject or a secret. The caller (HTTP layer) resolves the target; this service
 * only tests it.
 *
 * A route the caller does not own (an org admin on the partner's or the controller's route, a partner
 * admin on the controller's) is somebody else's mail account: through it a caller may check the
 * connection (`mode: "connect"`) or send the fixed test email from the route's own sender to their own
 * address, and nothing else, so the endpoint cannot be used to mail anyone anything from that account.
 */
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AuditActor, AuditWriter, defineAuditEvent } from '@mailstrata/audit';
import { CommonErrors, DomainError, fieldError, FieldError } from '@mailstrata/common';
import { APP_CONFIG, AppConfig } from '@mailstrata/config';
import { SharedRateLimiter } from '@mailstrata/database';
import { DataSource } from 'typeorm';
import { Mailer, MailerErrors, SmtpDeliveryError, VerificationResult } from '@mailstrata/mailer';
import { DeliveryErrors } from './errors';
import { ProfileHealthRecorder } from './profile-health';
import { ResolvedSmtpTarget, SmtpSource } from './smtp-route';

const DETAILS = [
  'mode',
  'source',
  'candidate',
  'version',
  'route_owned',
  'host',
  'port',
  'tls_mode',
  'insecure',
  'auth_type',
  'recipient',
  'stage',
  'tls_reason',
  'smtp_code',
  'error_code',
  'duration_ms',
] as const;
export const EmailVerificationSucceeded = defineAuditEvent('email.verification.succeeded', DETAILS);
export const EmailVerificationFailed = defineAuditEvent('email.verification.failed', DETAILS);

export const DEFAULT_TEST_SUBJECT = 'mailstrata test email';
export const DEFAULT_TEST_BODY = 'This is a test email sent by mailstrata to check the SMTP configuration.';

/** What the caller asked for; fields they left out stay undefined (the route policy needs to know). */
export interface VerificationRequest {
  mode: 'send' | 'connect';
  senderEmail: string | undefined;
  /** Send mode without one: the caller's own address. Connect mode sends nothing and needs none. */
  recipientEmail: string | undefined;
  subject: string | undefined;
  body: string | undefined;
}

/** Who is testing: the level of their account and their own address. */
export interface VerificationCaller {
  level: 'controller' | 'partner' | 'org';
  email: string;
}

/**
 * Whether the caller owns the route a test goes through. A controller admin owns every route; a
 * partner admin owns its partner's profile and its organizations' (not the controller's); an org admin
 * only its org's own profile. An unsaved candidate is always the caller's own.
 */
export function ownsRoute(caller: Pick<VerificationCaller, 'level'>, source: SmtpSource, candidate: boolean): boolean {
  if (candidate || caller.level === 'controller') return true;
  if (caller.level === 'partner') return source !== 'controller';
  return source === 'org';
}

/**
 * The request as it may go through a route the caller does not own: connect mode as asked, or the fixed
 * test email from the route's sender to the caller's own address. Anything else is refused (403
 * TEST_EMAIL_ROUTE_NOT_OWNED) with one error per offending field.
 */
export function restrictToForeignRoute(request: VerificationRequest, caller: VerificationCaller, source: SmtpSource): VerificationRequest {
  if (request.mode === 'connect') return request;
  const errors: FieldError[] = [];
  const own = caller.email.toLowerCase();
  if (request.recipientEmail !== undefined && request.recipientEmail.toLowerCase() !== own) {
    errors.push(
      fieldError('recipient_email', 'own_address_only', `must be your own account's address (${caller.email}) on a route you do not own`),
    );
  }
  const fixed: [string, string | undefined, string][] = [
    ['sender_email', request.senderEmail, "must be omitted on a route you do not own: the route's own sender is used"],
    ['subject', request.subject, 'must be omitted on a route you do not own: a fixed test subject is used'],
    ['body', request.body, 'must be omitted on a route you do not own: a fixed test body is used'],
  ];
  for (const [field, value, message] of fixed)
    if (value !== undefined) errors.push(fieldError(field, 'not_allowed_on_foreign_route', message));
  if (errors.length > 0) {
    throw DeliveryErrors.TEST_EMAIL_ROUTE_NOT_OWNED(
      `This test goes through the ${source === 'controller' ? "controller's" : `${source}'s`} SMTP route, which you do not own: ` +
        'send the fixed test email to your own address (omit sender_email, subject and body) or use "mode": "connect".',
      { errors, extensions: { route_source: source } },
    );
  }
  return { mode: 'send', senderEmail: undefined, recipientEmail: caller.email, subject: undefined, body: undefined };
}

export interface VerificationScope {
  partnerId: string;
  orgId: string | null;
}

export interface VerificationAnswer {
  status: 'sent' | 'connected';
  mode: 'send' | 'connect';
  source: ResolvedSmtpTarget['source'];
  /** True for an unsaved profile or a saved version named by number (the caller's own, never health-tracked). */
  candidate: boolean;
  /** The saved version tested, when one was named. */
  version: number | null;
  /** False when the route belongs to a level above the caller (the fixed test email or connect only). */
  route_owned: boolean;
  /** The envelope sender used (send mode). */
  sender_email: string | null;
  recipient_email: string | null;
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
  private readonly logger = new Logger(EmailVerificationService.name);
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
      throw CommonErrors.RATE_LIMITED(`Too many test emails for this tenant; try again in ${wait} s.`, {
        extensions: { retry_after: wait },
      });
    }
  }

  /**
   * A test of the saved route that failed before any connection, while resolving the route (no profile
   * at any level, a secret file the operator has not mounted): audited like a failed test, so an auditor
   * sees every attempt, with the error code and, for an unreadable secret file, stage CONFIG.
   */
  async recordUnresolved(
    actor: AuditActor,
    scope: VerificationScope,
    mode: VerificationRequest['mode'],
    error: DomainError,
  ): Promise<void> {
    const stage = typeof error.extensions.stage === 'string' ? error.extensions.stage : null;
    await this.dataSource.transaction((manager) =>
      this.audit.record(manager, EmailVerificationFailed, {
        outcome: 'failure',
        actor,
        partnerId: scope.partnerId,
        orgId: scope.orgId,
        resource: { type: 'smtp_profile', id: scope.orgId ? `org:${scope.orgId}` : `partner:${scope.partnerId}` },
        details: {
          mode,
          source: null,
          candidate: false,
          version: null,
          route_owned: null,
          host: null,
          port: null,
          tls_mode: null,
          insecure: null,
          auth_type: null,
          recipient: null,
          stage,
          tls_reason: null,
          smtp_code: null,
          error_code: error.code,
          duration_ms: 0,
        },
      }),
    );
  }

  async verify(
    actor: AuditActor,
    scope: VerificationScope,
    target: ResolvedSmtpTarget,
    candidate: boolean,
    asked: VerificationRequest,
    caller: VerificationCaller,
    /** `version`: the saved version named by the caller, for the answer and the audit event. */
    options: { version?: number | null } = {},
  ): Promise<VerificationAnswer> {
    const started = performance.now();
    const routeOwned = ownsRoute(caller, target.source, candidate);
    const request = routeOwned ? asked : restrictToForeignRoute(asked, caller, target.source);
    // What was tested and where: shared by the audit event and the answer.
    const tested = {
      mode: request.mode,
      source: target.source,
      candidate,
      version: options.version ?? null,
      route_owned: routeOwned,
      host: target.host,
      port: target.port,
      tls_mode: target.tlsMode,
      insecure: target.insecure,
    };
    const recipient = request.mode === 'send' ? (request.recipientEmail ?? caller.email) : null;
    const details = { ...tested, auth_type: target.auth.type, recipient };
    const email =
      request.mode === 'send'
        ? {
            to: recipient!,
            subject: request.subject ?? DEFAULT_TEST_SUBJECT,
            text: request.body ?? DEFAULT_TEST_BODY,
            ...(request.senderEmail ? { fromEmail: request.senderEmail } : {}),
          }
        : undefined;
    let result: VerificationResult;
    try {
      result = await this.mailer.verify(target, email);
    } catch (error) {
      const failure = error instanceof SmtpDeliveryError ? error.failure : null;
      const code = error instanceof DomainError ? error.code : 'INTERNAL';
      const stage = failure?.stage ?? (MailerErrors.SMTP_DESTINATION_REFUSED.is(error) ? 'EGRESS' : null);
      this.logger.warn(
        {
          source: target.source,
          candidate,
          host: target.host,
          port: target.port,
          tls_mode: target.tlsMode,
          stage,
          tls_reason: failure?.tlsReason ?? null,
          smtp_code: failure?.smtpCode ?? null,
          code,
        },
        'test email failed',
      );
      await this.dataSource.transaction(async (manager) => {
        await this.audit.record(manager, EmailVerificationFailed, {
          outcome: 'failure',
          actor,
          partnerId: scope.partnerId,
          orgId: scope.orgId,
          resource: { type: 'smtp_profile', id: target.cacheKey },
          details: {
            ...details,
            stage,
            tls_reason: failure?.tlsReason ?? null,
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
      sender_email: email ? (email.fromEmail ?? target.sender.email) : null,
      recipient_email: recipient,
      smtp_response: result.response ?? null,
      message_id: result.messageId ?? null,
      accepted: result.accepted ?? [],
      rejected: result.rejected ?? [],
      timings: result.timings,
    };
  }
}
