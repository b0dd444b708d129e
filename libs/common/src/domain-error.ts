/**
 * Errors that libraries throw instead of HTTP exceptions. The HTTP layer maps `kind` to a status and
 * renders `code` as the stable machine-readable identifier, so domain code never knows about HTTP.
 * `detail` is shown to callers: it must never contain a secret, a token or an email body.
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

export class DomainError extends Error {
  constructor(
    readonly code: string,
    readonly kind: DomainErrorKind,
    readonly detail: string,
    readonly errors: FieldError[] = [],
    /** Extra members for the problem document (e.g. `stage`, `smtp_code`); never secrets. */
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(`${code}: ${detail}`);
    this.name = 'DomainError';
  }

  static invalid(code: string, detail: string, errors: FieldError[] = []): DomainError {
    return new DomainError(code, 'invalid', detail, errors);
  }

  static notFound(what: string): DomainError {
    return new DomainError('NOT_FOUND', 'not_found', `${what} was not found`);
  }

  static forbidden(code: string, detail: string): DomainError {
    return new DomainError(code, 'forbidden', detail);
  }

  static conflict(code: string, detail: string, errors: FieldError[] = []): DomainError {
    return new DomainError(code, 'conflict', detail, errors);
  }
}

export function fieldError(field: string, rule: string, message: string): FieldError {
  return { field, rule, message };
}
