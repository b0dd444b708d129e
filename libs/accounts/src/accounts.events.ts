import { defineAuditEvent } from '@mailstrata/audit';

export const PasswordSetupRequested = defineAuditEvent('account.password_setup.requested', ['reason']);
export const PasswordSetupCompleted = defineAuditEvent('account.password_setup.completed', ['email']);
