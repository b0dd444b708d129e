export { NatsIntakeModule } from './nats-intake.module';
export { NatsIntakeService } from './nats-intake.service';
export { EmailEventDto, validateEmailEvent, EMAIL_EVENT_LIMITS } from './email-event.dto';
export type { ValidatedEvent } from './email-event.dto';
export { NatsIntakeErrors } from './nats-intake.errors';
export type { NatsIntakeErrorCode } from './nats-intake.errors';
export { EmailEventRejected } from './nats-intake.events';
export { connectionOptions as natsConnectionOptions } from './nats-connection';
