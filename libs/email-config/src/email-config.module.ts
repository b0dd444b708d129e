import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '@mailstrata/audit';
import { APP_CONFIG, AppConfig } from '@mailstrata/config';
import { EgressPolicy, MailerModule } from '@mailstrata/mailer';
import { SecretsModule } from '@mailstrata/secrets';
import { ConfigScopeResolver } from './config-scope';
import { controllerProfileFrom } from './controller-profile';
import { EffectiveConfigService } from './effective-config.service';
import { EmailConfigService } from './email-config.service';
import { ProfileVersionsService } from './profile-versions.service';
import { ProfileWriter } from './profile-writer';
import { CONTROLLER_PROFILE, SMTP_DESTINATION_POLICY, SmtpDestinationPolicy } from './ports';
import { NotificationRecipientsService } from './notification-recipients';
import { RequestHeaderSealer } from './reencrypt';
import { SecretRefReader } from './secret-refs';
import { SmtpProfileEntity } from './smtp-profile.entity';
import { SmtpProfileRepository } from './smtp-profile.repository';

/**
 * SMTP profiles (partner and org), the controller profile from the environment, and the cached
 * resolution between them. A profile's destination is checked at save by the mailer's egress guard
 * (this library sits above the transport; delivery sits above both).
 */
@Module({
  imports: [TypeOrmModule.forFeature([SmtpProfileEntity]), AuditModule, SecretsModule, MailerModule],
  providers: [
    // Validated at start: a bad FW_EVENT_SMTP_* value stops the app with a message naming the variable.
    { provide: CONTROLLER_PROFILE, inject: [APP_CONFIG], useFactory: (config: AppConfig) => controllerProfileFrom(config) ?? null },
    {
      provide: SMTP_DESTINATION_POLICY,
      inject: [EgressPolicy],
      useFactory: (egress: EgressPolicy): SmtpDestinationPolicy => ({
        check: (host, port) => egress.checkAtSave(host, port),
        checkTokenEndpoint: (url) => egress.checkUrlAtSave(new URL(url)),
      }),
    },
    { provide: SecretRefReader, inject: [APP_CONFIG], useFactory: (config: AppConfig) => new SecretRefReader(config.secretRefsDir) },
    SmtpProfileRepository,
    EffectiveConfigService,
    ProfileWriter,
    EmailConfigService,
    ProfileVersionsService,
    ConfigScopeResolver,
    RequestHeaderSealer,
    NotificationRecipientsService,
  ],
  exports: [
    EffectiveConfigService,
    EmailConfigService,
    ProfileVersionsService,
    ConfigScopeResolver,
    NotificationRecipientsService,
    SecretsModule,
    CONTROLLER_PROFILE,
  ],
})
export class EmailConfigModule {}
