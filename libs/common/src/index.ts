export { DomainError, fieldError } from './domain-error';
export type { DomainErrorKind, FieldError } from './domain-error';
export { PeriodicTask } from './periodic-task';
export { CLOCK, systemClock } from './clock';
export type { Clock } from './clock';
export { pooledRandomBytes } from './random-pool';
