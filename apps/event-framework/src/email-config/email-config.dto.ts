import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDefined, IsObject, ValidateNested } from 'class-validator';

/**
 * The envelope only: `smtp_config` itself is validated by @mailstrata/email-config (the same function the
 * verification endpoint uses for unsaved candidates), so POST, PATCH and verification agree exactly.
 */
export class EmailConfigEnvelopeDto {
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description:
      'Seed fields: username, password, host, port, use_tls, use_insecure, retries. Ours: sender_email, sender_name, ' +
      'tls_mode (none|starttls|implicit), ca_cert, client_cert, client_key, auth_type (none|basic|oauth2), ' +
      'oauth2 {token_endpoint, client_id, client_secret, scope, audience, request_headers[{name,value}]}. ' +
      'Secrets (password, client_secret, client_key, request header values) are write-only; null clears one.',
    example: {
      username: 'mailer',
      password: 'app-password',
      host: 'smtp.example.com',
      port: 587,
      use_tls: true,
      use_insecure: false,
      retries: 3,
    },
  })
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
