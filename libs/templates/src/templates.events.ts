import { defineAuditEvent } from '@mailstrata/audit';

// Small on purpose: which kind, which level, what changed and how big, never the template itself.
export const EmailTemplateUpdated = defineAuditEvent('email.template.updated', [
  'kind',
  'level',
  'version',
  'created',
  'changed_fields',
  'subject_bytes',
  'text_bytes',
  'html_bytes',
]);
export const EmailTemplateDeleted = defineAuditEvent('email.template.deleted', ['kind', 'level', 'version']);
/** A tenant's template failed at send time and the built-in one was used instead (for `message_id`, when a message). */
export const EmailTemplateFallback = defineAuditEvent('email.template.fallback', [
  'message_id',
  'kind',
  'level',
  'version',
  'part',
  'reason',
  'line',
  'column',
]);
export const EmailBrandingUpdated = defineAuditEvent('email.branding.updated', ['level', 'version', 'created', 'changed_fields']);
export const EmailBrandingDeleted = defineAuditEvent('email.branding.deleted', ['level', 'version']);
