import { ApiProperty } from '@nestjs/swagger';
import { IsEmail, IsNotEmpty, IsString, MaxLength } from 'class-validator';

/** Completing a one-time link (password setup or reset): its token and the new password. */
class OneTimeLinkCompletionDto {
  @ApiProperty({ description: 'The token from the link in the email (its URL fragment).' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(128)
  token: string;

  @ApiProperty({ format: 'password' })
  @IsString()
  @MaxLength(1024)
  password: string;
}

/** Asking for a link by address; the answer is the same whether or not the address has an account. */
class LinkRequestDto {
  @ApiProperty({ example: 'user@example.com' })
  @IsEmail()
  @MaxLength(254)
  email: string;
}

export class CompletePasswordSetupDto extends OneTimeLinkCompletionDto {}

export class ResendPasswordSetupDto extends LinkRequestDto {}

export class RequestPasswordResetDto extends LinkRequestDto {}

export class CompletePasswordResetDto extends OneTimeLinkCompletionDto {}
