export { CommonErrors, defineErrors, DomainError, fieldError, notFound, validationFailed } from './domain-error';
export type {
  CommonErrorCode,
  DomainErrorKind,
  ErrorCatalogue,
  ErrorCodeOf,
  ErrorExtra,
  ErrorFactory,
  ErrorSpec,
  FieldError,
} from './domain-error';
export { fieldErrorsOf, STRICT_VALIDATION } from './validation';
export { PeriodicTask } from './periodic-task';
export { CLOCK, systemClock } from './clock';
export type { Clock } from './clock';
export { pooledRandomBytes } from './random-pool';
