import type { AuditActor } from '@mailstrata/audit';
import { hasPermission, permissionsOf, type Permission, type Role } from './roles';

/** A signed-in person, as the session cache holds it. */
export interface UserPrincipal {
  kind: 'user';
  userId: string;
  email: string;
  role: Role;
  partnerId: string | null;
  orgId: string | null;
  sessionId: string;
  sessionExpiresAt: Date;
}

/**
 * A machine caller holding a service-account token: platform-wide (no partner) or one partner's. It has
 * no role and no session; its permissions are the ones it was created with.
 */
export interface ServiceAccountPrincipal {
  kind: 'service_account';
  serviceAccountId: string;
  name: string;
  partnerId: string | null;
  /** Service accounts are never scoped to one organization. */
  orgId: null;
  permissions: readonly Permission[];
}

/** Who calls: a person with a session or a service account with a token. */
export type Principal = UserPrincipal | ServiceAccountPrincipal;

/** Who acts, with where from: what services receive to scope work and record audit events. */
export interface Actor extends AuditActor {
  principal: Principal | null;
  ip: string | null;
  userAgent: string | null;
}

export type ScopeLevel = 'controller' | 'partner' | 'org';

export function scopeLevelOf(principal: Pick<Principal, 'partnerId' | 'orgId'>): ScopeLevel {
  if (principal.orgId) return 'org';
  if (principal.partnerId) return 'partner';
  return 'controller';
}

export function principalPermissions(principal: Principal): readonly Permission[] {
  return principal.kind === 'user' ? permissionsOf(principal.role) : principal.permissions;
}

export function principalHasPermission(principal: Principal, permission: Permission): boolean {
  return principal.kind === 'user' ? hasPermission(principal.role, permission) : principal.permissions.includes(permission);
}

/** Whether the caller is a signed-in controller administrator (never true of a service account). */
export function isControllerAdmin(principal: Principal): boolean {
  return principal.kind === 'user' && principal.role === 'controller_admin';
}

/** How a principal is named in messages: a role, or "service account <name>". */
export function describePrincipal(principal: Principal): string {
  return principal.kind === 'user' ? `the ${principal.role} role` : `service account ${JSON.stringify(principal.name)}`;
}

export function actorFor(principal: Principal | null, request: { ip?: string | null; userAgent?: string | null }): Actor {
  const meta = { ip: request.ip ?? null, userAgent: request.userAgent ?? null };
  if (principal?.kind === 'service_account') {
    return {
      principal,
      type: 'service_account',
      id: principal.serviceAccountId,
      name: principal.name,
      email: null,
      role: null,
      ...meta,
    };
  }
  return {
    principal,
    type: principal ? 'user' : null,
    id: principal?.userId ?? null,
    email: principal?.email ?? null,
    role: principal?.role ?? null,
    ...meta,
  };
}

export interface RequestMeta {
  ip: string | null;
  userAgent: string | null;
}

/** Audit attribution for what users do as themselves without a session yet (sign-in, password setup). */
export function actingAsSelf(
  user: { id: string; email: string; role: string; partnerId: string | null; orgId: string | null },
  meta: RequestMeta,
): { actor: AuditActor; partnerId: string | null; orgId: string | null } {
  return {
    actor: { type: 'user', id: user.id, email: user.email, role: user.role, ip: meta.ip, userAgent: meta.userAgent },
    partnerId: user.partnerId,
    orgId: user.orgId,
  };
}
