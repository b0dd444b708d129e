import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { actorFor, Actor, Permission, Principal } from '@mailstrata/identity';
import type { FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

export const IS_PUBLIC = 'mailstrata:public';
export const REQUIRED_PERMISSIONS = 'mailstrata:permissions';

/** No session needed (sign-in, health). Everything else requires one. */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/** The caller's role must grant every listed permission. */
export const RequirePermissions = (...permissions: Permission[]) => SetMetadata(REQUIRED_PERMISSIONS, permissions);

export function requestMeta(request: FastifyRequest): { ip: string | null; userAgent: string | null } {
  const ua = request.headers['user-agent'];
  return { ip: request.ip ?? null, userAgent: typeof ua === 'string' ? ua : null };
}

/** The signed-in caller plus where the request came from, for services and audit events. */
export const CurrentActor = createParamDecorator((_: unknown, ctx: ExecutionContext): Actor & { principal: Principal } => {
  const request = ctx.switchToHttp().getRequest<FastifyRequest>();
  if (!request.principal) throw new Error('CurrentActor used on a public route');
  return actorFor(request.principal, requestMeta(request)) as Actor & { principal: Principal };
});
