import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { DateMathError, timeOf } from '@mailstrata/audit';
import {
  decodeDeliveryLogCursor,
  DELIVERY_LOG_DEFAULT_LIMIT,
  DELIVERY_LOG_MAX_LIMIT,
  DeliveryLogQuery,
  MESSAGE_LIMITS,
  MESSAGE_STATUSES,
  MessageStatus,
  TEMPLATE_KINDS,
} from '@mailstrata/delivery';
import { isPlainAddress } from '@mailstrata/mailer';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsObject, IsString, IsUUID, ValidateIf } from 'class-validator';
import { IntegerBetween, IsOmittable, LowerCase, Rule } from '../http/validators';
import { ScopeQueryDto } from '../http/scope-query.dto';

const CRLF = /[\r\n]/;
const isText = (v: unknown): v is string => typeof v === 'string';

const MaxChars = (max: number) => Rule('maxLength', `must be at most ${max} characters`, (v) => !isText(v) || v.length <= max);
/** Header-bound text: CR or LF would smuggle in a header of its own, so they are refused, never cleaned. */
const NoLineBreaks = () => Rule('no_line_breaks', 'must not contain CR or LF characters', (v) => !isText(v) || !CRLF.test(v));
const isAddress = (a: unknown) => isText(a) && !CRLF.test(a) && isPlainAddress(a);
/** Every entry (or the value) one plain mailbox on one line; a list's refusal names the entries by position. */
const Addresses = () =>
  Rule(
    'isEmail',
    (v, field) => {
      const bad = Array.isArray(v) ? v.flatMap((a, i) => (isAddress(a) ? [] : [`${field}[${i}]`])) : [];
      const which = bad.length > 0 ? `: ${bad.slice(0, 10).join(', ')}${bad.length > 10 ? ', …' : ''}` : '';
      return `must be single email addresses without CR or LF${which}`;
    },
    (v) => (Array.isArray(v) ? v : [v]).every(isAddress),
  );

const literalGiven = (o: object) => ['subject', 'text', 'html'].some((k) => (o as Record<string, unknown>)[k] !== undefined);
const templateGiven = (o: object) => (o as Record<string, unknown>).template !== undefined;

/**
 * A system email for a tenant: `org_id` or `partner_id` (exactly one), 1–50 recipients in `to` and `cc`
 * together, and either `template` (+ `data`) or `subject` + `text` (+ `html`).
 */
export class SendMessageDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'The organization whose route sends it (or partner_id)' })
  @IsOmittable()
  @LowerCase()
  @IsUUID()
  @Rule('exactly_one_scope', 'exactly one of org_id and partner_id is required', (_v, o) => {
    const r = o as Record<string, unknown>;
    return (r.org_id === undefined) !== (r.partner_id === undefined);
  })
  org_id?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'The partner whose route sends it (or org_id)' })
  @IsOmittable()
  @LowerCase()
  @IsUUID()
  partner_id?: string;

  @ApiProperty({ type: [String], minItems: 1, maxItems: MESSAGE_LIMITS.maxRecipients, description: 'Each recipient gets its own copy' })
  @Addresses()
  @ArrayMinSize(1)
  @ArrayMaxSize(MESSAGE_LIMITS.maxRecipients)
  @Rule(
    'maxRecipients',
    `to and cc together must name at most ${MESSAGE_LIMITS.maxRecipients} recipients`,
    (v, o) => !Array.isArray(v) || v.length + (((o as { cc?: unknown[] }).cc ?? []) as unknown[]).length <= MESSAGE_LIMITS.maxRecipients,
  )
  @IsArray()
  to!: string[];

  @ApiPropertyOptional({ type: [String], maxItems: MESSAGE_LIMITS.maxRecipients })
  @IsOmittable()
  @Addresses()
  @ArrayMaxSize(MESSAGE_LIMITS.maxRecipients)
  @IsArray()
  cc?: string[];

  @ApiPropertyOptional({ format: 'email' })
  @IsOmittable()
  @Addresses()
  @IsString()
  reply_to?: string;

  @ApiPropertyOptional({ enum: TEMPLATE_KINDS, description: 'A template kind (with data); or give subject and text instead' })
  @ValidateIf((o: object) => templateGiven(o) || !literalGiven(o))
  @Rule(
    'exactly_one_shape',
    'give either template (with data) or subject and text, not both',
    (_v, o) => templateGiven(o) !== literalGiven(o),
  )
  @IsIn(TEMPLATE_KINDS, { message: `must be one of ${TEMPLATE_KINDS.join(', ')}` })
  template?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'The template’s variables' })
  @IsOmittable()
  @Rule('templateOnly', 'is only accepted with template', (_v, o) => templateGiven(o))
  @Rule(
    'maxLength',
    `must be at most ${MESSAGE_LIMITS.maxDataChars} characters as JSON`,
    (v) => JSON.stringify(v ?? {}).length <= MESSAGE_LIMITS.maxDataChars,
  )
  @IsObject()
  data?: Record<string, unknown>;

  @ApiPropertyOptional({ maxLength: MESSAGE_LIMITS.maxSubjectChars })
  @ValidateIf((o: object) => literalGiven(o))
  @NoLineBreaks()
  @MaxChars(MESSAGE_LIMITS.maxSubjectChars)
  @IsString()
  subject?: string;

  @ApiPropertyOptional({ maxLength: MESSAGE_LIMITS.maxBodyChars })
  @ValidateIf((o: object) => literalGiven(o))
  @MaxChars(MESSAGE_LIMITS.maxBodyChars)
  @IsString()
  text?: string;

  @ApiPropertyOptional({ maxLength: MESSAGE_LIMITS.maxBodyChars })
  @IsOmittable()
  @MaxChars(MESSAGE_LIMITS.maxBodyChars)
  @IsString()
  html?: string;
}

/** `Idempotency-Key`: 1–255 printable ASCII characters. */
export const IDEMPOTENCY_KEY = /^[\x20-\x7e]{1,255}$/;

/** A query parameter named twice arrives as an array: refused with its own rule before any other. */
const Single = () => Rule('single', 'must be given once', (v) => v === undefined || isText(v));

const DateMath = () =>
  Rule(
    'dateMath',
    'must be date math (now, now-1h, now-7d/d) or an ISO 8601 time',
    (v) => !isText(v) || !(timeOf(v, new Date(), false) instanceof DateMathError),
  );

/** The delivery log's filters beside the scope (`org_id`, `partner_id`); every parameter at most once. */
export class DeliveryLogQueryDto extends ScopeQueryDto {
  @ApiPropertyOptional({ enum: MESSAGE_STATUSES })
  @IsOmittable()
  @Single()
  @IsIn(MESSAGE_STATUSES, { message: `must be one of ${MESSAGE_STATUSES.join(', ')}` })
  status?: MessageStatus;

  @ApiPropertyOptional({ description: 'A template kind, e.g. password_setup', maxLength: 100 })
  @IsOmittable()
  @Single()
  @MaxChars(100)
  template?: string;

  @ApiPropertyOptional({ description: 'A recipient (to or cc), any case; @example.com for every recipient at that domain', maxLength: 320 })
  @IsOmittable()
  @Single()
  @MaxChars(320)
  to?: string;

  @ApiPropertyOptional({ description: 'Created at or after: date math (now-1h, now-7d/d) or ISO 8601' })
  @IsOmittable()
  @Single()
  @DateMath()
  @Rule('beforeTimeto', 'must not be after timeto', (v, o) => {
    const to = (o as DeliveryLogQueryDto).timeto;
    if (!isText(v) || !isText(to)) return true;
    const now = new Date();
    const [from, until] = [timeOf(v, now, false), timeOf(to, now, true)];
    return from instanceof DateMathError || until instanceof DateMathError || from <= until;
  })
  timefrom?: string;

  @ApiPropertyOptional({ description: 'Created at or before, the same syntax; rounding rounds up' })
  @IsOmittable()
  @Single()
  @DateMath()
  timeto?: string;

  @ApiPropertyOptional({ description: 'next_cursor of the previous page' })
  @IsOmittable()
  @Single()
  @Rule('cursor', 'must be the next_cursor of a previous page', (v) => !isText(v) || decodeDeliveryLogCursor(v) !== undefined)
  cursor?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: DELIVERY_LOG_MAX_LIMIT, default: DELIVERY_LOG_DEFAULT_LIMIT })
  @IsOmittable()
  @Type(() => Number)
  @IntegerBetween(1, DELIVERY_LOG_MAX_LIMIT)
  limit?: number;
}

/** The checked filters as the delivery log takes them, times read against one `now`. */
export function deliveryLogQueryOf(dto: DeliveryLogQueryDto, now = new Date()): DeliveryLogQuery {
  return {
    ...(dto.status !== undefined ? { status: dto.status } : {}),
    ...(dto.template !== undefined ? { template: dto.template } : {}),
    ...(dto.to !== undefined ? { to: dto.to } : {}),
    ...(dto.timefrom !== undefined ? { timefrom: timeOf(dto.timefrom, now, false) as Date } : {}),
    ...(dto.timeto !== undefined ? { timeto: timeOf(dto.timeto, now, true) as Date } : {}),
    ...(dto.cursor !== undefined ? { cursor: decodeDeliveryLogCursor(dto.cursor)! } : {}),
    ...(dto.limit !== undefined ? { limit: dto.limit } : {}),
  };
}
