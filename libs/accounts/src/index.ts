export { AccountsModule } from './accounts.module';
export { AccountOnboarding } from './account-onboarding.service';
export { PasswordSetupService, invalidSetupToken } from './password-setup.service';
export { renderSetupEmail, setupLink } from './setup-email';
export type { SetupEmailContent } from './setup-email';
export { SetupEmailDelivery, PASSWORD_SETUP_EMAIL_KIND } from './setup-email-delivery';
export { AccountsErrors } from './errors';
export type { AccountsErrorCode } from './errors';
