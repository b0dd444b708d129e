import { defineErrors, ErrorCodeOf } from '@mailstrata/common';

/**
 * Error codes of the SMTP transport. `SMTP_DELIVERY_FAILED` and `SMTP_DESTINATION_REFUSED` are thrown as
 * their subclasses (`SmtpDeliveryError` with the failed stage, `DestinationRefusedError` with the refused
 * part); `is` recognises either, `instanceof` the subclass when its data is needed.
 */
export const MailerErrors = defineErrors({
  SMTP_DELIVERY_FAILED: { kind: 'bad_gateway', detail: 'The SMTP conversation failed.' },
  // One text whatever the reason, so the answer tells a prober nothing about the network behind a name.
  SMTP_DESTINATION_REFUSED: {
    kind: 'unprocessable',
    detail:
      'This SMTP destination is not allowed from this installation. Public SMTP servers on ports 25, 465, 587 and 2525 are; ' +
      'an operator can allow more networks and ports (SMTP_ALLOWED_NETWORKS, SMTP_ALLOWED_PORTS).',
  },
  INVALID_EMAIL_MESSAGE: { kind: 'invalid', detail: 'The message has invalid header fields.' },
});
export type MailerErrorCode = ErrorCodeOf<typeof MailerErrors>;
