export { IdentityModule } from './identity.module';
export { AuthService, normalizeEmail } from './auth.service';
export type { LoginResult } from './auth.service';
export { SessionService, SESSION_TOPIC, USER_TOPIC, hashToken } from './session.service';
export { TenantService, ORGANIZATION_TOPIC } from './tenant.service';
export {
  ServiceAccountService,
  SERVICE_ACCOUNT_TOPIC,
  SERVICE_ACCOUNT_TOKEN_PREFIX,
  LAST_USED_RESOLUTION_MS,
  isServiceAccountToken,
} from './service-account.service';
export type { CreateServiceAccountInput } from './service-account.service';
export type { CreateUserInput } from './tenant.service';
export { PasswordOnboarding } from './onboarding';
export type { NewAccount, PreparedAccount, Onboarding, OnboardingTarget, OnboardingContext } from './onboarding';
export { BootstrapAdminService } from './bootstrap.service';
export { PartnerEntity, OrganizationEntity, UserEntity, SessionEntity, ServiceAccountEntity } from './entities';
export type { UserStatus } from './entities';
export {
  ROLES,
  PERMISSIONS,
  SERVICE_ACCOUNT_PERMISSIONS,
  permissionsOf,
  hasPermission,
  assignableRoles,
  canGrantToServiceAccount,
} from './roles';
export type { Role, Permission, ServiceAccountPermission } from './roles';
export {
  actorFor,
  scopeLevelOf,
  actingAsSelf,
  principalPermissions,
  principalHasPermission,
  isControllerAdmin,
  describePrincipal,
} from './principal';
export type { Principal, UserPrincipal, ServiceAccountPrincipal, Actor, ScopeLevel, RequestMeta } from './principal';
export { PasswordHasher, checkPasswordPolicy, PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH } from './password';
export { uniqueViolation } from './pg-errors';
export { IdentityErrors } from './errors';
export type { IdentityErrorCode } from './errors';
