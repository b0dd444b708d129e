import { defineAuditEvent } from '@mailstrata/audit';

export const PasswordSetupRequested = defineAuditEvent('account.password_setup.requested', ['reason']);
export const PasswordSetupCompleted = defineAuditEvent('account.password_setup.completed', ['email']);
/** Whether an account matched is recorded here, never told to the caller; the token never is. */
export const PasswordResetRequested = defineAuditEvent('account.password_reset.requested', ['account_matched', 'reason']);
export const PasswordResetCompleted = defineAuditEvent('account.password_reset.completed', ['email', 'sessions_revoked']);
