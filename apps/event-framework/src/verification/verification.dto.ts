import { ApiPropertyOptional } from '@nestjs/swagger';
import { SmtpConfigDto } from '@mailstrata/email-config';
import { isPlainAddress } from '@mailstrata/mailer';
import { IsIn, IsObject, IsOptional, IsString } from 'class-validator';
import { IntegerBetween, IsOmittable, Rule } from '../http/validators';

const CRLF = /[\r\n]/;
const LIST_SEPARATOR = /[,;]/;
const EMAIL_MAX = 254;
const MAX_SUBJECT = 998;
const MAX_BODY = 100_000;

const isText = (v: unknown): v is string => typeof v === 'string';

/** At most `max` characters; a value that is not a string is only refused by isString. */
const MaxChars = (max: number) => Rule('maxLength', `must be at most ${max} characters`, (v) => !isText(v) || v.length <= max);

/** Header-bound text: CR or LF would let a value smuggle in a header of its own, so they are refused, never cleaned. */
const NoLineBreaks = () => Rule('no_line_breaks', 'must not contain CR or LF characters', (v) => !isText(v) || !CRLF.test(v));

/** One plain mailbox, checked once the value is known to be a single line. */
const SingleAddress = () =>
  Rule('isEmail', 'must be a single email address', (v) => !isText(v) || CRLF.test(v) || LIST_SEPARATOR.test(v) || isPlainAddress(v));

/**
 * The seed's test-email body plus `mode` and either an optional unsaved `smtp_config` (validated by
 * email-config with the secret rules, as POST does) or a saved `version` of the scope's own profile.
 * Left-out and null fields mean the same (except `mode`, `smtp_config` and `version`: left out only).
 */
export class VerificationBodyDto {
  @ApiPropertyOptional({
    type: 'string',
    nullable: true,
    format: 'email',
    maxLength: EMAIL_MAX,
    description: 'Defaults to the route’s sender',
  })
  @IsOptional()
  @SingleAddress()
  @NoLineBreaks()
  @MaxChars(EMAIL_MAX)
  @IsString()
  sender_email?: string | null;

  @ApiPropertyOptional({
    type: 'string',
    nullable: true,
    format: 'email',
    maxLength: EMAIL_MAX,
    description: 'Exactly one address. Send mode defaults it to the caller; on a route you do not own, only your own address',
  })
  @IsOptional()
  @SingleAddress()
  @NoLineBreaks()
  @MaxChars(EMAIL_MAX)
  @Rule('isString', 'must be a string', (v) => isText(v) || Array.isArray(v))
  @Rule('single_recipient', 'must be exactly one address', (v) => !Array.isArray(v) && !(isText(v) && LIST_SEPARATOR.test(v)))
  recipient_email?: string | null;

  @ApiPropertyOptional({ type: 'string', nullable: true, maxLength: MAX_SUBJECT })
  @IsOptional()
  @NoLineBreaks()
  @MaxChars(MAX_SUBJECT)
  @IsString()
  subject?: string | null;

  @ApiPropertyOptional({ type: 'string', nullable: true, maxLength: MAX_BODY })
  @IsOptional()
  @MaxChars(MAX_BODY)
  @IsString()
  body?: string | null;

  @ApiPropertyOptional({ enum: ['send', 'connect'], default: 'send', description: 'connect: connect, TLS and auth only; nothing is sent' })
  @IsOmittable()
  @IsIn(['send', 'connect'], { message: 'must be "send" or "connect"' })
  mode?: 'send' | 'connect';

  @ApiPropertyOptional({
    type: () => SmtpConfigDto,
    description: 'An unsaved SMTP profile to test instead of the effective one (same fields and rules as email_config.smtp_config)',
  })
  @IsOmittable()
  @IsObject()
  smtp_config?: Record<string, unknown>;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    description:
      'A saved version of the scope’s own profile to test (a draft before activating it, or an earlier one); not with smtp_config',
  })
  @IsOmittable()
  @Rule('exclusive', 'must not be sent together with smtp_config', (_v, o) => (o as { smtp_config?: unknown }).smtp_config === undefined)
  @IntegerBetween(1, 2_147_483_647)
  version?: number;
}
