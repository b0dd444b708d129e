import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '@mailstrata/audit';
import { APP_CONFIG, AppConfig } from '@mailstrata/config';
import { AuthService } from './auth.service';
import { BootstrapAdminService } from './bootstrap.service';
import { IDENTITY_ENTITIES } from './entities';
import { PasswordOnboarding } from './onboarding';
import { PasswordHasher } from './password';
import { ServiceAccountService } from './service-account.service';
import { SessionService } from './session.service';
import { TenantService } from './tenant.service';

/** Tenants (partners, organizations), users, sessions, service accounts and what each may do. */
@Module({
  imports: [TypeOrmModule.forFeature(IDENTITY_ENTITIES), AuditModule],
  providers: [
    { provide: PasswordHasher, inject: [APP_CONFIG], useFactory: (c: AppConfig) => new PasswordHasher(c.identity.passwordHashCost) },
    SessionService,
    AuthService,
    TenantService,
    BootstrapAdminService,
    PasswordOnboarding,
    ServiceAccountService,
  ],
  exports: [SessionService, AuthService, TenantService, BootstrapAdminService, PasswordOnboarding, ServiceAccountService, PasswordHasher],
})
export class IdentityModule {}
