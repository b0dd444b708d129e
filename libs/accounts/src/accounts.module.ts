import { Module } from '@nestjs/common';
import { AuditModule } from '@mailstrata/audit';
import { DeliveryModule } from '@mailstrata/delivery';
import { IdentityModule } from '@mailstrata/identity';
import { AccountOnboarding } from './account-onboarding.service';
import { PasswordSetupService } from './password-setup.service';
import { SetupEmailDelivery } from './setup-email-delivery';

/** Account creation strategy and password setup; the setup emails go through the durable outbox (delivery). */
@Module({
  imports: [IdentityModule, AuditModule, DeliveryModule],
  providers: [PasswordSetupService, AccountOnboarding, SetupEmailDelivery],
  exports: [PasswordSetupService, AccountOnboarding],
})
export class AccountsModule {}
