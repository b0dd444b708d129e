import { defineErrors, ErrorCodeOf } from '@mailstrata/common';

/** Error codes of the audit log's read side. */
export const AuditErrors = defineErrors({
  INVALID_AUDIT_QUERY: { kind: 'invalid', detail: 'The audit log query has invalid parameters.' },
  INVALID_CURSOR: { kind: 'invalid', detail: 'The cursor is not one this service issued.' },
  AUDIT_SEARCH_UNAVAILABLE: 'unavailable',
});
export type AuditErrorCode = ErrorCodeOf<typeof AuditErrors>;
