import { DynamicModule, Module } from '@nestjs/common';
import type { MailCatcherConfig } from '@mailstrata/config';
import { MAIL_CATCHER_LISTENER, MAIL_CATCHER_OPTIONS, MailCatcher, MailCatcherListener } from './mail-catcher';

/** The development mail catcher; without a running listener it provides a MailCatcher that is off. */
@Module({})
export class MailCatcherModule {
  static forRoot(config: MailCatcherConfig | undefined, listener: MailCatcherListener | null): DynamicModule {
    return {
      module: MailCatcherModule,
      providers: [
        { provide: MAIL_CATCHER_OPTIONS, useValue: config ?? null },
        { provide: MAIL_CATCHER_LISTENER, useValue: listener },
        MailCatcher,
      ],
      exports: [MailCatcher],
    };
  }
}
