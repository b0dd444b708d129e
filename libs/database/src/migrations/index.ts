/**
 * Every migration, in order. Listed by hand (not globbed) so the build, jest and the CLI see the same
 * set. Add new ones at the end; never edit one that has shipped.
 */
import { Foundation1763800000000 } from './1763800000000-foundation';
import { SmtpProfiles1763900000000 } from './1763900000000-smtp-profiles';
import { EmailDelivery1764000000000 } from './1764000000000-email-delivery';
import { PasswordSetup1764200000000 } from './1764200000000-password-setup';
import { AuditSeqNotUnique1764300000000 } from './1764300000000-audit-seq-not-unique';
import { RateLimits1764400000000 } from './1764400000000-rate-limits';
import { RequestHeaderSecrets1764500000000 } from './1764500000000-request-header-secrets';
import { ProfileHealthPerVersion1764550000000 } from './1764550000000-profile-health-per-version';
import { MailCatcher1764700000000 } from './1764700000000-mail-catcher';
import { ProfileRoutes1764800000000 } from './1764800000000-profile-routes';
import { ServiceAccounts1764900000000 } from './1764900000000-service-accounts';
import { EmailTemplates1764950000000 } from './1764950000000-email-templates';
import { EmailMessages1765000000000 } from './1765000000000-email-messages';
import { EmailJobsFairClaim1765050000000 } from './1765050000000-email-jobs-fair-claim';
import { PasswordReset1765100000000 } from './1765100000000-password-reset';
import { EmailEventsSeen1765150000000 } from './1765150000000-email-events-seen';
import { ProfileVersions1765200000000 } from './1765200000000-profile-versions';
import { RouteAlertsAndReports1765300000000 } from './1765300000000-route-alerts-and-reports';
import { SmtpSecretRefs1765350000000 } from './1765350000000-smtp-secret-refs';
import { EmailFailoverRoutes1765250000000 } from './1765250000000-email-failover-routes';

export const MIGRATIONS = [
  Foundation1763800000000,
  SmtpProfiles1763900000000,
  EmailDelivery1764000000000,
  PasswordSetup1764200000000,
  AuditSeqNotUnique1764300000000,
  RateLimits1764400000000,
  RequestHeaderSecrets1764500000000,
  ProfileHealthPerVersion1764550000000,
  MailCatcher1764700000000,
  ProfileRoutes1764800000000,
  ServiceAccounts1764900000000,
  EmailTemplates1764950000000,
  EmailMessages1765000000000,
  EmailJobsFairClaim1765050000000,
  PasswordReset1765100000000,
  EmailEventsSeen1765150000000,
  ProfileVersions1765200000000,
  RouteAlertsAndReports1765300000000,
  SmtpSecretRefs1765350000000,
  EmailFailoverRoutes1765250000000,
];
