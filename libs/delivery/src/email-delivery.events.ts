import { defineAuditEvent } from '@mailstrata/audit';

/**
 * The fate of every system email. Details name the job, the recipient and where it went; never the
 * subject's variables, the body, a link or a credential.
 */
const JOB = ['job_id', 'kind', 'recipient'] as const;
const DEST = ['source', 'host', 'port', 'tls_mode', 'insecure'] as const;
const FAILURE = ['attempt', 'max_attempts', 'stage', 'smtp_code', 'error_code'] as const;

export const EmailQueued = defineAuditEvent('email.queued', [...JOB]);
export const EmailSent = defineAuditEvent('email.sent', [...JOB, ...DEST, 'attempt', 'message_id', 'smtp_code']);
export const EmailRetrying = defineAuditEvent('email.retrying', [...JOB, ...DEST, ...FAILURE, 'next_attempt_at']);
export const EmailFailed = defineAuditEvent('email.failed', [...JOB, ...DEST, ...FAILURE, 'permanent']);
