import { DynamicModule, Module, Provider } from '@nestjs/common';
import { AuditModule } from '@mailstrata/audit';
import { IdentityModule } from '@mailstrata/identity';
import { TemplatesModule } from '@mailstrata/templates';
import { AccountOnboarding } from './account-onboarding.service';
import { PasswordSetupService } from './password-setup.service';

/**
 * Account creation strategy and password setup (its email rendered by @mailstrata/templates). `forRoot` takes the module that provides the
 * SETUP_EMAIL_DELIVERY port (email delivery), so this library does not pick a mail stack itself.
 */
@Module({})
export class AccountsModule {
  static forRoot(options: { imports?: DynamicModule['imports']; providers?: Provider[] } = {}): DynamicModule {
    return {
      module: AccountsModule,
      imports: [IdentityModule, AuditModule, TemplatesModule, ...(options.imports ?? [])],
      providers: [PasswordSetupService, AccountOnboarding, ...(options.providers ?? [])],
      exports: [PasswordSetupService, AccountOnboarding],
    };
  }
}
