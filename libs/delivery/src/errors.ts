import { defineErrors, ErrorCodeOf } from '@mailstrata/common';

/** Error codes of durable delivery and test emails. */
export const DeliveryErrors = defineErrors({
  /** A test through a route the caller does not own asked for more than the fixed test email. */
  TEST_EMAIL_ROUTE_NOT_OWNED: 'forbidden',
  INVALID_SCOPE: { kind: 'invalid', detail: 'An org scope needs its partner id.' },
});
export type DeliveryErrorCode = ErrorCodeOf<typeof DeliveryErrors>;
