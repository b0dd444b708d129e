import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { FieldError, validationFailed } from '@mailstrata/common';
import type { ScopeQuery } from '@mailstrata/email-config';
import type { FastifyRequest } from 'fastify';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
const KEYS: Record<string, keyof ScopeQuery> = { partner_id: 'partnerId', org_id: 'orgId' };

export function parseScopeQuery(raw: Record<string, unknown> | undefined): ScopeQuery {
  const out: ScopeQuery = {};
  const errors: FieldError[] = [];
  for (const [key, value] of Object.entries(raw ?? {})) {
    const target = KEYS[key];
    if (!target) errors.push({ field: key, rule: 'unknown_field', message: 'is not a known field' });
    else if (typeof value !== 'string' || !UUID.test(value)) errors.push({ field: key, rule: 'isUuid', message: 'must be a UUID' });
    else out[target] = value.toLowerCase();
  }
  if (errors.length > 0) throw validationFailed(errors);
  return out;
}

/**
 * `?partner_id=` / `?org_id=`, checked by hand rather than by class-validator, and as a parameter
 * decorator rather than a pipe: this runs on the hot GET …/effective path, where a DTO instantiated and
 * reflected per request, or one more awaited pipe, costs a measurable share of the request. Same rules
 * and error shape as the global pipe (unknown parameters refused).
 */
export const ScopeParams = createParamDecorator((_: unknown, ctx: ExecutionContext): ScopeQuery =>
  parseScopeQuery(ctx.switchToHttp().getRequest<FastifyRequest>().query as Record<string, unknown>),
);
