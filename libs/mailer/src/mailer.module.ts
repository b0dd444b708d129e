import { DynamicModule, Module, ModuleMetadata, Provider } from '@nestjs/common';
import { AuditModule } from '@mailstrata/audit';
import { APP_CONFIG, AppConfig } from '@mailstrata/config';
import { SecretsModule } from '@mailstrata/secrets';
import { EgressPolicy, HOST_LOOKUP, HostLookup, systemLookup } from './egress-guard';
import { EMAIL_DELIVERY_OPTIONS, EmailDeliveryOptions, EmailDeliveryWorker } from './email-delivery.worker';
import { EmailOutbox } from './email-outbox';
import { Mailer } from './mailer';
import { OAuth2TokenClient } from './oauth2-token-client';
import { ProfileHealthRecorder } from './profile-health';
import { EmailVerificationService } from './verification';

/**
 * Sending: the egress policy (from SMTP_ALLOWED_NETWORKS / SMTP_ALLOWED_PORTS), the OAuth2 token
 * cache, the mailer with its pooled transports, profile health, and the outbox that others use to
 * enqueue system emails in their own transactions. Knows nothing about tenants or stored profiles.
 */
@Module({
  imports: [AuditModule, SecretsModule],
  providers: [
    { provide: HOST_LOOKUP, useValue: systemLookup },
    {
      provide: EgressPolicy,
      inject: [APP_CONFIG, HOST_LOOKUP],
      useFactory: (config: AppConfig, lookup: HostLookup) =>
        new EgressPolicy(config.egress.allowedNetworks, config.egress.allowedPorts, lookup),
    },
    { provide: OAuth2TokenClient, useFactory: () => new OAuth2TokenClient() },
    Mailer,
    ProfileHealthRecorder,
    EmailOutbox,
    EmailVerificationService,
  ],
  exports: [EgressPolicy, OAuth2TokenClient, Mailer, HOST_LOOKUP, ProfileHealthRecorder, EmailOutbox, EmailVerificationService],
})
export class MailerModule {}

export interface MailerWorkerModuleOptions {
  /** Modules the resolver needs (e.g. the email-config module). */
  imports?: ModuleMetadata['imports'];
  /** Binds SMTP_PROFILE_RESOLVER: where the worker gets a scope's effective profile at send time. */
  resolver: Provider;
  delivery?: EmailDeliveryOptions;
}

/** The durable delivery worker: runs in the worker app and, by default, in the HTTP app. */
@Module({})
export class MailerWorkerModule {
  static forRoot(options: MailerWorkerModuleOptions): DynamicModule {
    return {
      module: MailerWorkerModule,
      imports: [MailerModule, AuditModule, SecretsModule, ...(options.imports ?? [])],
      providers: [options.resolver, { provide: EMAIL_DELIVERY_OPTIONS, useValue: options.delivery ?? {} }, EmailDeliveryWorker],
      exports: [EmailDeliveryWorker],
    };
  }
}
