import { defineErrors, ErrorCodeOf } from '@mailstrata/common';

/** Error codes of SMTP profiles and their resolution. */
export const EmailConfigErrors = defineErrors({
  /**
   * No level (org, partner, controller) has a profile: the scope's state refuses what was asked (a send,
   * a resolution) until one is configured; a queued delivery waits for one rather than failing.
   */
  NO_SMTP_CONFIG: 'conflict',
  SMTP_PROFILE_NOT_FOUND: 'not_found',
  SCOPE_REQUIRED: { kind: 'invalid', detail: 'A controller-level caller must name the scope with ?partner_id= or ?org_id=.' },
  SMTP_OVERRIDE_DISABLED: {
    kind: 'forbidden',
    detail: 'Organization-level SMTP configuration is not enabled for this organization. Ask your partner administrator to enable it.',
  },
  SECRET_REQUIRED: { kind: 'invalid', detail: 'A secret is missing for this SMTP destination.' },
  /** A secondary route is a fallback for the scope's primary: without a primary it would never be used. */
  PRIMARY_ROUTE_REQUIRED: {
    kind: 'conflict',
    detail: 'This scope has no primary SMTP profile: save the primary route before its secondary (?route=secondary).',
  },
  /** Deleting the primary would leave a secondary that is never used (and the level above would silently take over). */
  SECONDARY_ROUTE_EXISTS: {
    kind: 'conflict',
    detail: 'This scope has a secondary SMTP route: delete it (?route=secondary) before the primary.',
  },
  SMTP_SENDER_MISSING: {
    kind: 'invalid',
    detail:
      'No sender applies: the SMTP profile names no sender_email, its username is not an address, FW_EVENT_SMTP_SENDER_EMAIL is unset and the host of PUBLIC_URL cannot name no-reply@<host>.',
  },
});
export type EmailConfigErrorCode = ErrorCodeOf<typeof EmailConfigErrors>;
