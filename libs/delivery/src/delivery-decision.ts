/**
 * What becomes of a delivery attempt, decided without I/O: the attempt's outcome (sent, or a failure
 * classified as permanent or transient), the attempt number and the profile's retries give `sent`,
 * `retry` at a time (exponential backoff with full jitter) or `fail`. The worker books what this says.
 */
import { DomainError } from '@mailstrata/common';
import { EmailConfigErrors } from '@mailstrata/email-config';
import { SmtpDeliveryError, SmtpFailure, smtpFailure } from '@mailstrata/mailer';

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

export type Decision = { action: 'sent' } | { action: 'retry'; at: Date; maxAttempts: number } | { action: 'fail'; maxAttempts: number };

export interface RetryPolicy {
  /** First retry delay; doubles per attempt, with full jitter, capped at `retryMaxMs`. */
  retryBaseMs: number;
  retryMaxMs: number;
}

export interface DecisionInput {
  outcome: AttemptOutcome;
  /** This attempt's number, from 1. */
  attempt: number;
  /** The profile's further attempts after the first (or the default when no profile resolved). */
  retries: number;
  now: Date;
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

/** Sent; or retried while attempts remain and the failure is transient; or failed. */
export function decide(input: DecisionInput, policy: RetryPolicy, random: () => number = Math.random): Decision {
  const { outcome, attempt } = input;
  if (outcome.ok) return { action: 'sent' };
  const maxAttempts = Math.max(0, input.retries) + 1;
  if (outcome.permanent || attempt >= maxAttempts) return { action: 'fail', maxAttempts };
  const at = new Date(input.now.getTime() + backoffMs(attempt, policy.retryBaseMs, policy.retryMaxMs, random));
  return { action: 'retry', at, maxAttempts };
}
