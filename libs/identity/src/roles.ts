/**
 * Roles and what they may do. Permission names follow the seed (`system_setting:modify`); a guard in
 * the HTTP layer checks them, and every service additionally scopes its queries to the caller's tenant.
 */
export const ROLES = ['controller_admin', 'partner_admin', 'org_admin', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = [
  'partner:create',
  'partner:read',
  'organization:create',
  'organization:read',
  'organization:modify',
  'user:create',
  'system_setting:read',
  'system_setting:modify',
  'audit:read',
  'service_account:manage',
  'email:send',
  'email:read',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

/**
 * What a service account may hold: sending system emails, reading their delivery log, read-only views
 * of tenants, settings and audit, and creating partners (a billing system provisioning a new tenant).
 * Users, organizations and SMTP profiles stay with people, so every such change names someone who
 * signed in.
 */
export const SERVICE_ACCOUNT_PERMISSIONS = [
  'email:send',
  'email:read',
  'partner:create',
  'partner:read',
  'organization:read',
  'system_setting:read',
  'audit:read',
] as const satisfies readonly Permission[];
export type ServiceAccountPermission = (typeof SERVICE_ACCOUNT_PERMISSIONS)[number];

/** Granted to a service account by any role that may manage them, whether or not the role holds them itself. */
const MACHINE_ONLY_GRANTS: ReadonlySet<Permission> = new Set<Permission>(['email:send', 'email:read']);

const ROLE_PERMISSIONS: Record<Role, ReadonlySet<Permission>> = {
  controller_admin: new Set(PERMISSIONS),
  partner_admin: new Set<Permission>([
    'partner:read',
    'organization:create',
    'organization:read',
    'organization:modify',
    'user:create',
    'system_setting:read',
    'system_setting:modify',
    'audit:read',
    'service_account:manage',
    'email:send',
    'email:read',
  ]),
  org_admin: new Set<Permission>([
    'organization:read',
    'user:create',
    'system_setting:read',
    'system_setting:modify',
    'audit:read',
    'email:send',
    'email:read',
  ]),
  auditor: new Set<Permission>(['organization:read', 'system_setting:read', 'audit:read', 'email:read']),
};

export function permissionsOf(role: Role): Permission[] {
  return PERMISSIONS.filter((p) => ROLE_PERMISSIONS[role].has(p));
}

export function hasPermission(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].has(permission);
}

/** Whether a role may put this permission on a service account it creates. */
export function canGrantToServiceAccount(creator: Role, permission: Permission): boolean {
  if (!hasPermission(creator, 'service_account:manage')) return false;
  if (!(SERVICE_ACCOUNT_PERMISSIONS as readonly Permission[]).includes(permission)) return false;
  return MACHINE_ONLY_GRANTS.has(permission) || hasPermission(creator, permission);
}

/** Which roles a creator may hand out: never more than its own level. */
export function assignableRoles(creator: Role): readonly Role[] {
  switch (creator) {
    case 'controller_admin':
      return ROLES;
    case 'partner_admin':
      return ['partner_admin', 'org_admin', 'auditor'];
    case 'org_admin':
      return ['org_admin', 'auditor'];
    case 'auditor':
      return [];
  }
}
