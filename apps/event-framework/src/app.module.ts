import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { ThrottlerModule } from '@nestjs/throttler';
import { AuditModule, AuditQueryModule, AuditWorkerModule } from '@mailstrata/audit';
import { AccountsModule } from '@mailstrata/accounts';
import { AppConfig, ConfigModule } from '@mailstrata/config';
import { DatabaseModule } from '@mailstrata/database';
import { DeliveryModule, DeliveryWorkerModule, NatsIntakeModule } from '@mailstrata/delivery';
import { EmailConfigModule } from '@mailstrata/email-config';
import { IdentityModule } from '@mailstrata/identity';
import { MailCatcherListener, MailCatcherModule } from '@mailstrata/mail-catcher';
import { TemplatesModule } from '@mailstrata/templates';
import { AuditLogController } from './audit/audit-log.controller';
import { EmailConfigController } from './email-config/email-config.controller';
import { EmailConfigVersionsController } from './email-config/email-config-versions.controller';
import { NotificationRecipientsController } from './email-config/notifications.controller';
import { PasswordResetController } from './accounts/password-reset.controller';
import { PasswordSetupController } from './accounts/password-setup.controller';
import { HealthController } from './health/health.controller';
import { SessionGuard } from './http/session.guard';
import { AuthController } from './identity/auth.controller';
import { TenantsController } from './identity/tenants.controller';
import { ServiceAccountsController } from './identity/service-accounts.controller';
import { EmailThrottlerGuard } from './identity/email-throttler.guard';
import { LifecycleModule } from './lifecycle/lifecycle.module';
import { MetricsModule } from './metrics/metrics.module';
import { VerificationController } from './verification/verification.controller';
import { ConsoleSettingsController } from './console/console-settings.controller';
import { MailboxController } from './mail-catcher/mailbox.controller';
import { TemplatesController } from './templates/templates.controller';
import { MessagesController } from './delivery/messages.controller';

export interface AppModuleOptions {
  config: AppConfig;
  databaseUrl: string;
  /** The development mail catcher's listener, started before the app (see startMailCatcher). */
  mailCatcher?: MailCatcherListener | null;
}

/** The HTTP service's composition root. Background work runs in-process unless WORKER_IN_PROCESS=false. */
@Module({})
export class AppModule {
  static forRoot({ config, databaseUrl, mailCatcher = null }: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot({ config }),
        DatabaseModule.forRoot({ url: databaseUrl, poolMax: config.database.poolMax, migrateOnStart: config.database.migrateOnStart }),
        // Named 'default' so the standard Retry-After header is sent (other names suffix it).
        ThrottlerModule.forRoot([{ name: 'default', ttl: 60_000, limit: config.identity.loginRateLimitPerMinute }]),
        TerminusModule.forRoot({ logger: false }),
        LifecycleModule,
        MetricsModule,
        AuditModule,
        AuditQueryModule,
        IdentityModule,
        AccountsModule,
        // Static modules: one instance shared by the controllers and the in-process worker (one profile cache).
        EmailConfigModule,
        DeliveryModule,
        TemplatesModule,
        MailCatcherModule.forRoot(config.mailCatcher, mailCatcher),
        ...(config.worker.inProcess ? [AuditWorkerModule, DeliveryWorkerModule.forRoot()] : []),
        ...(config.worker.inProcess && config.natsIntake ? [NatsIntakeModule] : []),
      ],
      controllers: [
        HealthController,
        AuthController,
        TenantsController,
        ServiceAccountsController,
        PasswordSetupController,
        PasswordResetController,
        EmailConfigController,
        EmailConfigVersionsController,
        NotificationRecipientsController,
        AuditLogController,
        VerificationController,
        ConsoleSettingsController,
        MailboxController,
        TemplatesController,
        MessagesController,
      ],
      providers: [{ provide: APP_GUARD, useClass: SessionGuard }, EmailThrottlerGuard],
    };
  }
}
