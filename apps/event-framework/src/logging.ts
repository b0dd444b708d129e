/**
 * Access logging on Fastify's own logger and its log controller (the hook Fastify itself calls when a
 * response has finished): one `request completed` line per request, through the request's child
 * logger, which carries `reqId`, the same id as the `x-request-id` header and a problem's
 * `correlation_id`. Fastify's "incoming request" line is dropped: the one line says everything.
 * Probes are not logged: a kubelet and Prometheus call them every few seconds on every replica, and
 * their lines would bury the rest.
 */
import type { AppLogger } from '@mailstrata/observability';
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
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const route = request.routeOptions.url;
    if (route !== undefined && UNLOGGED_ROUTES.has(route)) return;
    const level = accessLevel(reply.statusCode, error);
    // A child of createLogger's pino logger (fastifyOptions passes it as Fastify's loggerInstance).
    const log = request.log as AppLogger;
    if (!log.isLevelEnabled(level)) return;
    const line = { req: request, res: { statusCode: reply.statusCode }, responseTime: reply.elapsedTime, ...(error ? { err: error } : {}) };
    log[level](line, 'request completed');
  }
}
