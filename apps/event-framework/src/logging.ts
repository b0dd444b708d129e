/**
 * Access logging on Fastify's own logger and its log controller (the hook Fastify itself calls when a
 * response has finished): one `request completed` line per request, carrying the request's
 * id as `reqId`, the same id as the `x-request-id` header and a problem's
 * `correlation_id`. Fastify's "incoming request" line is dropped: the one line says everything.
 * Probes are not logged: a kubelet and Prometheus call them every few seconds on every replica, and
 * their lines would bury the rest.
 */
import { accessLogger, AppLogger } from '@mailstrata/observability';
import { FastifyReply, FastifyRequest, LogController } from 'fastify';

/** Route patterns that are never access-logged (any query string or trailing slash routes here too). */
export const UNLOGGED_ROUTES: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * A 503 is a dependency that is down (logged once where the outage is detected) or a draining replica:
 * an access line at info, not an error per request.
 */
export function accessLevel(statusCode: number, error?: Error | null): 'info' | 'warn' | 'error' {
  if (statusCode === 503) return 'info';
  if (error || statusCode >= 500) return 'error';
  return statusCode >= 400 ? 'warn' : 'info';
}

export class AccessLogController extends LogController {
  /**
   * `logger` is the process's logger (Fastify's loggerInstance). The line is written through it (or
   * through its access child, see accessLogger) with the request id as a field, which reads exactly
   * like a line through the request's child logger, without building that child.
   */
  private readonly access: AppLogger;

  constructor(private readonly logger: AppLogger) {
    super();
    this.access = accessLogger(logger);
  }

  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const route = request.routeOptions.url;
    if (route !== undefined && UNLOGGED_ROUTES.has(route)) return;
    const level = accessLevel(reply.statusCode, error);
    if (!this.logger.isLevelEnabled(level)) return;
    const line = { reqId: request.id, req: request, res: { statusCode: reply.statusCode }, responseTime: reply.elapsedTime };
    if (error) this.logger[level]({ ...line, err: error }, 'request completed');
    else this.access[level](line, 'request completed');
  }
}
