/**
 * @mailstrata/delivery — system email that must arrive: above the profiles (@mailstrata/email-config)
 * and the transport (@mailstrata/mailer), importing both directly.
 *  - `EmailOutbox.enqueue(manager, job)`: a durable system email, in the caller's transaction.
 *  - `DeliveryWorkerModule.forRoot(options)`: the worker that claims, sends and books queued emails.
 *  - `SmtpRouteResolver.resolve(scope)`: a scope's effective route at send time; `toSmtpTarget` maps a
 *    resolved (or candidate) profile to the mailer's target.
 *  - `EmailVerificationService`: test emails; `ProfileHealthRecorder`: health per profile version.
 *  - `NatsIntakeModule`: email events from NATS JetStream, queued exactly once per event id (EVENTS_NATS_*).
 *  - `MessageIntake.submit(request, producer, dedup, options?)`: a system email from a producer (send API),
 *    with idempotency, tenancy, quota and the route it will take; `submitEvent` the same for a bus event,
 *    exactly once per event id.
 *  - `DeliveryLogService`: the delivery log (messages, attempts), scoped like the audit log; retention.
 *  - `RouteAlerts`: tells a scope's alerting addresses when its route turns failing or recovers (through the level above).
 *  - `DeliveryReports`: the periodic delivery report per scope with a reporting address (EMAIL_REPORT_INTERVAL).
 *  - `MESSAGE_RENDERER` / `MessageRenderer`: where a template kind and data become subject, text and HTML.
 */
export { DeliveryModule, DeliveryWorkerModule } from './delivery.module';
export { SmtpRouteResolver, toSmtpTarget, profileKeyOf } from './smtp-route';
export type { ResolvedSmtpTarget, SmtpScope, SmtpSource, ProfileForTarget } from './smtp-route';
export { EmailOutbox, EMAIL_JOBS_TOPIC } from './email-outbox';
export type { EmailJobInput } from './email-outbox';
export { EmailDeliveryWorker, EMAIL_DELIVERY_OPTIONS } from './email-delivery.worker';
export { decide, classifyFailure, backoffMs } from './delivery-decision';
export type { Decision, AttemptOutcome, ClassifiedFailure, RetryPolicy } from './delivery-decision';
export type { EmailDeliveryOptions } from './email-delivery.worker';
export { EmailQueued, EmailSent, EmailRetrying, EmailFailed } from './email-delivery.events';
export { ProfileHealthRecorder, isRouteFault } from './profile-health';
export { RouteAlerts, EmailRouteFailing, EmailRouteRecovered, parseProfileKey } from './route-alerts';
export type { RouteTransition, RouteDirection } from './route-alerts';
export { DeliveryReports, REPORT_CLOCK, REPORT_OUTCOMES, lastFinishedPeriod, reportSummary } from './delivery-reports';
export type { DeliveryReport, ReportOutcome, ScopeCounts } from './delivery-reports';
export type { ProfileHealth } from './profile-health';
export {
  EmailVerificationService,
  ownsRoute,
  restrictToForeignRoute,
  EmailVerificationSucceeded,
  EmailVerificationFailed,
} from './verification';
export { DeliveryErrors } from './errors';
export type { DeliveryErrorCode } from './errors';
export type { VerificationRequest, VerificationScope, VerificationAnswer, VerificationCaller } from './verification';
export { reencryptQueuedBodies } from './reencrypt-bodies';
export type { BodyReencryptReport } from './reencrypt-bodies';
export {
  NatsIntakeModule,
  NatsIntakeService,
  EmailEventDto,
  validateEmailEvent,
  EMAIL_EVENT_LIMITS,
  NatsIntakeErrors,
  EmailEventRejected,
  natsConnectionOptions,
} from './nats';
export type { ValidatedEvent, NatsIntakeErrorCode } from './nats';
export { MessageIntake } from './message-intake';
export type { MessageCaller, SubmitOptions, SubmitResult, EventSubmitResult } from './message-intake';
export { TEMPLATE_KINDS, MESSAGE_LIMITS, messageFieldErrors, contentErrors, requestFingerprint } from './message-request';
export type { MessageRequest, MessageProducer, MessageDedup, ProducerType, TemplateKind } from './message-request';
export { MESSAGE_RENDERER, TemplateMessageRenderer } from './message-renderer';
export type { MessageRenderer, RenderedMessage, RenderScope } from './message-renderer';
export {
  DeliveryLogService,
  MESSAGE_STATUSES,
  decodeDeliveryLogCursor,
  DELIVERY_LOG_DEFAULT_LIMIT,
  DELIVERY_LOG_MAX_LIMIT,
} from './delivery-log';
export type {
  DeliveryLogScope,
  DeliveryLogQuery,
  DeliveryLogCursor,
  DeliveryLogPage,
  MessageView,
  AttemptView,
  MessageStatus,
} from './delivery-log';
export { EmailMessageAccepted } from './email-delivery.events';
