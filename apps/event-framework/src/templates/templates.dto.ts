import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { isHttpsUrl, TEMPLATE_LIMITS } from '@mailstrata/templates';
import { Type } from 'class-transformer';
import { IsDefined, IsObject, IsOptional, IsString, ValidateNested } from 'class-validator';
import { IsOmittable, Rule } from '../http/validators';

const isText = (v: unknown): v is string => typeof v === 'string';

/** At most `max` UTF-8 bytes; a value that is not a string is only refused by isString. */
const MaxBytes = (max: number) =>
  Rule('maxBytes', `must be at most ${max} bytes (UTF-8)`, (v) => !isText(v) || Buffer.byteLength(v, 'utf8') <= max);
const MaxChars = (max: number) => Rule('maxLength', `must be at most ${max} characters`, (v) => !isText(v) || v.length <= max);
const OneLine = () => Rule('no_line_breaks', 'must not contain CR or LF characters', (v) => !isText(v) || !/[\r\n]/.test(v));

const LIQUID = 'Liquid (https://liquidjs.com): {{ variable }}, {% if %}, {% for %}, filters; no include/render/layout.';

/** A kind's override as a whole: subject, text and (optionally) HTML. Syntax and variables are checked by the library. */
export class TemplateBodyDto {
  @ApiProperty({ maxLength: TEMPLATE_LIMITS.subjectBytes, description: `One line. ${LIQUID}`, example: 'Welcome to {{ org_name }}' })
  @IsDefined()
  @OneLine()
  @MaxBytes(TEMPLATE_LIMITS.subjectBytes)
  @IsString()
  subject: string;

  @ApiProperty({ maxLength: TEMPLATE_LIMITS.bodyBytes, description: `The text part, not escaped. ${LIQUID}` })
  @IsDefined()
  @MaxBytes(TEMPLATE_LIMITS.bodyBytes)
  @IsString()
  text: string;

  @ApiPropertyOptional({
    type: 'string',
    nullable: true,
    maxLength: TEMPLATE_LIMITS.bodyBytes,
    description: `The HTML part; every output is HTML-escaped unless followed by | raw. Absent or null: text only. ${LIQUID}`,
  })
  @IsOptional()
  @MaxBytes(TEMPLATE_LIMITS.bodyBytes)
  @IsString()
  html?: string | null;
}

/** Branding as a whole (PUT replaces it); left-out and null fields mean "not set". */
export class BrandingBodyDto {
  @ApiPropertyOptional({ type: 'string', nullable: true, maxLength: TEMPLATE_LIMITS.productNameChars })
  @IsOptional()
  @OneLine()
  @MaxChars(TEMPLATE_LIMITS.productNameChars)
  @IsString()
  product_name?: string | null;

  @ApiPropertyOptional({ type: 'string', nullable: true, format: 'uri', description: 'An absolute https URL' })
  @IsOptional()
  @Rule('isHttpsUrl', 'must be an absolute https URL', (v) => !isText(v) || isHttpsUrl(v))
  @IsString()
  logo_url?: string | null;

  @ApiPropertyOptional({ type: 'string', nullable: true, format: 'email' })
  @IsOptional()
  @OneLine()
  @MaxChars(254)
  @IsString()
  support_email?: string | null;

  @ApiPropertyOptional({ type: 'string', nullable: true, maxLength: TEMPLATE_LIMITS.footerChars })
  @IsOptional()
  @MaxChars(TEMPLATE_LIMITS.footerChars)
  @IsString()
  footer?: string | null;
}

/** Preview: sample data unless `data` is given; the template and branding in effect unless unsaved ones are given. */
export class PreviewBodyDto {
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'The kind’s variables; defaults to its sample data' })
  @IsOmittable()
  @IsObject()
  data?: Record<string, unknown>;

  @ApiPropertyOptional({ type: TemplateBodyDto, description: 'An unsaved template to render instead of the one in effect' })
  @IsOmittable()
  @IsObject()
  @ValidateNested()
  @Type(() => TemplateBodyDto)
  template?: TemplateBodyDto;

  @ApiPropertyOptional({ type: BrandingBodyDto, description: 'Unsaved branding to render with instead of the one in effect' })
  @IsOmittable()
  @IsObject()
  @ValidateNested()
  @Type(() => BrandingBodyDto)
  branding?: BrandingBodyDto;
}
