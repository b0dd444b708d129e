import { DomainError } from '@mailstrata/common';
import { DeliveryErrors } from './errors';
import { EmailVerificationService, restrictToForeignRoute } from './verification';

describe('DeliveryErrors', () => {
  it('refuses a custom test through a foreign route as TEST_EMAIL_ROUTE_NOT_OWNED, naming the fields and the route', () => {
    let caught: unknown;
    try {
      restrictToForeignRoute(
        { mode: 'send', senderEmail: undefined, recipientEmail: 'other@example.com', subject: 'hi', body: undefined },
        { level: 'org', email: 'me@example.com' },
        'partner',
      );
    } catch (error) {
      caught = error;
    }
    expect(DeliveryErrors.TEST_EMAIL_ROUTE_NOT_OWNED.is(caught)).toBe(true);
    const error = caught as DomainError;
    expect({ kind: error.kind, extensions: error.extensions, rules: error.errors.map((e) => `${e.field}:${e.rule}`) }).toEqual({
      kind: 'forbidden',
      extensions: { route_source: 'partner' },
      rules: ['recipient_email:own_address_only', 'subject:not_allowed_on_foreign_route'],
    });
    expect(error.detail).toMatch(/^This test goes through the partner's SMTP route, which you do not own/);
  });

  it('gives INVALID_SCOPE its 400 kind and text', () => {
    expect(DeliveryErrors.INVALID_SCOPE()).toMatchObject({
      code: 'INVALID_SCOPE',
      kind: 'invalid',
      detail: 'An org scope needs its partner id.',
    });
  });

  it('answers a tenant over its test-email budget with RATE_LIMITED and retry_after', async () => {
    // The limiter is Postgres-backed; only its answer matters here.
    const service = Object.create(EmailVerificationService.prototype) as EmailVerificationService;
    Object.assign(service, { limiter: { take: () => Promise.resolve(7) } });
    await expect(service.checkRateLimit({ partnerId: 'p', orgId: null })).rejects.toMatchObject({
      code: 'RATE_LIMITED',
      kind: 'rate_limited',
      detail: 'Too many test emails for this tenant; try again in 7 s.',
      extensions: { retry_after: 7 },
    });
  });
});
