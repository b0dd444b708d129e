import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { ThrottlerModule } from '@nestjs/throttler';
import { AuditModule, AuditQueryModule, AuditWorkerModule } from '@mailstrata/audit';
import { AccountsModule, OutboxSetupEmailDelivery, SETUP_EMAIL_DELIVERY } from '@mailstrata/accounts';
import { AppConfig, ConfigModule } from '@mailstrata/config';
import { DatabaseModule } from '@mailstrata/database';
import { EmailConfigModule, EmailConfigSmtpResolver, SmtpDestinationPolicyModule } from '@mailstrata/email-config';
import { MailerModule, MailerWorkerModule, SMTP_PROFILE_RESOLVER } from '@mailstrata/mailer';
import { IdentityModule } from '@mailstrata/identity';
import { TemplatesModule } from '@mailstrata/templates';
import { AuditLogController } from './audit/audit-log.controller';
import { EmailConfigController } from './email-config/email-config.controller';
import { PasswordSetupController } from './accounts/password-setup.controller';
import { HealthController } from './health/health.controller';
import { SessionGuard } from './http/session.guard';
import { AuthController } from './identity/auth.controller';
import { TenantsController } from './identity/tenants.controller';
import { EmailThrottlerGuard } from './identity/email-throttler.guard';
import { LifecycleModule } from './lifecycle/lifecycle.module';
import { MetricsModule } from './metrics/metrics.module';
import { VerificationController } from './verification/verification.controller';
import { ConsoleSettingsController } from './console/console-settings.controller';
import { mailCatcherModules } from './mail-catcher/mail-catcher.binding';
import { MailboxController } from './mail-catcher/mailbox.controller';
import { TemplatesController } from './templates/templates.controller';

export interface AppModuleOptions {
  config: AppConfig;
  databaseUrl: string;
}

/** The HTTP service's composition root. Background work runs in-process unless WORKER_IN_PROCESS=false. */
@Module({})
export class AppModule {
  static forRoot({ config, databaseUrl }: AppModuleOptions): DynamicModule {
    // One instance shared by the controllers and the in-process delivery worker (one profile cache).
    // The development mail catcher (when configured) becomes the controller default of that same instance.
    const mailCatcher = mailCatcherModules(config.mailCatcher);
    const emailConfig = EmailConfigModule.forRoot({ imports: [SmtpDestinationPolicyModule, mailCatcher.binding] });
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
        AccountsModule.forRoot({
          imports: [emailConfig, MailerModule],
          providers: [EmailConfigSmtpResolver, { provide: SETUP_EMAIL_DELIVERY, useClass: OutboxSetupEmailDelivery }],
        }),
        emailConfig,
        MailerModule,
        TemplatesModule,
        mailCatcher.catcher,
        ...(config.worker.inProcess ? [AuditWorkerModule, mailerWorker(config, emailConfig)] : []),
      ],
      controllers: [
        HealthController,
        AuthController,
        TenantsController,
        PasswordSetupController,
        EmailConfigController,
        AuditLogController,
        VerificationController,
        ConsoleSettingsController,
        MailboxController,
        TemplatesController,
      ],
      providers: [{ provide: APP_GUARD, useClass: SessionGuard }, EmailThrottlerGuard],
    };
  }
}

/** The durable email delivery worker, resolving profiles through email-config at send time. */
export function mailerWorker(config: AppConfig, emailConfig: DynamicModule | typeof EmailConfigModule): DynamicModule {
  return MailerWorkerModule.forRoot({
    imports: [emailConfig],
    resolver: { provide: SMTP_PROFILE_RESOLVER, useClass: EmailConfigSmtpResolver },
    delivery: {
      retryBaseMs: config.emailDelivery.retryBaseMs,
      pollIntervalMs: config.emailDelivery.pollIntervalMs,
      leaseMs: config.emailDelivery.leaseMs,
    },
  });
}
