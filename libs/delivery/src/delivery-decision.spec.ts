import { CommonErrors } from '@mailstrata/common';
import { EmailConfigErrors } from '@mailstrata/email-config';
import { destinationRefused, MailerErrors, SmtpDeliveryError } from '@mailstrata/mailer';
import { backoffMs, classifyFailure, ClassifiedFailure, decide } from './delivery-decision';

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
    expect(decision).toEqual({ action: 'retry', at: new Date(now.getTime() + 750), maxAttempts: 4 });
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
