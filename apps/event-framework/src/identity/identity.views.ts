/** Explicit response mappers: a new column can never reach an API answer by accident. */
import { OrganizationEntity, PartnerEntity, permissionsOf, Principal, scopeLevelOf, UserEntity } from '@mailstrata/identity';

export const partnerView = (p: PartnerEntity) => ({ id: p.id, name: p.name, created_at: p.createdAt.toISOString() });

export const organizationView = (o: OrganizationEntity) => ({
  id: o.id,
  partner_id: o.partnerId,
  name: o.name,
  smtp_override_enabled: o.smtpOverrideEnabled,
  created_at: o.createdAt.toISOString(),
  updated_at: o.updatedAt.toISOString(),
});

export const userView = (u: UserEntity) => ({
  id: u.id,
  email: u.email,
  role: u.role,
  partner_id: u.partnerId,
  org_id: u.orgId,
  status: u.status,
  created_at: u.createdAt.toISOString(),
});

export const meView = (p: Principal) => ({
  id: p.userId,
  email: p.email,
  role: p.role,
  scope: { level: scopeLevelOf(p), partner_id: p.partnerId, org_id: p.orgId },
  permissions: permissionsOf(p.role),
  session_expires_at: p.sessionExpiresAt.toISOString(),
});
