/**
 * The payload of an email event on the bus: the send API's body (`POST /event/v1/email/messages`) plus
 * the event's id and its producer. Validated with class-validator under the HTTP layer's rules (unknown
 * fields refused, every failure named as `{field, rule, message}`), so an event and a request are refused
 * for the same reasons.
 */
import { FieldError, validationFailed } from '@mailstrata/common';
import { MESSAGE_LIMITS, MessageRequest } from '../message-request';
import { plainToInstance } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsEmail,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  MaxLength,
  ValidateIf,
  validateSync,
  ValidationError,
} from 'class-validator';

/** The send API's limits: an event and a request are one message to the intake. */
export const EMAIL_EVENT_LIMITS = {
  recipients: MESSAGE_LIMITS.maxRecipients,
  subjectChars: MESSAGE_LIMITS.maxSubjectChars,
  textChars: MESSAGE_LIMITS.maxBodyChars,
  htmlChars: MESSAGE_LIMITS.maxBodyChars,
} as const;

/** A UUID, or 1–255 printable ASCII characters without spaces (what producers already use as ids). */
const EVENT_ID = /^[\x21-\x7e]{1,255}$/;
const PRODUCER = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const TEMPLATE_KIND = /^[a-z][a-z0-9_]{0,63}$/;
/** No CR or LF: a subject is one header line (header injection). */
const ONE_LINE = /^[^\r\n]*$/;

export class EmailEventDto {
  @IsString()
  @Matches(EVENT_ID, { message: 'event_id must be a UUID or 1 to 255 printable characters without spaces' })
  event_id!: string;

  @IsString()
  @Matches(PRODUCER, { message: 'producer must be 1 to 100 letters, digits, dots, dashes or underscores' })
  producer!: string;

  @ValidateIf((o: EmailEventDto) => o.partner_id === undefined || o.org_id !== undefined)
  @IsUUID('all', { message: 'org_id must be a UUID (name exactly one of org_id and partner_id)' })
  org_id?: string;

  @ValidateIf((o: EmailEventDto) => o.org_id === undefined || o.partner_id !== undefined)
  @IsUUID('all', { message: 'partner_id must be a UUID (name exactly one of org_id and partner_id)' })
  partner_id?: string;

  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(EMAIL_EVENT_LIMITS.recipients)
  @IsEmail({}, { each: true })
  to!: string[];

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(EMAIL_EVENT_LIMITS.recipients)
  @IsEmail({}, { each: true })
  cc?: string[];

  @IsOptional()
  @IsEmail()
  reply_to?: string;

  @ValidateIf((o: EmailEventDto) => o.subject === undefined || o.template !== undefined)
  @IsString()
  @Matches(TEMPLATE_KIND, { message: 'template must be a template kind like password_reset (or give subject and text instead)' })
  template?: string;

  @IsOptional()
  @IsObject()
  data?: Record<string, unknown>;

  @ValidateIf((o: EmailEventDto) => o.template === undefined)
  @IsString()
  @IsNotEmpty()
  @MaxLength(EMAIL_EVENT_LIMITS.subjectChars)
  @Matches(ONE_LINE, { message: 'subject must be one line (no CR or LF)' })
  subject?: string;

  @ValidateIf((o: EmailEventDto) => o.template === undefined)
  @IsString()
  @MaxLength(EMAIL_EVENT_LIMITS.textChars)
  text?: string;

  @IsOptional()
  @IsString()
  @MaxLength(EMAIL_EVENT_LIMITS.htmlChars)
  html?: string;
}

/** A validated event: its id, its producer, and the send intake's request it carries. */
export interface ValidatedEvent {
  eventId: string;
  producer: string;
  request: MessageRequest;
}

const RULE_NAMES: Record<string, string> = { whitelistValidation: 'unknown_field' };

function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const error of errors) {
    const field = parent ? `${parent}.${error.property}` : error.property;
    for (const [rule, message] of Object.entries(error.constraints ?? {})) {
      const name = RULE_NAMES[rule] ?? rule;
      out.push({
        field,
        rule: name,
        message: name === 'unknown_field' ? 'is not a known field' : message.replace(`${error.property} `, ''),
      });
    }
    if (error.children?.length) out.push(...flatten(error.children, field));
  }
  return out;
}

/** The event, or a `VALIDATION_FAILED` DomainError naming every failing field and rule. */
export function validateEmailEvent(payload: unknown): ValidatedEvent {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    throw validationFailed([{ field: '', rule: 'isObject', message: 'the event must be a JSON object' }]);
  }
  const dto = plainToInstance(EmailEventDto, payload);
  const errors = validateSync(dto, {
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    validationError: { target: false, value: false },
  });
  const fields = flatten(errors);
  if (dto.org_id !== undefined && dto.partner_id !== undefined) {
    fields.push({ field: 'org_id', rule: 'exclusive', message: 'name exactly one of org_id and partner_id' });
  }
  if (dto.template !== undefined && (dto.subject !== undefined || dto.text !== undefined || dto.html !== undefined)) {
    fields.push({ field: 'template', rule: 'exclusive', message: 'give either template (with data) or subject and text, not both' });
  }
  if (dto.template === undefined && dto.data !== undefined) {
    fields.push({ field: 'data', rule: 'requires_template', message: 'data is only used with a template' });
  }
  if (fields.length > 0) throw validationFailed(fields, 'The email event is not valid.');
  const request: MessageRequest = {
    ...(dto.org_id !== undefined ? { orgId: dto.org_id } : { partnerId: dto.partner_id! }),
    to: dto.to,
    ...(dto.cc !== undefined ? { cc: dto.cc } : {}),
    ...(dto.reply_to !== undefined ? { replyTo: dto.reply_to } : {}),
    ...(dto.template !== undefined
      ? { template: dto.template, data: dto.data ?? {} }
      : { subject: dto.subject!, text: dto.text!, ...(dto.html !== undefined ? { html: dto.html } : {}) }),
  };
  return { eventId: dto.event_id, producer: dto.producer, request };
}
