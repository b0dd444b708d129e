import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { hasPermission, Permission, Principal, SessionService } from '@mailstrata/identity';
import type { FastifyRequest } from 'fastify';
import { IS_PUBLIC, REQUIRED_PERMISSIONS } from './auth.decorators';
import { HttpErrors } from './errors';

export const SESSION_COOKIE = 'rsid';

type Targets = Parameters<Reflector['getAllAndOverride']>[1];

export function readSessionToken(request: FastifyRequest): string | undefined {
  const auth = request.headers.authorization;
  if (typeof auth === 'string' && /^Bearer\s+/i.test(auth)) return auth.replace(/^Bearer\s+/i, '').trim();
  const cookie = request.cookies?.[SESSION_COOKIE];
  return cookie || undefined;
}

/** Every route needs a valid session unless marked @Public(); then the role must hold the permissions. */
@Injectable()
export class SessionGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly sessions: SessionService,
  ) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const targets: Targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const token = readSessionToken(request);
    if (!token) {
      throw HttpErrors.UNAUTHENTICATED();
    }
    // Cached sessions answer synchronously: no promise on the hot path of every signed-in request.
    const principal = this.sessions.authenticate(token);
    return principal instanceof Promise ? principal.then((p) => this.admit(request, p, targets)) : this.admit(request, principal, targets);
  }

  private admit(request: FastifyRequest, principal: Principal | null, targets: Targets): boolean {
    if (!principal) {
      throw HttpErrors.SESSION_INVALID();
    }
    request.principal = principal;
    for (const permission of this.reflector.getAllAndOverride<Permission[]>(REQUIRED_PERMISSIONS, targets) ?? []) {
      if (!hasPermission(principal.role, permission)) {
        throw HttpErrors.PERMISSION_DENIED(`This needs the ${permission} permission, which the ${principal.role} role does not have.`);
      }
    }
    return true;
  }
}
