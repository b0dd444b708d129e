/**
 * @mailstrata/mailer — delivery and verification of email through a resolved SMTP profile.
 *  - `Mailer.send(target, email)` (pooled, per profile version) and `Mailer.verify(target, email?)`
 *    (one conversation with per-stage timings; no email = connect mode).
 *  - `EgressPolicy.check/checkAtSave(host, port)`: the egress guard (bind it to email-config's save check).
 *  - `EmailOutbox.enqueue(manager, job)`: durable system email, in the caller's transaction.
 *  - `MailerWorkerModule.forRoot({ resolver })`: the delivery worker; bind `SMTP_PROFILE_RESOLVER`.
 */
export { MailerModule, MailerWorkerModule } from './mailer.module';
export type { MailerWorkerModuleOptions } from './mailer.module';
export { Mailer, MAILER_OPTIONS } from './mailer';
export type { MailerOptions, SendResult, VerificationResult, VerificationTimings } from './mailer';
export {
  EgressPolicy,
  HOST_LOOKUP,
  systemLookup,
  DEFAULT_SMTP_PORTS,
  DESTINATION_REFUSED,
  destinationRefused,
  DestinationRefusedError,
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
export { EmailOutbox, EMAIL_JOBS_TOPIC } from './email-outbox';
export type { EmailJobInput } from './email-outbox';
export { EmailDeliveryWorker, EMAIL_DELIVERY_OPTIONS, backoffMs } from './email-delivery.worker';
export type { EmailDeliveryOptions } from './email-delivery.worker';
export { EmailQueued, EmailSent, EmailRetrying, EmailFailed } from './email-delivery.events';
export { ProfileHealthRecorder } from './profile-health';
export type { ProfileHealth } from './profile-health';
export {
  EmailVerificationService,
  ownsRoute,
  restrictToForeignRoute,
  ROUTE_NOT_OWNED,
  EmailVerificationSucceeded,
  EmailVerificationFailed,
} from './verification';
export type { VerificationRequest, VerificationScope, VerificationAnswer, VerificationCaller } from './verification';
export { TLS_REASONS, speaksImplicitTls } from './tls-failure';
export type { TlsReason } from './tls-failure';
export { reencryptQueuedBodies } from './reencrypt-bodies';
export type { BodyReencryptReport } from './reencrypt-bodies';
