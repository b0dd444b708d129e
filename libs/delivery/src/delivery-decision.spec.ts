import { CommonErrors } from '@mailstrata/common';
import { EmailConfigErrors } from '@mailstrata/email-config';
import { destinationRefused, MailerErrors, SmtpDeliveryError, SmtpStage } from '@mailstrata/mailer';
import { backoffMs, classifyFailure, ClassifiedFailure, decide, primaryFailing, routeForAttempt } from './delivery-decision';

const policy = { retryBaseMs: 1_000, retryMaxMs: 60_000 };
const now = new Date('2030-01-01T00:00:00.000Z');
const transient: ClassifiedFailure = { failure: null, errorCode: 'SMTP_TRANSIENT', permanent: false, unexpected: false };
const permanent: ClassifiedFailure = { failure: null, errorCode: 'SMTP_REJECTED', permanent: true, unexpected: false };

describe('delivery decision', () => {
  it('books a delivered attempt as sent, whatever the attempt number', () => {
    expect(decide({ outcome: { ok: true }, attempt: 7, retries: 0, now }, policy)).toEqual({ action: 'sent' });
  });

  it('retries a transient failure while attempts remain, at a backoff time after now', () => {
    const decision = decide({ outcome: { ok: false, ...transient }, attempt: 1, retries: 3, now }, policy, () => 0.5);
    expect(decision).toEqual({ action: 'retry', at: new Date(now.getTime() + 750), maxAttempts: 4, route: 'primary', failover: false });
  });

  it('fails a transient failure once the profile retries are used up', () => {
    expect(decide({ outcome: { ok: false, ...transient }, attempt: 4, retries: 3, now }, policy)).toEqual({
      action: 'fail',
      maxAttempts: 4,
    });
    expect(decide({ outcome: { ok: false, ...transient }, attempt: 1, retries: 0, now }, policy)).toEqual({
      action: 'fail',
      maxAttempts: 1,
    });
  });

  it('fails a permanent failure at once, even with retries left', () => {
    expect(decide({ outcome: { ok: false, ...permanent }, attempt: 1, retries: 10, now }, policy)).toEqual({
      action: 'fail',
      maxAttempts: 11,
    });
  });

  it('backs off exponentially with full jitter, capped at the maximum', () => {
    expect(backoffMs(1, 1_000, 60_000, () => 0)).toBe(500);
    expect(backoffMs(1, 1_000, 60_000, () => 1)).toBe(1_000);
    expect(backoffMs(3, 1_000, 60_000, () => 1)).toBe(4_000);
    expect(backoffMs(20, 1_000, 60_000, () => 1)).toBe(60_000);
    expect(backoffMs(20, 1_000, 60_000, () => 0)).toBe(30_000);
  });
});

describe('failure classification', () => {
  const smtp = (transientFailure: boolean, smtpCode: number) =>
    new SmtpDeliveryError({ stage: 'RCPT_TO', transient: transientFailure, smtpCode, smtpResponse: `${smtpCode} no`, hint: 'h' });

  it('takes the SMTP failure’s own verdict: 4xx retried, 5xx permanent', () => {
    expect(classifyFailure(smtp(true, 451))).toMatchObject({
      errorCode: 'SMTP_DELIVERY_FAILED',
      permanent: false,
      unexpected: false,
      failure: { smtpCode: 451 },
    });
    expect(classifyFailure(smtp(false, 550))).toMatchObject({ permanent: true, unexpected: false, failure: { smtpCode: 550 } });
  });

  it('retries when no profile applies yet or a dependency is down; fails other domain errors', () => {
    expect(classifyFailure(EmailConfigErrors.NO_SMTP_CONFIG('none'))).toMatchObject({
      errorCode: 'NO_SMTP_CONFIG',
      permanent: false,
    });
    expect(classifyFailure(CommonErrors.DEPENDENCY_UNAVAILABLE('down'))).toMatchObject({ permanent: false });
    expect(classifyFailure(EmailConfigErrors.SMTP_SENDER_MISSING('no sender'))).toMatchObject({
      errorCode: 'SMTP_SENDER_MISSING',
      permanent: true,
      unexpected: false,
    });
    expect(classifyFailure(destinationRefused('port'))).toMatchObject({ errorCode: 'SMTP_DESTINATION_REFUSED', permanent: true });
    expect(classifyFailure(MailerErrors.INVALID_EMAIL_MESSAGE())).toMatchObject({ errorCode: 'INVALID_EMAIL_MESSAGE', permanent: true });
  });

  it('retries an unexpected error as INTERNAL and marks it for the error log', () => {
    expect(classifyFailure(new Error('boom'))).toEqual({ failure: null, errorCode: 'INTERNAL', permanent: false, unexpected: true });
  });
});

describe('failover to the secondary route', () => {
  const smtpFailure = (stage: SmtpStage, smtpCode: number | null, transientFailure: boolean): ClassifiedFailure =>
    classifyFailure(
      new SmtpDeliveryError({ stage, transient: transientFailure, smtpCode, smtpResponse: smtpCode ? `${smtpCode} x` : null, hint: 'h' }),
    );
  const connect = smtpFailure('CONNECT', null, true);
  const timeout = smtpFailure('TIMEOUT', null, true);
  const tls = smtpFailure('TLS', null, false);
  const auth = smtpFailure('AUTH', 535, false);
  const busy = smtpFailure('RCPT_TO', 451, true);
  const refused = smtpFailure('RCPT_TO', 550, false);
  const dataRefused = smtpFailure('DATA', 554, false);
  const withFailover = { ...policy, failoverAfterAttempts: 1 };
  const onPrimary = (outcome: ClassifiedFailure, attempt = 1, extra: Record<string, unknown> = {}) =>
    decide(
      { outcome: { ok: false, ...outcome }, attempt, retries: 3, now, route: 'primary', secondaryAvailable: true, ...extra },
      withFailover,
    );

  it('hands a transient failure of the primary (connect, timeout, 4xx) to the secondary at once, without backoff', () => {
    for (const outcome of [connect, timeout, busy]) {
      expect(onPrimary(outcome)).toEqual({ action: 'retry', at: now, maxAttempts: 4, route: 'secondary', failover: true });
    }
  });

  it('hands a broken route (TLS handshake, authentication, refused destination) over even though it is permanent', () => {
    expect(onPrimary(tls)).toMatchObject({ action: 'retry', route: 'secondary', failover: true });
    expect(onPrimary(auth)).toMatchObject({ action: 'retry', route: 'secondary', failover: true });
    expect(onPrimary(classifyFailure(destinationRefused('port')))).toMatchObject({ action: 'retry', route: 'secondary' });
  });

  it('never fails over a permanent refusal of the message (550 recipient, 554 data)', () => {
    expect(onPrimary(refused)).toEqual({ action: 'fail', maxAttempts: 4 });
    expect(onPrimary(dataRefused)).toEqual({ action: 'fail', maxAttempts: 4 });
    expect(onPrimary(refused, 1, { primaryFailing: true })).toEqual({ action: 'fail', maxAttempts: 4 });
  });

  it('waits for EMAIL_FAILOVER_AFTER_ATTEMPTS before handing a transient failure over, unless the primary is failing', () => {
    const after3 = { ...policy, failoverAfterAttempts: 3 };
    const input = (attempt: number, failing = false) => ({
      outcome: { ok: false as const, ...connect },
      attempt,
      retries: 3,
      now,
      route: 'primary' as const,
      secondaryAvailable: true,
      primaryFailing: failing,
    });
    expect(decide(input(2), after3, () => 0.5)).toMatchObject({ action: 'retry', route: 'primary', failover: false });
    expect(decide(input(3), after3)).toMatchObject({ action: 'retry', route: 'secondary', failover: true, at: now });
    expect(decide(input(1, true), after3)).toMatchObject({ action: 'retry', route: 'secondary', failover: true });
  });

  it('grants the secondary an attempt even when the primary used up its retries', () => {
    expect(
      decide({ outcome: { ok: false, ...connect }, attempt: 1, retries: 0, now, route: 'primary', secondaryAvailable: true }, withFailover),
    ).toEqual({
      action: 'retry',
      at: now,
      maxAttempts: 2,
      route: 'secondary',
      failover: true,
    });
  });

  it('retries on the secondary with backoff and its retries, and never hands back to the primary', () => {
    const onSecondary = (attempt: number) =>
      decide(
        { outcome: { ok: false, ...connect }, attempt, retries: 2, now, route: 'secondary', secondaryAvailable: true },
        withFailover,
        () => 0.5,
      );
    expect(onSecondary(2)).toMatchObject({ action: 'retry', route: 'secondary', failover: false, at: new Date(now.getTime() + 1_500) });
    expect(onSecondary(3)).toEqual({ action: 'fail', maxAttempts: 3 });
  });

  it('without a secondary behaves as before', () => {
    expect(
      decide(
        { outcome: { ok: false, ...connect }, attempt: 1, retries: 0, now, route: 'primary', secondaryAvailable: false },
        withFailover,
      ),
    ).toEqual({
      action: 'fail',
      maxAttempts: 1,
    });
    expect(onPrimary(connect, 1, { secondaryAvailable: false })).toMatchObject({ action: 'retry', route: 'primary', failover: false });
  });

  it('takes the primary as failing only for a recent route failure newer than its last success', () => {
    const at = (ms: number) => new Date(now.getTime() - ms);
    const health = (failureMsAgo: number | null, successMsAgo: number | null, stage = 'CONNECT') => ({
      lastFailureAt: failureMsAgo === null ? null : at(failureMsAgo),
      lastSuccessAt: successMsAgo === null ? null : at(successMsAgo),
      lastFailureStage: stage,
      lastFailureErrorCode: 'SMTP_DELIVERY_FAILED',
    });
    expect(primaryFailing(null, now, 60_000)).toBe(false);
    expect(primaryFailing(health(1_000, null), now, 60_000)).toBe(true);
    expect(primaryFailing(health(1_000, 5_000), now, 60_000)).toBe(true);
    expect(primaryFailing(health(5_000, 1_000), now, 60_000)).toBe(false);
    expect(primaryFailing(health(61_000, null), now, 60_000)).toBe(false);
    // A refused recipient says nothing about the route.
    expect(primaryFailing(health(1_000, null, 'RCPT_TO'), now, 60_000)).toBe(false);
    expect(primaryFailing(health(1_000, null, 'AUTH'), now, 60_000)).toBe(true);
  });

  it('routes an attempt by the job, by the primary’s health, and to the primary when the secondary is gone', () => {
    expect(routeForAttempt({ jobRoute: 'primary', secondaryAvailable: true, primaryFailing: false })).toBe('primary');
    expect(routeForAttempt({ jobRoute: 'primary', secondaryAvailable: true, primaryFailing: true })).toBe('secondary');
    expect(routeForAttempt({ jobRoute: 'secondary', secondaryAvailable: true, primaryFailing: false })).toBe('secondary');
    expect(routeForAttempt({ jobRoute: 'secondary', secondaryAvailable: false, primaryFailing: true })).toBe('primary');
  });
});
