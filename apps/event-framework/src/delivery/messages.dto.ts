import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { MESSAGE_LIMITS, TEMPLATE_KINDS } from '@mailstrata/delivery';
import { isPlainAddress } from '@mailstrata/mailer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsObject, IsString, IsUUID, ValidateIf } from 'class-validator';
import { IsOmittable, LowerCase, Rule } from '../http/validators';

const CRLF = /[\r\n]/;
const isText = (v: unknown): v is string => typeof v === 'string';

const MaxChars = (max: number) => Rule('maxLength', `must be at most ${max} characters`, (v) => !isText(v) || v.length <= max);
/** Header-bound text: CR or LF would smuggle in a header of its own, so they are refused, never cleaned. */
const NoLineBreaks = () => Rule('no_line_breaks', 'must not contain CR or LF characters', (v) => !isText(v) || !CRLF.test(v));
/** Every entry (or the value) one plain mailbox on one line. */
const Addresses = () =>
  Rule('isEmail', 'must be single email addresses without CR or LF', (v) =>
    (Array.isArray(v) ? v : [v]).every((a) => isText(a) && !CRLF.test(a) && isPlainAddress(a)),
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
