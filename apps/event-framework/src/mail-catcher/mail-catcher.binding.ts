/**
 * Binds the development mail catcher as email-config's controller fallback: the catcher's SMTP server
 * starts while the module graph is built (before any email can be resolved) and its loopback address
 * becomes the controller level. When the catcher is off, the fallback is null and nothing changes.
 */
import { DynamicModule, Module } from '@nestjs/common';
import type { MailCatcherConfig } from '@mailstrata/config';
import { CONTROLLER_SMTP_FALLBACK, ControllerSmtpEnv } from '@mailstrata/email-config';
import { MailCatcher, MailCatcherModule } from '@mailstrata/mail-catcher';

@Module({})
export class MailCatcherBindingModule {
  static forRoot(catcher: DynamicModule): DynamicModule {
    return {
      module: MailCatcherBindingModule,
      imports: [catcher],
      providers: [
        {
          provide: CONTROLLER_SMTP_FALLBACK,
          inject: [MailCatcher],
          useFactory: async (mailCatcher: MailCatcher): Promise<ControllerSmtpEnv | null> => {
            const endpoint = await mailCatcher.start();
            if (!endpoint) return null;
            return {
              host: endpoint.host,
              port: endpoint.port,
              username: undefined,
              password: undefined,
              useTls: false,
              useInsecure: false,
              caCert: undefined,
              senderEmail: endpoint.senderEmail,
              senderName: 'mailstrata (mail catcher)',
              retries: 3,
            };
          },
        },
      ],
      exports: [CONTROLLER_SMTP_FALLBACK],
    };
  }
}

export function mailCatcherModules(config: MailCatcherConfig | undefined): { catcher: DynamicModule; binding: DynamicModule } {
  const catcher = MailCatcherModule.forRoot(config);
  return { catcher, binding: MailCatcherBindingModule.forRoot(catcher) };
}
