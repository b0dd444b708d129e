import { defineAuditEvent } from '@mailstrata/audit';

/** SYSTEMAUDIT events of SMTP profile changes: names of changed fields, never secret values. */
const DETAILS = ['scope', 'route', 'version', 'based_on_version', 'changed_fields', 'host', 'port', 'tls_mode', 'auth_type'] as const;
export const EmailConfigCreated = defineAuditEvent('email.config.created', DETAILS);
export const EmailConfigUpdated = defineAuditEvent('email.config.updated', DETAILS);
export const EmailConfigDeleted = defineAuditEvent('email.config.deleted', ['scope', 'route', 'version', 'host']);
/** A version saved as a draft: not in force until activated. */
export const EmailConfigDraftCreated = defineAuditEvent('email.config.draft_created', DETAILS);
/** A draft or an earlier version put in force (`rollback`: it had been in force before). */
export const EmailConfigActivated = defineAuditEvent('email.config.activated', [
  'scope',
  'route',
  'version',
  'from_version',
  'previous_state',
  'rollback',
  'host',
  'port',
  'tls_mode',
  'auth_type',
]);
