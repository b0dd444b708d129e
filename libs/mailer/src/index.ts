/**
 * @mailstrata/mailer — the SMTP transport, for a target already resolved by the caller.
 *  - `Mailer.send(target, email)` (pooled, per profile version) and `Mailer.verify(target, email?)`
 *    (one conversation with per-stage timings; no email = connect mode).
 *  - `EgressPolicy.check/checkAtSave(host, port)`: the egress guard.
 *  - SMTP and TLS failure classification (`SmtpDeliveryError`, stages, TLS reasons), header checks.
 *  - `MailerErrors`: the transport's error codes (delivery failed, destination refused, invalid message).
 * Durable delivery (queue, worker, test emails) lives in @mailstrata/delivery, above this library.
 */
export { MailerModule } from './mailer.module';
export { MailerErrors } from './errors';
export type { MailerErrorCode } from './errors';
export { Mailer, MAILER_OPTIONS } from './mailer';
export type { MailerOptions, SendResult, VerificationResult, VerificationTimings } from './mailer';
export {
  EgressPolicy,
  HOST_LOOKUP,
  systemLookup,
  DEFAULT_SMTP_PORTS,
  destinationRefused,
  DestinationRefusedError,
  normalizeHost,
} from './egress-guard';
export type { HostLookup, CheckedDestination } from './egress-guard';
export { OAuth2TokenClient } from './oauth2-token-client';
export { SmtpDeliveryError, classifySmtpError, SMTP_STAGES, failure as smtpFailure } from './smtp-failure';
export type { SmtpStage, SmtpFailure } from './smtp-failure';
export { authUsername } from './smtp-target';
export type { SmtpTarget, SmtpAuth, TlsMode, OAuth2ClientCredentials } from './smtp-target';
export { headerFieldErrors, isPlainAddress, assertSendable } from './message';
export type { OutgoingEmail } from './message';
export { TLS_REASONS, speaksImplicitTls } from './tls-failure';
export type { TlsReason } from './tls-failure';
