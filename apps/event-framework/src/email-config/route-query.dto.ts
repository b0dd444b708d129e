import { ApiPropertyOptional } from '@nestjs/swagger';
import { PRIMARY_ROUTE, ProfileRoute } from '@mailstrata/email-config';
import { IsIn } from 'class-validator';
import { IsOmittable } from '../http/validators';
import { ScopeQueryDto } from '../http/scope-query.dto';

const ROUTES: readonly ProfileRoute[] = ['primary', 'secondary'];

/** The scope (`?partner_id=` / `?org_id=`) and which of its routes a request acts on (`?route=`, primary by default). */
export class RouteQueryDto extends ScopeQueryDto {
  @ApiPropertyOptional({
    enum: ROUTES,
    default: PRIMARY_ROUTE,
    description: 'The primary route carries every email; the secondary takes over when the primary fails (needs a primary)',
  })
  @IsOmittable()
  @IsIn(ROUTES, { message: 'must be "primary" or "secondary"' })
  route?: ProfileRoute;
}

export const routeOf = (query: RouteQueryDto): ProfileRoute => query.route ?? PRIMARY_ROUTE;
