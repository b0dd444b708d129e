import { defineAuditEvent } from '@mailstrata/audit';

/** SYSTEMAUDIT events of SMTP profile changes: names of changed fields, never secret values. */
const DETAILS = ['scope', 'route', 'version', 'changed_fields', 'host', 'port', 'tls_mode', 'auth_type'] as const;
export const EmailConfigCreated = defineAuditEvent('email.config.created', DETAILS);
export const EmailConfigUpdated = defineAuditEvent('email.config.updated', DETAILS);
export const EmailConfigDeleted = defineAuditEvent('email.config.deleted', ['scope', 'route', 'version', 'host']);
