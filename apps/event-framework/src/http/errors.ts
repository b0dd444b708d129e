import { defineErrors, ErrorCodeOf } from '@mailstrata/common';

/** Error codes the HTTP boundary itself answers with: sessions, permissions, bodies, probes, the console's files. */
export const HttpErrors = defineErrors({
  UNAUTHENTICATED: {
    kind: 'unauthenticated',
    detail: 'Sign in first: send the rsid session cookie or an Authorization: Bearer token.',
  },
  SESSION_INVALID: {
    kind: 'unauthenticated',
    detail: 'The session or service-account token is unknown, expired or revoked. Sign in again, or use a live token.',
  },
  PERMISSION_DENIED: 'forbidden',
  CROSS_SITE_REQUEST: {
    kind: 'forbidden',
    detail: 'State-changing requests from other sites are refused. Add the console origin to ALLOWED_ORIGINS if it is yours.',
  },
  PARTNER_SCOPE_REQUIRED: {
    kind: 'forbidden',
    detail: 'The partner audit log is for partner and controller users; use /event/v1/auditlog.',
  },
  ORG_ID_REQUIRED: { kind: 'invalid', detail: 'Name the organization whose audit log to read.' },
  BODY_REQUIRED: { kind: 'invalid', detail: 'This request needs a JSON object body.' },
  BODY_NOT_OBJECT: { kind: 'invalid', detail: 'The request body must be a JSON object.' },
  BODY_TOO_DEEP: 'invalid',
  MALFORMED_JSON: { kind: 'invalid', detail: 'The request body is not valid JSON.' },
  CONSOLE_NOT_BUILT: { kind: 'not_found', detail: 'The ops console is not built; run `npm run build` (it builds dist/console).' },
  SHUTTING_DOWN: { kind: 'unavailable', detail: 'this replica is shutting down and takes no new traffic' },
});
export type HttpErrorCode = ErrorCodeOf<typeof HttpErrors>;
