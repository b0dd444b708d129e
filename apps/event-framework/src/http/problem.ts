/**
 * RFC 9457 problem documents. Every error the service answers goes through `toProblem`, from Nest's
 * exception filter and from Fastify's own error handler (body parsing, hooks), so all errors look alike.
 */
import { HttpException, HttpStatus, Logger } from '@nestjs/common';
import { ThrottlerException } from '@nestjs/throttler';
import { CommonErrors, DomainError, DomainErrorKind, FieldError } from '@mailstrata/common';
import { isDatabaseUnavailable, POSTGRES_DEPENDENCY } from '@mailstrata/database';
import type { FastifyReply, FastifyRequest } from 'fastify';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

const DEPENDENCY_UNAVAILABLE = CommonErrors.DEPENDENCY_UNAVAILABLE.code;

/** The status of each DomainError kind; every catalogue's codes answer with their kind's status. */
export const KIND_STATUS: Record<DomainErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  precondition_failed: 412,
  precondition_required: 428,
  unprocessable: 422,
  rate_limited: 429,
  bad_gateway: 502,
  unavailable: 503,
};

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  instance?: string;
  correlation_id: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

/** Codes for Nest's own HTTP exceptions; a code that is also in a catalogue answers with the same status. */
export const HTTP_CODES: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  408: 'REQUEST_TIMEOUT',
  409: 'CONFLICT',
  411: 'LENGTH_REQUIRED',
  412: 'PRECONDITION_FAILED',
  413: 'PAYLOAD_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
  431: 'HEADERS_TOO_LARGE',
};

/** Fastify's own errors, renamed and explained without echoing the request back. */
const FASTIFY_CODES: Record<string, { code: string; detail: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'PAYLOAD_TOO_LARGE', detail: 'The request body is larger than this service accepts.' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'UNSUPPORTED_MEDIA_TYPE', detail: 'This media type is not accepted.' },
  FST_ERR_BAD_URL: { code: 'BAD_URL', detail: 'The request path is not validly percent-encoded UTF-8.' },
  FST_ERR_MAX_PARAM_LENGTH: { code: 'URI_TOO_LONG', detail: 'A path parameter is longer than this service accepts.' },
};

/** A problem document for a connection-level error, where there is no request object (see clientErrorHandler). */
export function bareProblem(status: number, code: string, detail: string, correlationId: string): Problem {
  return { type: typeFor(code), title: titleFor(status), status, code, detail, correlation_id: correlationId };
}

function typeFor(code: string): string {
  return `urn:mailstrata:problem:${code.toLowerCase().replace(/_/g, '-')}`;
}

function titleFor(status: number): string {
  const name = HttpStatus[status];
  if (typeof name !== 'string') return status >= 500 ? 'Server Error' : 'Client Error';
  return name
    .toLowerCase()
    .split('_')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join(' ');
}

interface FastifyishError {
  statusCode?: number;
  code?: string;
  message?: string;
}

const logger = new Logger('Problem');

/** Maps anything thrown to a problem document; unexpected errors are logged and answered generically. */
export function toProblem(error: unknown, request: FastifyRequest): { problem: Problem; headers: Record<string, string> } {
  const correlationId = String(request.id);
  const base = { instance: request.url.split('?')[0], correlation_id: correlationId };
  const headers: Record<string, string> = {};

  if (error instanceof DomainError) {
    const status = KIND_STATUS[error.kind];
    if (status >= 500) logger.warn({ code: error.code, correlationId }, error.detail);
    // A rate limit that knows when it lets the caller through says so in the standard header too.
    if (error.kind === 'rate_limited' && typeof error.extensions.retry_after === 'number') {
      headers['retry-after'] = String(error.extensions.retry_after);
    }
    return {
      headers,
      problem: {
        ...error.extensions,
        type: typeFor(error.code),
        title: titleFor(status),
        status,
        code: error.code,
        detail: error.detail,
        ...base,
        ...(error.errors.length > 0 ? { errors: error.errors } : {}),
      },
    };
  }

  if (error instanceof HttpException) {
    const status = error.getStatus();
    const code =
      error instanceof ThrottlerException ? 'RATE_LIMITED' : (HTTP_CODES[status] ?? (status >= 500 ? 'INTERNAL' : 'BAD_REQUEST'));
    const detail =
      status === 404
        ? `No route matches ${request.method} ${base.instance}.`
        : error instanceof ThrottlerException
          ? 'Too many requests; try again later.'
          : status >= 500
            ? 'An unexpected error occurred.'
            : error.message;
    if (status === 503) {
      // Terminus' readiness answer: say which dependency is down.
      const body = error.getResponse() as { error?: Record<string, unknown> };
      const down = Object.keys(body?.error ?? {});
      return {
        headers,
        problem: {
          type: typeFor(DEPENDENCY_UNAVAILABLE),
          title: titleFor(status),
          status,
          code: DEPENDENCY_UNAVAILABLE,
          detail: `Not ready: ${down.join(', ') || 'a dependency'} is unavailable.`,
          ...base,
          checks: body?.error ?? {},
        },
      };
    }
    if (status >= 500) logger.error({ err: error, correlationId }, 'unexpected HTTP exception');
    return { headers, problem: { type: typeFor(code), title: titleFor(status), status, code, detail, ...base } };
  }

  const fe = error as FastifyishError | undefined;
  if (fe && typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    const status = fe.statusCode;
    const known = FASTIFY_CODES[fe.code ?? ''];
    const code = known?.code ?? HTTP_CODES[status] ?? 'BAD_REQUEST';
    const detail = known?.detail ?? fe.message ?? 'Bad request.';
    return { headers, problem: { type: typeFor(code), title: titleFor(status), status, code, detail, ...base } };
  }

  if (isDatabaseUnavailable(error)) {
    // An outage, not a bug: DatabaseOutage logs it once; each request just says which dependency is down.
    headers['retry-after'] = '1';
    return {
      headers,
      problem: {
        type: typeFor(DEPENDENCY_UNAVAILABLE),
        title: titleFor(503),
        status: 503,
        code: DEPENDENCY_UNAVAILABLE,
        detail: 'The database is unavailable; try again shortly.',
        ...base,
        dependency: POSTGRES_DEPENDENCY,
      },
    };
  }

  logger.error({ err: error, correlationId }, 'unhandled error');
  return {
    headers,
    problem: {
      type: typeFor('INTERNAL'),
      title: 'Internal Server Error',
      status: 500,
      code: 'INTERNAL',
      detail: `An unexpected error occurred. Quote correlation id ${correlationId} when reporting it.`,
      ...base,
    },
  };
}

export function sendProblem(reply: FastifyReply, request: FastifyRequest, error: unknown): void {
  const { problem, headers } = toProblem(error, request);
  void reply.status(problem.status).headers(headers).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
}
