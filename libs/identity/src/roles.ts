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
  'email:send',
  'email:read',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

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
