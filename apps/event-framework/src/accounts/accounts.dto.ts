import { ApiProperty } from '@nestjs/swagger';
import { IsEmail, IsNotEmpty, IsString, MaxLength } from 'class-validator';

export class CompletePasswordSetupDto {
  @ApiProperty({ description: 'The token from the password-setup link.' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(128)
  token: string;

  @ApiProperty({ format: 'password' })
  @IsString()
  @MaxLength(1024)
  password: string;
}

export class ResendPasswordSetupDto {
  @ApiProperty({ example: 'new.user@example.com' })
  @IsEmail()
  @MaxLength(254)
  email: string;
}

export class RequestPasswordResetDto {
  @ApiProperty({ example: 'user@example.com' })
  @IsEmail()
  @MaxLength(254)
  email: string;
}

export class CompletePasswordResetDto {
  @ApiProperty({ description: 'The token from the password-reset link.' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(128)
  token: string;

  @ApiProperty({ format: 'password' })
  @IsString()
  @MaxLength(1024)
  password: string;
}
