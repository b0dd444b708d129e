import { ApiPropertyOptional } from '@nestjs/swagger';
import { MAX_NOTIFICATION_ADDRESSES } from '@mailstrata/email-config';
import { isPlainAddress } from '@mailstrata/mailer';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray } from 'class-validator';
import { IsOmittable, Rule } from '../http/validators';

const CRLF = /[\r\n]/;

/** One address or a list; null clears it. Stored (and answered) as a list. */
const AsList = () => Transform(({ value }: { value: unknown }) => (value === null ? [] : typeof value === 'string' ? [value] : value));

/** Every entry one plain mailbox on one line: CR or LF would smuggle in a header of its own. */
const Addresses = () =>
  Rule('isEmail', 'must be single email addresses without CR or LF', (v) =>
    (Array.isArray(v) ? v : [v]).every((a) => typeof a === 'string' && !CRLF.test(a) && isPlainAddress(a)),
  );

const list = (description: string) =>
  ApiPropertyOptional({
    oneOf: [
      { type: 'string', format: 'email' },
      { type: 'array', items: { type: 'string', format: 'email' }, maxItems: MAX_NOTIFICATION_ADDRESSES },
    ],
    nullable: true,
    description,
  });

/**
 * The scope's notification recipients (One Identity SPS's names). A PUT sets all three: a field left
 * out or null has no addresses.
 */
export class NotificationRecipientsDto {
  @list('Who administers this scope’s email (shown to operators)')
  @IsOmittable()
  @AsList()
  @Addresses()
  @ArrayMaxSize(MAX_NOTIFICATION_ADDRESSES)
  @IsArray()
  admin_address?: string[];

  @list('Who is told when this scope’s SMTP route starts failing and when it recovers')
  @IsOmittable()
  @AsList()
  @Addresses()
  @ArrayMaxSize(MAX_NOTIFICATION_ADDRESSES)
  @IsArray()
  alerting_address?: string[];

  @list('Who receives the periodic delivery report (EMAIL_REPORT_INTERVAL)')
  @IsOmittable()
  @AsList()
  @Addresses()
  @ArrayMaxSize(MAX_NOTIFICATION_ADDRESSES)
  @IsArray()
  reporting_address?: string[];
}
