import { defineAuditEvent } from '@mailstrata/audit';

export const LoginSucceeded = defineAuditEvent('auth.login.succeeded', ['session_id']);
export const LoginFailed = defineAuditEvent('auth.login.failed', ['reason']);
export const LoggedOut = defineAuditEvent('auth.logout', ['session_id']);
export const PartnerCreated = defineAuditEvent('partner.created', ['name']);
export const OrganizationCreated = defineAuditEvent('organization.created', ['name']);
export const SmtpOverrideChanged = defineAuditEvent('organization.smtp_override.changed', ['enabled', 'previous']);
export const ServiceAccountCreated = defineAuditEvent('service_account.created', ['name', 'permissions']);
export const ServiceAccountRevoked = defineAuditEvent('service_account.revoked', ['name']);
export const UserCreated = defineAuditEvent('account.user.created', ['email', 'role', 'status', 'bootstrap']);
