/**
 * Errors that libraries throw instead of HTTP exceptions. The HTTP layer maps `kind` to a status and
 * renders `code` as the stable machine-readable identifier, so domain code never knows about HTTP.
 * `detail` is shown to callers: it must never contain a secret, a token or an email body.
 *
 * Each library declares its codes once, in a catalogue made with `defineErrors`, and throws through the
 * catalogue's constructors; callers that branch on an error (the delivery worker's retry decision, the
 * outbox) test it with the constructor's `is`, so a renamed code is a compile error, not a silent miss.
 */
export type DomainErrorKind =
  | 'invalid' // 400
  | 'unauthenticated' // 401
  | 'forbidden' // 403
  | 'not_found' // 404
  | 'conflict' // 409
  | 'precondition_failed' // 412
  | 'precondition_required' // 428
  | 'unprocessable' // 422
  | 'rate_limited' // 429
  | 'bad_gateway' // 502: an upstream (SMTP, OAuth2, DNS) answered badly
  | 'unavailable'; // 503: a dependency is down

export interface FieldError {
  /** Dotted path of the offending input field, e.g. `email_config.smtp_config.port`. */
  field: string;
  /** The rule that failed, e.g. `isEmail`, `max`, `required`, `unknown_field`. */
  rule: string;
  message: string;
}

export class DomainError<C extends string = string> extends Error {
  constructor(
    readonly code: C,
    readonly kind: DomainErrorKind,
    readonly detail: string,
    readonly errors: FieldError[] = [],
    /** Extra members for the problem document (e.g. `stage`, `smtp_code`); never secrets. */
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(`${code}: ${detail}`);
    this.name = 'DomainError';
  }
}

export function fieldError(field: string, rule: string, message: string): FieldError {
  return { field, rule, message };
}

/** A catalogue entry: the kind alone, or the kind with the detail used when a throw site gives none. */
export type ErrorSpec = DomainErrorKind | { readonly kind: DomainErrorKind; readonly detail: string };

export interface ErrorExtra {
  errors?: FieldError[];
  /** Extra members for the problem document; never secrets. */
  extensions?: Record<string, unknown>;
}

/** Builds the errors of one code; `is` recognises them wherever they were thrown. */
export interface ErrorFactory<C extends string> {
  (detail?: string, extra?: ErrorExtra): DomainError<C>;
  readonly code: C;
  readonly kind: DomainErrorKind;
  readonly defaultDetail: string | undefined;
  is(error: unknown): error is DomainError<C>;
}

export type ErrorCatalogue<T extends Record<string, ErrorSpec>> = { readonly [C in keyof T & string]: ErrorFactory<C> };

/** The union of the codes a catalogue defines: `type IdentityErrorCode = ErrorCodeOf<typeof IdentityErrors>`. */
export type ErrorCodeOf<T> = T extends ErrorCatalogue<infer S> ? keyof S & string : never;

/**
 * Declares a library's error codes: `defineErrors({ TENANT_NOT_FOUND: 'not_found', ... })` gives
 * `TENANT_NOT_FOUND(detail?, { errors?, extensions? })`, `.code`, `.kind` and `.is(error)` per code.
 */
export function defineErrors<const T extends Record<string, ErrorSpec>>(specs: T): ErrorCatalogue<T> {
  const catalogue: Record<string, ErrorFactory<string>> = {};
  for (const [code, spec] of Object.entries(specs)) {
    const kind = typeof spec === 'string' ? spec : spec.kind;
    const defaultDetail = typeof spec === 'string' ? undefined : spec.detail;
    const factory = (detail?: string, extra: ErrorExtra = {}) =>
      new DomainError(code, kind, detail ?? defaultDetail ?? code, extra.errors ?? [], extra.extensions ?? {});
    catalogue[code] = Object.assign(factory, {
      code,
      kind,
      defaultDetail,
      is: (error: unknown): error is DomainError<string> => error instanceof DomainError && error.code === code,
    });
  }
  return catalogue as ErrorCatalogue<T>;
}

/** Codes every library may throw; a library's own catalogue never redefines them with another kind. */
export const CommonErrors = defineErrors({
  VALIDATION_FAILED: { kind: 'invalid', detail: 'The request has invalid fields.' },
  NOT_FOUND: 'not_found',
  FORBIDDEN: 'forbidden',
  PRECONDITION_FAILED: 'precondition_failed',
  RATE_LIMITED: 'rate_limited',
  DEPENDENCY_UNAVAILABLE: 'unavailable',
});
export type CommonErrorCode = ErrorCodeOf<typeof CommonErrors>;

/** `VALIDATION_FAILED` naming each offending field and rule; `detail` defaults to the generic sentence. */
export function validationFailed(errors: FieldError[], detail?: string): DomainError<'VALIDATION_FAILED'> {
  return CommonErrors.VALIDATION_FAILED(detail, { errors });
}

/** `NOT_FOUND` for one thing the caller named or cannot see: "Organization was not found". */
export function notFound(what: string): DomainError<'NOT_FOUND'> {
  return CommonErrors.NOT_FOUND(`${what} was not found`);
}
