export { MailerModule } from './mailer.module';
export { Mailer, MAILER_OPTIONS } from './mailer';
export type { MailerOptions, SendResult, VerificationResult, VerificationTimings } from './mailer';
export {
  EgressPolicy,
  HOST_LOOKUP,
  systemLookup,
  DEFAULT_SMTP_PORTS,
  DESTINATION_REFUSED,
  destinationRefused,
  normalizeHost,
} from './egress-guard';
export type { HostLookup, CheckedDestination } from './egress-guard';
export { OAuth2TokenClient } from './oauth2-token-client';
export { SmtpDeliveryError, classifySmtpError, SMTP_STAGES } from './smtp-failure';
export type { SmtpStage, SmtpFailure } from './smtp-failure';
export { SMTP_PROFILE_RESOLVER, authUsername } from './smtp-target';
export type {
  SmtpTarget,
  SmtpAuth,
  TlsMode,
  OAuth2ClientCredentials,
  ResolvedSmtpTarget,
  SmtpScope,
  SmtpSource,
  SmtpProfileResolver,
} from './smtp-target';
export { headerFieldErrors, isPlainAddress } from './message';
export type { OutgoingEmail } from './message';
