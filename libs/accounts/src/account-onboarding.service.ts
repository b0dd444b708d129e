/**
 * ACCOUNT_CREATION_STRATEGY as an onboarding strategy for identity's creation flows. AUTO: a password at
 * creation. VERIFY: no password accepted; the user is pending and gets a password-setup email, queued in
 * the creating transaction — and creation is refused up front when no SMTP level could carry that email.
 */
import { Inject, Injectable } from '@nestjs/common';
import { fieldError } from '@mailstrata/common';
import { APP_CONFIG, AppConfig } from '@mailstrata/config';
import {
  Actor,
  NewAccount,
  normalizeEmail,
  Onboarding,
  OnboardingTarget,
  PasswordOnboarding,
  PreparedAccount,
  UserEntity,
} from '@mailstrata/identity';
import { EntityManager } from 'typeorm';
import { PasswordSetupService } from './password-setup.service';
import { AccountsErrors } from './errors';

@Injectable()
export class AccountOnboarding implements Onboarding {
  constructor(
    private readonly passwords: PasswordOnboarding,
    private readonly setup: PasswordSetupService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  get strategy() {
    return this.config.identity.accountCreationStrategy;
  }

  async prepare(account: NewAccount, passwordField: string, target: OnboardingTarget): Promise<PreparedAccount> {
    if (this.strategy === 'AUTO') return this.passwords.prepare(account, passwordField);
    if (account.password !== undefined) {
      throw AccountsErrors.PASSWORD_NOT_ACCEPTED(undefined, {
        errors: [fieldError(passwordField, 'notAllowed', 'must be absent when ACCOUNT_CREATION_STRATEGY is VERIFY')],
      });
    }
    await this.setup.assertDeliverable(target);
    return { email: normalizeEmail(account.email), passwordHash: null, status: 'pending' };
  }

  async afterUserCreated(manager: EntityManager, user: UserEntity, actor: Actor | null): Promise<void> {
    if (user.status === 'pending') await this.setup.issueAndSend(manager, user, actor);
  }
}
