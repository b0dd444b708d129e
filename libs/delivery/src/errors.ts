import { defineErrors, ErrorCodeOf } from '@mailstrata/common';

/** Error codes of durable delivery: the send intake and test emails. */
export const DeliveryErrors = defineErrors({
  /** The same Idempotency-Key (or event id) came with another request. */
  IDEMPOTENCY_KEY_REUSED: {
    kind: 'conflict',
    detail: 'This Idempotency-Key was used with a different request; use a new key for a new message.',
  },
  INVALID_EMAIL_MESSAGE: { kind: 'invalid', detail: 'The message has invalid fields.' },
  /** A test through a route the caller does not own asked for more than the fixed test email. */
  TEST_EMAIL_ROUTE_NOT_OWNED: 'forbidden',
  INVALID_SCOPE: { kind: 'invalid', detail: 'An org scope needs its partner id.' },
});
export type DeliveryErrorCode = ErrorCodeOf<typeof DeliveryErrors>;
