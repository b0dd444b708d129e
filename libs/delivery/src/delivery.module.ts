import { DynamicModule, Module } from '@nestjs/common';
import { AuditModule } from '@mailstrata/audit';
import { APP_CONFIG, AppConfig } from '@mailstrata/config';
import { EmailConfigModule } from '@mailstrata/email-config';
import { MailerModule } from '@mailstrata/mailer';
import { SecretsModule } from '@mailstrata/secrets';
import { TemplatesModule } from '@mailstrata/templates';
import { EMAIL_DELIVERY_OPTIONS, EmailDeliveryOptions, EmailDeliveryWorker } from './email-delivery.worker';
import { EmailJobRepository } from './email-job.repository';
import { EmailOutbox } from './email-outbox';
import { ProfileHealthRecorder } from './profile-health';
import { SmtpRouteResolver } from './smtp-route';
import { EmailVerificationService } from './verification';
import { DeliveryLogService } from './delivery-log';
import { MessageIntake } from './message-intake';
import { MESSAGE_RENDERER, TemplateMessageRenderer } from './message-renderer';
import { RouteAlerts } from './route-alerts';
import { DeliveryReports, REPORT_CLOCK } from './delivery-reports';
import { systemClock } from '@mailstrata/common';

/**
 * Durable system email and test emails, above profiles (email-config) and transport (mailer): the
 * outbox others use to enqueue in their own transactions, the route resolver, profile health and the
 * test-email service, the send intake and the delivery log. Both libraries below are imported directly; the arrows run one way.
 */
@Module({
  imports: [AuditModule, SecretsModule, MailerModule, EmailConfigModule, TemplatesModule],
  providers: [
    SmtpRouteResolver,
    RouteAlerts,
    ProfileHealthRecorder,
    EmailOutbox,
    EmailVerificationService,
    MessageIntake,
    DeliveryLogService,
    { provide: MESSAGE_RENDERER, useClass: TemplateMessageRenderer },
  ],
  exports: [
    SmtpRouteResolver,
    ProfileHealthRecorder,
    EmailOutbox,
    EmailVerificationService,
    MessageIntake,
    DeliveryLogService,
    MESSAGE_RENDERER,
  ],
})
export class DeliveryModule {}

/**
 * The durable delivery worker: runs in the worker app and, by default, in the HTTP app. Its timings come
 * from the deployment's config (EMAIL_RETRY_BASE_MS and friends); `overrides` are for tests and benches.
 */
@Module({})
export class DeliveryWorkerModule {
  static forRoot(overrides: EmailDeliveryOptions = {}): DynamicModule {
    return {
      module: DeliveryWorkerModule,
      imports: [DeliveryModule, AuditModule, SecretsModule, MailerModule, EmailConfigModule, TemplatesModule],
      providers: [
        EmailJobRepository,
        {
          provide: EMAIL_DELIVERY_OPTIONS,
          inject: [APP_CONFIG],
          useFactory: (config: AppConfig): EmailDeliveryOptions => ({
            retryBaseMs: config.emailDelivery.retryBaseMs,
            pollIntervalMs: config.emailDelivery.pollIntervalMs,
            leaseMs: config.emailDelivery.leaseMs,
            failoverAfterAttempts: config.emailDelivery.failoverAfterAttempts,
            failoverHealthWindowMs: config.emailDelivery.failoverHealthWindowMs,
            ...overrides,
          }),
        },
        EmailDeliveryWorker,
        { provide: REPORT_CLOCK, useValue: systemClock },
        DeliveryReports,
      ],
      exports: [EmailDeliveryWorker, DeliveryReports],
    };
  }
}
