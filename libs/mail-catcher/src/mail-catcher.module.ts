import { DynamicModule, Module } from '@nestjs/common';
import type { MailCatcherConfig } from '@mailstrata/config';
import { MAIL_CATCHER_OPTIONS, MailCatcher } from './mail-catcher';

/** The development mail catcher; with `config` undefined it provides a MailCatcher that never starts. */
@Module({})
export class MailCatcherModule {
  static forRoot(config: MailCatcherConfig | undefined): DynamicModule {
    return {
      module: MailCatcherModule,
      providers: [{ provide: MAIL_CATCHER_OPTIONS, useValue: config ?? null }, MailCatcher],
      exports: [MailCatcher],
    };
  }
}
