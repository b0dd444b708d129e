/**
 * What becomes of a delivery attempt, decided without I/O: the attempt's outcome (sent, or a failure
 * classified as permanent or transient), the attempt number and the profile's retries give `sent`,
 * `retry` at a time (exponential backoff with full jitter) or `fail`. The worker books what this says.
 *
 * Failover to the scope's secondary route is decided here too: which route an attempt takes
 * (`routeForAttempt`: the job's own route, or the secondary while the primary's health is failing) and
 * whether a failure hands the job to the secondary. Only failures of the route itself do (transient
 * ones past `afterAttempts`, or at once while the primary is failing; permanent ones of the connection,
 * TLS or credentials at once, a broken credential being exactly the mistake a second route is for).
 * A permanent refusal of the message (5xx to MAIL FROM, RCPT TO or DATA) never does: another server
 * would be asked to deliver what the first one refused for what it is.
 */
import { DomainError } from '@mailstrata/common';
import { EmailConfigErrors } from '@mailstrata/email-config';
import { MailerErrors, SmtpDeliveryError, SmtpFailure, smtpFailure, SmtpStage } from '@mailstrata/mailer';

/** Which of a scope's routes carries an attempt. */
export type DeliveryRoute = 'primary' | 'secondary';

/** A failed attempt as the decision sees it. */
export interface ClassifiedFailure {
  /** The SMTP conversation's failure (stage, reply code), when it got that far. */
  failure: SmtpFailure | null;
  /** The DomainError code, or INTERNAL for an unexpected error. */
  errorCode: string;
  /** Will not get better by trying again (5xx, authentication, refused destination, invalid message). */
  permanent: boolean;
  /** Not a failure the delivery knows (a bug, or a dependency's surprise): logged as an error. */
  unexpected: boolean;
}

export type AttemptOutcome = { ok: true } | ({ ok: false } & ClassifiedFailure);

export type Decision =
  | { action: 'sent' }
  /** `route`: what the next attempt goes by; `failover`: this decision hands the job from the primary to the secondary. */
  | { action: 'retry'; at: Date; maxAttempts: number; route: DeliveryRoute; failover: boolean }
  | { action: 'fail'; maxAttempts: number };

export interface RetryPolicy {
  /** First retry delay; doubles per attempt, with full jitter, capped at `retryMaxMs`. */
  retryBaseMs: number;
  retryMaxMs: number;
}

export interface DecisionInput {
  outcome: AttemptOutcome;
  /** This attempt's number, from 1. */
  attempt: number;
  /** The further attempts after the first of the route that carried this one (or the default when no profile resolved). */
  retries: number;
  now: Date;
  /** The route that carried this attempt (primary when absent). */
  route?: DeliveryRoute;
  /** Whether the scope's effective level has a secondary route now. */
  secondaryAvailable?: boolean;
  /** Whether the primary's health was failing when the attempt started (see `primaryFailing`). */
  primaryFailing?: boolean;
}

export interface FailoverPolicy {
  /** From this attempt on, a transient failure on the primary hands the job to the secondary (EMAIL_FAILOVER_AFTER_ATTEMPTS). */
  failoverAfterAttempts: number;
}

/** Stages at which the route itself failed (the server, the way to it, or our credentials), not the message. */
const ROUTE_STAGES: ReadonlySet<SmtpStage> = new Set<SmtpStage>(['DNS', 'CONNECT', 'TLS', 'AUTH', 'OAUTH_TOKEN', 'TIMEOUT']);

/** A failure that says the route is broken: its stage is the connection, TLS or credentials, or the egress guard refused its host. */
export function isRouteFailure(stage: string | null, errorCode: string | null): boolean {
  return (stage !== null && ROUTE_STAGES.has(stage as SmtpStage)) || errorCode === MailerErrors.SMTP_DESTINATION_REFUSED.code;
}

/** Whether a failed attempt on the primary may be handed to the secondary at all. */
export function failsOver(outcome: ClassifiedFailure): boolean {
  if (isRouteFailure(outcome.failure?.stage ?? null, outcome.errorCode)) return true;
  // A 4xx at MAIL FROM, RCPT TO or DATA: the primary is busy or throttling, the message was not refused.
  return outcome.failure !== null && !outcome.permanent;
}

/** What a route's recorded health says (ProfileHealth's fields that matter here). */
export interface RouteHealth {
  lastSuccessAt: Date | null;
  lastFailureAt: Date | null;
  lastFailureStage: string | null;
  lastFailureErrorCode: string | null;
}

/**
 * The primary is failing: its last failure was one of the route (not a refused recipient), is newer
 * than its last success, and younger than `windowMs`. After the window one message tries the primary
 * again: its success ends the failover, its failure starts a new window.
 */
export function primaryFailing(health: RouteHealth | null, now: Date, windowMs: number): boolean {
  if (!health?.lastFailureAt) return false;
  if (health.lastSuccessAt && health.lastSuccessAt >= health.lastFailureAt) return false;
  if (now.getTime() - health.lastFailureAt.getTime() >= windowMs) return false;
  return isRouteFailure(health.lastFailureStage, health.lastFailureErrorCode);
}

/** The route an attempt takes: the job's own, the secondary while the primary is failing, and the primary when there is no secondary (any more). */
export function routeForAttempt(input: { jobRoute: DeliveryRoute; secondaryAvailable: boolean; primaryFailing: boolean }): DeliveryRoute {
  if (!input.secondaryAvailable) return 'primary';
  if (input.jobRoute === 'secondary' || input.primaryFailing) return 'secondary';
  return 'primary';
}

/** Sorts an error thrown by an attempt (resolution, decryption, send) into permanent or transient. */
export function classifyFailure(error: unknown): ClassifiedFailure {
  if (error instanceof SmtpDeliveryError) {
    return { failure: error.failure, errorCode: error.code, permanent: !error.failure.transient, unexpected: false };
  }
  if (EmailConfigErrors.SECRET_REF_UNAVAILABLE.is(error)) {
    // The route's secret file is missing or unreadable: the operator's mount may come back (a CSI
    // driver mounts late, a rotation is half done), so it is retried within the profile's retries.
    return { failure: smtpFailure('CONFIG', null, null, true), errorCode: error.code, permanent: false, unexpected: false };
  }
  if (error instanceof DomainError) {
    // No profile anywhere (it may be configured later) or a dependency down: retry. A refused
    // destination or an invalid message will not get better: fail now.
    const permanent = !(EmailConfigErrors.NO_SMTP_CONFIG.is(error) || error.kind === 'unavailable');
    return { failure: null, errorCode: error.code, permanent, unexpected: false };
  }
  return { failure: null, errorCode: 'INTERNAL', permanent: false, unexpected: true };
}

export function backoffMs(attempt: number, baseMs: number, maxMs: number, random = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  // Full jitter: spreads retries of many jobs that failed together over the whole window.
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * Sent; or handed to the secondary (at once: the backoff spares a struggling server, and the secondary
 * is another one); or retried on the same route while attempts remain and the failure is transient; or
 * failed. A handover grants the secondary at least one attempt even when the primary used up the retries.
 */
export function decide(input: DecisionInput, policy: RetryPolicy & Partial<FailoverPolicy>, random: () => number = Math.random): Decision {
  const { outcome, attempt } = input;
  if (outcome.ok) return { action: 'sent' };
  const route = input.route ?? 'primary';
  const maxAttempts = Math.max(0, input.retries) + 1;
  if (route === 'primary' && input.secondaryAvailable && failsOver(outcome)) {
    const due = outcome.permanent || input.primaryFailing || attempt >= (policy.failoverAfterAttempts ?? 1);
    if (due) return { action: 'retry', at: input.now, maxAttempts: Math.max(maxAttempts, attempt + 1), route: 'secondary', failover: true };
  }
  if (outcome.permanent || attempt >= maxAttempts) return { action: 'fail', maxAttempts };
  const at = new Date(input.now.getTime() + backoffMs(attempt, policy.retryBaseMs, policy.retryMaxMs, random));
  return { action: 'retry', at, maxAttempts, route, failover: false };
}
