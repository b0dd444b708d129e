/**
 * HTTP latency and concurrency for Prometheus. Labels use Fastify's route pattern
 * (`/auth/v1/organizations/:id`), never the raw URL, so ids and query strings cannot blow up the
 * series count; unmatched paths share one `(unmatched)` label.
 */
import { counter, gauge, keyedHistogram } from '@mailstrata/observability';
import type { FastifyInstance, FastifyRequest } from 'fastify';

const requestDuration = keyedHistogram<'method' | 'route' | 'status_code'>({
  name: 'mailstrata_http_request_duration_seconds',
  help: 'HTTP request latency by route pattern, method and status code',
  labelNames: ['method', 'route', 'status_code'],
});

const requestsInFlight = gauge({
  name: 'mailstrata_http_requests_in_flight',
  help: 'HTTP requests received (headers read) and not yet answered',
});

const requestsAborted = counter<'method' | 'route'>({
  name: 'mailstrata_http_requests_aborted_total',
  help: 'HTTP requests whose client went away before the answer',
  labelNames: ['method', 'route'],
});

const counted = Symbol('mailstrata.inFlight');
type Counted = FastifyRequest & { [counted]?: boolean };

export const UNMATCHED_ROUTE = '(unmatched)';

function routeOf(request: FastifyRequest): string {
  return request.routeOptions?.url ?? UNMATCHED_ROUTE;
}

function leave(request: Counted): boolean {
  if (!request[counted]) return false;
  request[counted] = false;
  requestsInFlight.dec();
  return true;
}

export function registerHttpMetrics(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request: Counted, _reply, done) => {
    request[counted] = true;
    requestsInFlight.inc();
    done();
  });
  fastify.addHook('onResponse', (request: Counted, reply, done) => {
    leave(request);
    const route = routeOf(request);
    const { method } = request;
    const status = reply.statusCode;
    requestDuration.observeKeyed(
      `${method} ${status} ${route}`,
      () => ({ method, route, status_code: String(status) }),
      reply.elapsedTime / 1000,
    );
    done();
  });
  fastify.addHook('onRequestAbort', (request: Counted, done) => {
    if (leave(request)) requestsAborted.inc({ method: request.method, route: routeOf(request) });
    done();
  });
}
