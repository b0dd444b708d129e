import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  describePrincipal,
  isServiceAccountToken,
  Permission,
  Principal,
  principalHasPermission,
  ServiceAccountService,
  SessionService,
} from '@mailstrata/identity';
import type { FastifyRequest } from 'fastify';
import { IS_PUBLIC, REQUIRED_PERMISSIONS } from './auth.decorators';
import { HttpErrors } from './errors';

export const SESSION_COOKIE = 'rsid';

type Targets = Parameters<Reflector['getAllAndOverride']>[1];

interface RouteAccess {
  isPublic: boolean;
  permissions: readonly Permission[];
}

export interface PresentedToken {
  token: string;
  from: 'bearer' | 'cookie';
}

export function readSessionToken(request: FastifyRequest): PresentedToken | undefined {
  const auth = request.headers.authorization;
  if (typeof auth === 'string' && /^Bearer\s+/i.test(auth)) return { token: auth.replace(/^Bearer\s+/i, '').trim(), from: 'bearer' };
  const cookie = request.cookies?.[SESSION_COOKIE];
  return cookie ? { token: cookie, from: 'cookie' } : undefined;
}

/**
 * Every route needs a caller unless marked @Public(): a session (cookie or Bearer) or a service-account
 * token (Bearer only, recognised by its prefix); then the caller must hold the route's permissions.
 */
@Injectable()
export class SessionGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly sessions: SessionService,
    private readonly serviceAccounts: ServiceAccountService,
  ) {}

  /** Per route handler: its @Public() mark and required permissions (decorators never change at run time). */
  private readonly routes = new WeakMap<object, RouteAccess>();

  private accessOf(context: ExecutionContext): RouteAccess {
    const handler = context.getHandler();
    let access = this.routes.get(handler);
    if (access === undefined) {
      const targets: Targets = [handler, context.getClass()];
      access = {
        isPublic: this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets) === true,
        permissions: this.reflector.getAllAndOverride<Permission[]>(REQUIRED_PERMISSIONS, targets) ?? [],
      };
      this.routes.set(handler, access);
    }
    return access;
  }

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const access = this.accessOf(context);
    if (access.isPublic) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const presented = readSessionToken(request);
    if (!presented) {
      throw HttpErrors.UNAUTHENTICATED();
    }
    const { token, from } = presented;
    // Cached callers answer synchronously: no promise on the hot path of every authenticated request.
    let principal: Principal | null | Promise<Principal | null>;
    if (isServiceAccountToken(token)) {
      // A service account has no cookie: a token in one was never issued as such.
      if (from === 'cookie') throw HttpErrors.SESSION_INVALID();
      principal = this.serviceAccounts.authenticate(token);
    } else {
      principal = this.sessions.authenticate(token);
    }
    return principal instanceof Promise ? principal.then((p) => this.admit(request, p, access)) : this.admit(request, principal, access);
  }

  private admit(request: FastifyRequest, principal: Principal | null, access: RouteAccess): boolean {
    if (!principal) {
      throw HttpErrors.SESSION_INVALID();
    }
    request.principal = principal;
    for (const permission of access.permissions) {
      if (!principalHasPermission(principal, permission)) {
        throw HttpErrors.PERMISSION_DENIED(`This needs the ${permission} permission, which ${describePrincipal(principal)} does not have.`);
      }
    }
    return true;
  }
}
