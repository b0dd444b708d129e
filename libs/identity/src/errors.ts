import { defineErrors, ErrorCodeOf } from '@mailstrata/common';

/** Error codes of partners, organizations, users, service accounts and sign-in. */
export const IdentityErrors = defineErrors({
  EMAIL_TAKEN: { kind: 'conflict', detail: 'A user with this email address already exists.' },
  PARTNER_EXISTS: { kind: 'conflict', detail: 'A partner with this name already exists.' },
  ORGANIZATION_EXISTS: { kind: 'conflict', detail: 'This partner already has an organization with this name.' },
  ROLE_NOT_ASSIGNABLE: 'forbidden',
  INVALID_CREDENTIALS: { kind: 'unauthenticated', detail: 'The email address or password is not correct.' },
  PASSWORD_POLICY: { kind: 'invalid', detail: 'The password does not meet the policy.' },
  SERVICE_ACCOUNT_EXISTS: { kind: 'conflict', detail: 'A live service account with this name already exists in this scope.' },
  PERMISSION_NOT_GRANTABLE: 'forbidden',
  USERS_ONLY: { kind: 'forbidden', detail: 'This is for signed-in users; a service account cannot do it.' },
});
export type IdentityErrorCode = ErrorCodeOf<typeof IdentityErrors>;
