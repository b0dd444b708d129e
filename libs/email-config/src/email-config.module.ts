import { DynamicModule, Module, ModuleMetadata } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '@mailstrata/audit';
import { APP_CONFIG, AppConfig } from '@mailstrata/config';
import { SecretsModule } from '@mailstrata/secrets';
import { ConfigScopeResolver } from './config-scope';
import { controllerProfileFrom } from './controller-profile';
import { EffectiveConfigService } from './effective-config.service';
import { EmailConfigService } from './email-config.service';
import { CONTROLLER_PROFILE, CONTROLLER_SMTP_FALLBACK, ControllerSmtpEnv } from './ports';
import { RequestHeaderSealer } from './reencrypt';
import { SmtpProfileEntity } from './smtp-profile.entity';
import { SmtpProfileRepository } from './smtp-profile.repository';

const base = {
  imports: [TypeOrmModule.forFeature([SmtpProfileEntity]), AuditModule, SecretsModule],
  providers: [
    // Validated at start: a bad FW_EVENT_SMTP_* value stops the app with a message naming the variable.
    {
      provide: CONTROLLER_PROFILE,
      inject: [APP_CONFIG, { token: CONTROLLER_SMTP_FALLBACK, optional: true }],
      useFactory: (config: AppConfig, fallback: ControllerSmtpEnv | null | undefined) =>
        controllerProfileFrom(config) ?? (fallback ? controllerProfileFrom({ controllerSmtp: fallback }) : undefined) ?? null,
    },
    SmtpProfileRepository,
    EffectiveConfigService,
    EmailConfigService,
    ConfigScopeResolver,
    RequestHeaderSealer,
  ],
  exports: [EffectiveConfigService, EmailConfigService, ConfigScopeResolver, SecretsModule, CONTROLLER_PROFILE],
} satisfies ModuleMetadata;

/**
 * SMTP profiles (partner and org), the controller profile from the environment, and the cached
 * resolution between them. `EmailConfigModule` as is binds no egress policy; `forRoot({ imports })`
 * lets the mailer pass a module that exports `SMTP_DESTINATION_POLICY` (that module must not import
 * this one, or Nest sees a cycle).
 */
@Module(base)
export class EmailConfigModule {
  static forRoot(options: { imports?: ModuleMetadata['imports'] } = {}): DynamicModule {
    return { module: EmailConfigModule, ...base, imports: [...base.imports, ...(options.imports ?? [])] };
  }
}
