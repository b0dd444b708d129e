import { DynamicModule, Module } from '@nestjs/common';
import { AuditWorkerModule } from '@mailstrata/audit';
import { AppConfig, ConfigModule } from '@mailstrata/config';
import { DatabaseModule } from '@mailstrata/database';
import { EmailConfigModule, EmailConfigSmtpResolver } from '@mailstrata/email-config';
import { MailerWorkerModule, SMTP_PROFILE_RESOLVER } from '@mailstrata/mailer';

/** The background deployment: the same work the HTTP app runs in-process by default, without HTTP. */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig, databaseUrl: string): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        ConfigModule.forRoot({ config }),
        DatabaseModule.forRoot({ url: databaseUrl, poolMax: config.database.poolMax, migrateOnStart: config.database.migrateOnStart }),
        AuditWorkerModule,
        MailerWorkerModule.forRoot({
          imports: [EmailConfigModule],
          resolver: { provide: SMTP_PROFILE_RESOLVER, useClass: EmailConfigSmtpResolver },
          delivery: {
            retryBaseMs: config.emailDelivery.retryBaseMs,
            pollIntervalMs: config.emailDelivery.pollIntervalMs,
            leaseMs: config.emailDelivery.leaseMs,
          },
        }),
      ],
    };
  }
}
