import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ROLES, Role, SERVICE_ACCOUNT_PERMISSIONS, ServiceAccountPermission } from '@mailstrata/identity';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsDefined,
  IsEmail,
  IsIn,
  IsNotEmpty,
  IsObject,
  IsString,
  IsUUID,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { IsNotBlank, IsOmittable } from '../http/validators';

const EMAIL_MAX = 254;
const NAME_MAX = 200;

export class LoginDto {
  @ApiProperty({ example: 'admin@example.com' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(EMAIL_MAX)
  email: string;

  @ApiProperty({ format: 'password' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(1024)
  password: string;
}

export class NewAdminDto {
  @ApiProperty({ example: 'admin@partner.example' })
  @IsEmail()
  @MaxLength(EMAIL_MAX)
  email: string;

  @ApiPropertyOptional({ format: 'password', description: 'Required with ACCOUNT_CREATION_STRATEGY=AUTO.' })
  @IsOmittable()
  @IsString()
  @MaxLength(1024)
  password?: string;
}

/** A tenant (partner or organization) is created with its name and its first admin. */
class NewTenantDto {
  @ApiProperty({ example: 'Acme Cloud' })
  @IsString()
  @IsNotBlank()
  @MaxLength(NAME_MAX)
  name: string;

  @ApiProperty({ type: NewAdminDto })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => NewAdminDto)
  admin: NewAdminDto;
}

export class CreatePartnerDto extends NewTenantDto {}

export class CreateOrganizationDto extends NewTenantDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'Required for a controller admin; a partner admin may omit it.' })
  @IsOmittable()
  @IsUUID()
  partner_id?: string;
}

export class ListOrganizationsQuery {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOmittable()
  @IsUUID()
  partner_id?: string;
}

export class UpdateOrganizationDto {
  @ApiProperty({ description: 'The organization-level SMTP feature switch.' })
  @IsDefined()
  @IsBoolean()
  smtp_override_enabled: boolean;
}

export class CreateUserDto {
  @ApiProperty({ example: 'ops@partner.example' })
  @IsEmail()
  @MaxLength(EMAIL_MAX)
  email: string;

  @ApiProperty({ enum: ROLES })
  @IsIn(ROLES)
  role: Role;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOmittable()
  @IsUUID()
  org_id?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'For a controller admin creating a partner-level user.' })
  @IsOmittable()
  @IsUUID()
  partner_id?: string;

  @ApiPropertyOptional({ format: 'password' })
  @IsOmittable()
  @IsString()
  @MaxLength(1024)
  password?: string;
}

export class CreateServiceAccountDto {
  @ApiProperty({ example: 'billing-notifier', description: 'Unique among the live accounts of its scope.' })
  @IsString()
  @IsNotBlank()
  @MaxLength(NAME_MAX)
  name: string;

  @ApiPropertyOptional({
    format: 'uuid',
    description:
      'The partner the account acts for. A controller admin may omit it for a platform-wide account; a partner admin gets its own.',
  })
  @IsOmittable()
  @IsUUID()
  partner_id?: string;

  @ApiProperty({ enum: SERVICE_ACCOUNT_PERMISSIONS, isArray: true, example: ['email:send'] })
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(SERVICE_ACCOUNT_PERMISSIONS.length)
  @ArrayUnique()
  @IsIn(SERVICE_ACCOUNT_PERMISSIONS, { each: true })
  permissions: ServiceAccountPermission[];
}

export class ListServiceAccountsQuery {
  @ApiPropertyOptional({ format: 'uuid', description: 'Controller admins: only this partner’s accounts.' })
  @IsOmittable()
  @IsUUID()
  partner_id?: string;
}
