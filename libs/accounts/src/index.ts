export { AccountsModule } from './accounts.module';
export { AccountOnboarding } from './account-onboarding.service';
export { PasswordSetupService, invalidSetupToken } from './password-setup.service';
export { SETUP_EMAIL_DELIVERY } from './setup-email-delivery.port';
export type { SetupEmailDelivery } from './setup-email-delivery.port';
export { renderSetupEmail, setupLink } from './setup-email';
export type { SetupEmailContent } from './setup-email';
export { OutboxSetupEmailDelivery, PASSWORD_SETUP_EMAIL_KIND } from './outbox-setup-email-delivery';
