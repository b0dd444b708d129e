/**
 * How a new account gets its first credential. Identity stores users; *how* they are onboarded
 * (password at creation, or a password-setup email) is a strategy the caller passes in, so the accounts
 * library can add the email flow without identity depending on it.
 */
import { Injectable } from '@nestjs/common';
import { fieldError, validationFailed } from '@mailstrata/common';
import { EntityManager } from 'typeorm';
import { normalizeEmail } from './auth.service';
import { UserEntity, UserStatus } from './entities';
import { IdentityErrors } from './errors';
import { checkPasswordPolicy, PasswordHasher } from './password';
import { Actor } from './principal';

export interface NewAccount {
  email: string;
  password?: string;
}

export interface PreparedAccount {
  email: string;
  passwordHash: string | null;
  status: UserStatus;
}

/** Where the new user will live; `null` ids for a scope that does not exist yet (it is being created). */
export interface OnboardingTarget {
  partnerId: string | null;
  orgId: string | null;
}

export interface OnboardingContext {
  partnerName: string | null;
  organizationName: string | null;
}

export interface Onboarding {
  /** Validates the requested account and turns it into what is stored. Runs before any transaction. */
  prepare(account: NewAccount, passwordField: string, target: OnboardingTarget): Promise<PreparedAccount>;
  /** Runs inside the creating transaction once the user row exists. */
  afterUserCreated(manager: EntityManager, user: UserEntity, actor: Actor | null, context: OnboardingContext): Promise<void>;
}

/** AUTO: a password is required at creation, checked against the policy and hashed. */
@Injectable()
export class PasswordOnboarding implements Onboarding {
  constructor(private readonly hasher: PasswordHasher) {}

  async prepare(account: NewAccount, passwordField: string): Promise<PreparedAccount> {
    const email = normalizeEmail(account.email);
    if (account.password === undefined) {
      throw validationFailed(
        [fieldError(passwordField, 'required', 'is required when ACCOUNT_CREATION_STRATEGY is AUTO')],
        'A password is required when ACCOUNT_CREATION_STRATEGY is AUTO.',
      );
    }
    const problems = checkPasswordPolicy(account.password, email, passwordField);
    if (problems.length > 0) throw IdentityErrors.PASSWORD_POLICY(undefined, { errors: problems });
    return { email, passwordHash: await this.hasher.hash(account.password), status: 'active' };
  }

  async afterUserCreated(): Promise<void> {
    // Nothing to send: the account is usable at once.
  }
}
