import { ApiPropertyOptional } from '@nestjs/swagger';
import type { ScopeQuery } from '@mailstrata/email-config';
import { IsUUID } from 'class-validator';
import { IsOmittable, LowerCase } from './validators';

/** `?partner_id=` / `?org_id=`: the scope an email-config request acts on (unknown parameters are refused). */
export class ScopeQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'A partner (controller admin)' })
  @IsOmittable()
  @LowerCase()
  @IsUUID()
  partner_id?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'One of the caller’s organizations' })
  @IsOmittable()
  @LowerCase()
  @IsUUID()
  org_id?: string;
}

export function scopeQueryOf(query: ScopeQueryDto): ScopeQuery {
  return {
    ...(query.partner_id !== undefined ? { partnerId: query.partner_id } : {}),
    ...(query.org_id !== undefined ? { orgId: query.org_id } : {}),
  };
}
