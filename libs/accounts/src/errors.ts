import { defineErrors, ErrorCodeOf } from '@mailstrata/common';

/** Error codes of account onboarding, password setup and password reset. */
export const AccountsErrors = defineErrors({
  INVALID_SETUP_TOKEN: {
    kind: 'invalid',
    detail: 'This password-setup link is not valid (it may be used, expired or replaced). Ask for a new one.',
  },
  INVALID_RESET_TOKEN: {
    kind: 'invalid',
    detail: 'This password-reset link is not valid (it may be used, expired or replaced). Ask for a new one.',
  },
  // The same code as the sign-in throttler's 429, so clients handle both alike.
  RATE_LIMITED: { kind: 'rate_limited', detail: 'Too many password-reset requests; try again later.' },
  ACCOUNT_VERIFY_NOT_AVAILABLE: { kind: 'unavailable', detail: 'Password-setup emails cannot be sent by this deployment.' },
  PASSWORD_NOT_ACCEPTED: {
    kind: 'invalid',
    detail: 'With ACCOUNT_CREATION_STRATEGY=VERIFY the user sets the password from an email link.',
  },
  SMTP_NOT_CONFIGURED: {
    kind: 'conflict',
    detail:
      'ACCOUNT_CREATION_STRATEGY=VERIFY sends the new user a password-setup email, but no SMTP profile applies here ' +
      '(none for the organization, the partner or the controller). Configure one first; nothing was created.',
  },
});
export type AccountsErrorCode = ErrorCodeOf<typeof AccountsErrors>;
