import { DynamicModule, Module, Provider } from '@nestjs/common';
import { AuditModule } from '@mailstrata/audit';
import { IdentityModule } from '@mailstrata/identity';
import { AccountOnboarding } from './account-onboarding.service';
import { PasswordSetupService } from './password-setup.service';

/**
 * Account creation strategy and password setup. `forRoot` takes the module that provides the
 * SETUP_EMAIL_DELIVERY port (email delivery), so this library does not pick a mail stack itself.
 */
@Module({})
export class AccountsModule {
  static forRoot(options: { imports?: DynamicModule['imports']; providers?: Provider[] } = {}): DynamicModule {
    return {
      module: AccountsModule,
      imports: [IdentityModule, AuditModule, ...(options.imports ?? [])],
      providers: [PasswordSetupService, AccountOnboarding, ...(options.providers ?? [])],
      exports: [PasswordSetupService, AccountOnboarding],
    };
  }
}
