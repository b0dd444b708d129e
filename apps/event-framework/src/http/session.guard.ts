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

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const targets: Targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
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
    return principal instanceof Promise ? principal.then((p) => this.admit(request, p, targets)) : this.admit(request, principal, targets);
  }

  private admit(request: FastifyRequest, principal: Principal | null, targets: Targets): boolean {
    if (!principal) {
      throw HttpErrors.SESSION_INVALID();
    }
    request.principal = principal;
    for (const permission of this.reflector.getAllAndOverride<Permission[]>(REQUIRED_PERMISSIONS, targets) ?? []) {
      if (!principalHasPermission(principal, permission)) {
        throw HttpErrors.PERMISSION_DENIED(`This needs the ${permission} permission, which ${describePrincipal(principal)} does not have.`);
      }
    }
    return true;
  }
}
