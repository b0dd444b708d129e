import { ApiProperty, PartialType } from '@nestjs/swagger';
import { SmtpConfigDto } from '@mailstrata/email-config';
import { Type } from 'class-transformer';
import { IsDefined, IsObject, ValidateNested } from 'class-validator';

/**
 * A PATCH's `smtp_config`: any subset of the fields. For the document only: a PATCH is merged onto the
 * stored profile and the result validated as a whole `SmtpConfigDto`, so the rules are the same.
 */
export class SmtpConfigPatchDto extends PartialType(SmtpConfigDto) {}

const EXAMPLE = {
  username: 'mailer',
  password: 'app-password',
  host: 'smtp.example.com',
  port: 587,
  use_tls: true,
  use_insecure: false,
  retries: 3,
};

/**
 * The envelope only: `smtp_config` itself is validated by @mailstrata/email-config against `SmtpConfigDto`
 * (after merging, for a PATCH; the verification endpoint's unsaved candidates too), so POST, PATCH and
 * verification agree exactly, and the document shows those same classes.
 */
export class EmailConfigEnvelopeDto {
  @ApiProperty({ type: () => SmtpConfigDto, example: EXAMPLE })
  @IsDefined()
  @IsObject()
  smtp_config: Record<string, unknown>;
}

export class EmailConfigPatchEnvelopeDto {
  @ApiProperty({ type: () => SmtpConfigPatchDto, example: { retries: 5, sender_name: 'Ops' } })
  @IsDefined()
  @IsObject()
  smtp_config: Record<string, unknown>;
}

export class EmailConfigBodyDto {
  @ApiProperty({ type: EmailConfigEnvelopeDto })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => EmailConfigEnvelopeDto)
  email_config: EmailConfigEnvelopeDto;
}

export class EmailConfigPatchBodyDto {
  @ApiProperty({ type: EmailConfigPatchEnvelopeDto })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => EmailConfigPatchEnvelopeDto)
  email_config: EmailConfigPatchEnvelopeDto;
}
