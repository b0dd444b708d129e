import { Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@mailstrata/config';
import { EgressPolicy, HOST_LOOKUP, HostLookup, systemLookup } from './egress-guard';
import { Mailer } from './mailer';
import { OAuth2TokenClient } from './oauth2-token-client';

/**
 * The SMTP transport: the egress policy (from SMTP_ALLOWED_NETWORKS / SMTP_ALLOWED_PORTS), the OAuth2
 * token cache and the mailer with its pooled transports. Knows nothing about tenants, stored profiles
 * or queues: the delivery library builds on it.
 */
@Module({
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
  ],
  exports: [EgressPolicy, OAuth2TokenClient, Mailer, HOST_LOOKUP],
})
export class MailerModule {}
