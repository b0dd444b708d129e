import { defineAuditEvent } from '@mailstrata/audit';

/**
 * The fate of every system email. Details name the message, its template and producer, the job, the
 * recipient and where it went; never the subject's variables, the body, a link or a credential.
 */
const MESSAGE = ['message_id', 'template', 'producer_type', 'producer_id', 'producer_name'] as const;
const JOB = ['job_id', 'kind', 'recipient', ...MESSAGE] as const;
/** Where an attempt went: the route (primary or secondary), the level that supplied it, its host and profile version. */
const DEST = ['route', 'source', 'host', 'port', 'tls_mode', 'insecure', 'profile_version'] as const;
const FAILURE = ['attempt', 'max_attempts', 'stage', 'smtp_code', 'error_code'] as const;

/** A message handed over by a producer (send API, event intake): one per message, before its per-recipient jobs. */
export const EmailMessageAccepted = defineAuditEvent('email.message.accepted', [
  ...MESSAGE,
  'recipients',
  'route_level',
  'route_profile_id',
  'route_version',
]);
export const EmailQueued = defineAuditEvent('email.queued', [...JOB]);
export const EmailSent = defineAuditEvent('email.sent', [...JOB, ...DEST, 'attempt', 'smtp_message_id', 'smtp_code']);
export const EmailRetrying = defineAuditEvent('email.retrying', [...JOB, ...DEST, ...FAILURE, 'next_attempt_at', 'next_route']);
export const EmailFailed = defineAuditEvent('email.failed', [...JOB, ...DEST, ...FAILURE, 'permanent']);
