import { Module } from '@nestjs/common';
import { AuditModule } from '@mailstrata/audit';
import { DeliveryModule } from '@mailstrata/delivery';
import { IdentityModule } from '@mailstrata/identity';
import { TemplatesModule } from '@mailstrata/templates';
import { AccountOnboarding } from './account-onboarding.service';
import { PasswordResetService } from './password-reset.service';
import { PasswordSetupService } from './password-setup.service';
import { SetupEmailDelivery } from './setup-email-delivery';

/**
 * Account creation strategy, password setup and reset; their emails are rendered by @mailstrata/templates
 * and go through the durable outbox (delivery).
 */
@Module({
  imports: [IdentityModule, AuditModule, TemplatesModule, DeliveryModule],
  providers: [PasswordSetupService, PasswordResetService, AccountOnboarding, SetupEmailDelivery],
  exports: [PasswordSetupService, PasswordResetService, AccountOnboarding],
})
export class AccountsModule {}
