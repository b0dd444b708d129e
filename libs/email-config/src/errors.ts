import { defineErrors, ErrorCodeOf } from '@mailstrata/common';

/** Error codes of SMTP profiles and their resolution. */
export const EmailConfigErrors = defineErrors({
  /**
   * No level (org, partner, controller) has a profile: the scope's state refuses what was asked (a send,
   * a resolution) until one is configured; a queued delivery waits for one rather than failing.
   */
  NO_SMTP_CONFIG: 'conflict',
  SMTP_PROFILE_NOT_FOUND: 'not_found',
  /** The scope has no version of that number (a foreign scope's versions look exactly like missing ones). */
  SMTP_PROFILE_VERSION_NOT_FOUND: 'not_found',
  NOTIFICATION_RECIPIENTS_NOT_FOUND: { kind: 'not_found', detail: 'This scope has no notification recipients.' },
  SCOPE_REQUIRED: { kind: 'invalid', detail: 'A controller-level caller must name the scope with ?partner_id= or ?org_id=.' },
  SMTP_OVERRIDE_DISABLED: {
    kind: 'forbidden',
    detail: 'Organization-level SMTP configuration is not enabled for this organization. Ask your partner administrator to enable it.',
  },
  SECRET_REQUIRED: { kind: 'invalid', detail: 'A secret is missing for this SMTP destination.' },
  /**
   * A saved profile's secret reference names a file that cannot be read now (removed, empty, moved out
   * of the tenant's directory). The profile is not wrong as such: the operator's mount is, and may come
   * back, so a delivery retries it (stage CONFIG) rather than failing at once.
   */
  SECRET_REF_UNAVAILABLE: {
    kind: 'conflict',
    detail: 'A secret reference of the SMTP profile cannot be read; check the file the operator mounts for it.',
  },
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
