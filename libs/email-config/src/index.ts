/**
 * @mailstrata/email-config — SMTP profiles of partners and organizations, the controller profile from
 * FW_EVENT_SMTP_SERVER_*, and the resolution org → partner → controller (cached per replica, kept
 * coherent across replicas over the change bus). It never returns a secret to a caller outside the
 * process and never logs one.
 *
 * For delivery and verification (libs/delivery):
 *  - `EffectiveConfigService.resolveForOrg(orgId)` / `resolveForPartner(partnerId)` → `ResolvedSmtpProfile`:
 *    the effective profile WITH decrypted secrets, its `source` (org|partner|controller), ids and
 *    version. Throws DomainError NOT_FOUND / NO_SMTP_CONFIG. Internal use only.
 *  - `ProfileVersionsService`: a scope's versions (list, get, draft, activate/rollback) and
 *    `prepareVersion(scope, n)`: a saved version's settings WITH secrets, for a test through it.
 *  - `EmailConfigService.prepareCandidate(scope, rawSmtpConfig, path?)` → `PreparedCandidate`: validates
 *    an unsaved `smtp_config` exactly like POST and applies the secret rules against the scope's stored
 *    profile (a new destination must carry its own secrets; otherwise stored ones are borrowed).
 *  - `ConfigScopeResolver.resolve(principal, {partnerId, orgId}, 'own' | 'effective')` → `ConfigScope`.
 *  - `SMTP_DESTINATION_POLICY` + `SmtpDestinationPolicy { check(host, port), checkTokenEndpoint(url) }`: the egress
 *    check run at save time, bound by EmailConfigModule to the mailer's egress guard.
 *  - `NotificationRecipientsService`: a scope's admin, alerting and reporting addresses (own table, not
 *    versioned with the profile); `addressesFor(scope, role)` for alerts and reports.
 *  - `validateSmtpConfig` (class-validator over `SmtpConfigDto`, whose classes the app's OpenAPI document
 *    shows), `isHostname`, and the `SmtpSettings` / `SmtpSecrets` types.
 */
export { EmailConfigModule } from './email-config.module';
export { EmailConfigService, checkPreconditions } from './email-config.service';
export type { Preconditions, WriteResult, PreparedCandidate } from './email-config.service';
export { ProfileVersionsService, MAX_VERSION_PAGE } from './profile-versions.service';
export type { VersionPage, ActivationResult, DraftInput } from './profile-versions.service';
export { EffectiveConfigService, EMAIL_CONFIG_TOPIC, scopeKey } from './effective-config.service';
export type { OrgInfo, ResolveOptions } from './effective-config.service';
export { ConfigScopeResolver } from './config-scope';
export type { ScopeQuery, ScopePurpose } from './config-scope';
export { SMTP_DESTINATION_POLICY, CONTROLLER_PROFILE } from './ports';
export type { SmtpDestinationPolicy, ControllerSmtpEnv } from './ports';
export { controllerProfileFrom, ControllerProfileError } from './controller-profile';
export type { ControllerProfile } from './controller-profile';
export { validateSmtpConfig, mergeSmtpPatch, isHostname, SMTP_CONFIG_PATH } from './smtp-config.validation';
export { SmtpConfigDto, OAuth2ConfigDto, RequestHeaderDto } from './smtp-config.dto';
export { resolveCandidateSecrets, resolveCandidateCredentials } from './secret-rules';
export { SecretRefReader, SecretRefError, secretRefNameProblem, ownerDirOf, ownerOfScope, NO_REFS } from './secret-refs';
export type { SecretRefs, SecretRefOwner, SecretRefFailure, SecretFileContent } from './secret-refs';
export { reencryptAllSecrets, sealPlaintextRequestHeaders } from './reencrypt';
export type { ReencryptReport } from './reencrypt';
export {
  EmailConfigCreated,
  EmailConfigUpdated,
  EmailConfigDeleted,
  EmailConfigDraftCreated,
  EmailConfigActivated,
} from './email-config.events';
export { SmtpProfileEntity, PRIMARY_ROUTE, PROFILE_STATES } from './smtp-profile.entity';
export type { ProfileRoute, ProfileState } from './smtp-profile.entity';
export { SmtpProfileRepository } from './smtp-profile.repository';
export type { OrgProfiles, OrgFacts } from './smtp-profile.repository';
export { useTlsOf, TLS_MODES, AUTH_TYPES } from './smtp-settings';
export { representationEtagOf } from './profile.model';
export type { SmtpSettings, SmtpSecrets, OAuth2Settings, TlsMode, AuthType } from './smtp-settings';
export type {
  ConfigScope,
  StoredProfile,
  EffectiveProfile,
  EffectiveRoute,
  ResolvedSmtpProfile,
  SecretFlags,
  ProfileSource,
} from './profile.model';
export { resolveSender, publicUrlSender } from './sender';
export type { EffectiveSender, SenderSource, SenderDefaults } from './sender';
export {
  NotificationRecipientsService,
  NotificationRecipientsUpdated,
  NotificationRecipientsDeleted,
  notificationAddressErrors,
  NOTIFICATION_ROLES,
  MAX_NOTIFICATION_ADDRESSES,
} from './notification-recipients';
export type { NotificationRole, NotificationAddresses, NotificationScope, StoredNotificationRecipients } from './notification-recipients';
export { EmailConfigErrors } from './errors';
export type { EmailConfigErrorCode } from './errors';
