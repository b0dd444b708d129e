import type { AuditActor } from '@mailstrata/audit';
import type { Role } from './roles';

/** The signed-in caller, as the session cache holds it. */
export interface Principal {
  userId: string;
  email: string;
  role: Role;
  partnerId: string | null;
  orgId: string | null;
  sessionId: string;
  sessionExpiresAt: Date;
}

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

export function actorFor(principal: Principal | null, request: { ip?: string | null; userAgent?: string | null }): Actor {
  return {
    principal,
    id: principal?.userId ?? null,
    email: principal?.email ?? null,
    role: principal?.role ?? null,
    ip: request.ip ?? null,
    userAgent: request.userAgent ?? null,
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
    actor: { id: user.id, email: user.email, role: user.role, ip: meta.ip, userAgent: meta.userAgent },
    partnerId: user.partnerId,
    orgId: user.orgId,
  };
}
