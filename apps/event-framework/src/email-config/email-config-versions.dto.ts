import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { MAX_VERSION_PAGE } from '@mailstrata/email-config';
import { Type } from 'class-transformer';
import { RouteQueryDto } from './route-query.dto';
import { IntegerBetween, IsOmittable } from '../http/validators';
import { EmailConfigBodyDto } from './email-config.dto';

/** Version numbers are Postgres integers: anything larger can name no version and is refused as input. */
export const MAX_VERSION_NUMBER = 2_147_483_647;

/** `?limit=&before=` beside the scope: newest first, `before` pages back. */
export class VersionListQueryDto extends RouteQueryDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_VERSION_PAGE, default: 50 })
  @IsOmittable()
  @Type(() => Number)
  @IntegerBetween(1, MAX_VERSION_PAGE)
  limit?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, description: 'Only versions numbered below this one (the next page)' })
  @IsOmittable()
  @Type(() => Number)
  @IntegerBetween(1, MAX_VERSION_NUMBER)
  before?: number;
}

/** `:version` in a path. */
export class VersionParamDto {
  @ApiProperty({ type: 'integer', minimum: 1 })
  @Type(() => Number)
  @IntegerBetween(1, MAX_VERSION_NUMBER)
  version: number;
}

/**
 * A draft: POST's body, plus `based_on` to derive it from a saved version. Without `based_on` the
 * `smtp_config` is a whole profile (like POST) and the active version is its base; with it, only the
 * fields to change on that version (like PATCH). Stored secrets come only from the base, and only
 * while the destination is unchanged.
 */
export class DraftBodyDto extends EmailConfigBodyDto {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    description: 'Derive the draft from this version: smtp_config then holds only the fields to change',
  })
  @IsOmittable()
  @IntegerBetween(1, MAX_VERSION_NUMBER)
  based_on?: number;
}
