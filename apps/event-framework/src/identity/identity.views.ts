/** Explicit response mappers: a new column can never reach an API answer by accident. */
import {
  OrganizationEntity,
  PartnerEntity,
  Principal,
  principalPermissions,
  scopeLevelOf,
  ServiceAccountEntity,
  UserEntity,
} from '@mailstrata/identity';

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

export const meView = (p: Principal) => {
  const scope = { level: scopeLevelOf(p), partner_id: p.partnerId, org_id: p.orgId };
  if (p.kind === 'service_account') {
    return {
      kind: p.kind,
      id: p.serviceAccountId,
      name: p.name,
      email: null,
      role: null,
      scope,
      permissions: [...p.permissions],
      session_expires_at: null,
    };
  }
  return {
    kind: p.kind,
    id: p.userId,
    email: p.email,
    role: p.role,
    scope,
    permissions: principalPermissions(p),
    session_expires_at: p.sessionExpiresAt.toISOString(),
  };
};

/** A service account as lists show it: never its token, never its hash. */
export const serviceAccountView = (a: ServiceAccountEntity) => ({
  id: a.id,
  name: a.name,
  partner_id: a.partnerId,
  permissions: a.permissions,
  created_at: a.createdAt.toISOString(),
  created_by: { id: a.createdById, email: a.createdByName },
  last_used_at: a.lastUsedAt?.toISOString() ?? null,
});
