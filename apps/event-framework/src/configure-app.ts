/**
 * The one place that shapes the HTTP application: body parsing, cookies, CSRF defence, validation,
 * errors, request ids and OpenAPI. `main.ts` and the e2e tests both call it, so tests run what
 * production runs.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Http2ServerRequest } from 'node:http2';
import type { Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';
import fastifyCookie from '@fastify/cookie';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import type { Bindings, ChildLoggerOptions } from 'pino';
import { APP_CONFIG, AppConfig } from '@mailstrata/config';
import { DatabaseOutage } from '@mailstrata/database';
import { AppLogger, DeferredChildLogger, NestPinoLogger } from '@mailstrata/observability';
import { consolePlugin, defaultConsoleDir } from './console/console-static';
import { registerJsonEverywhere } from './http/body-parser';
import { registerConditionalGet } from './http/conditional-get';
import { registerOriginCheck } from './http/origin-check';
import { bareProblem, PROBLEM_CONTENT_TYPE, sendProblem } from './http/problem';
import { ProblemFilter } from './http/problem.filter';
import { StrictValidationPipe } from './http/validation.pipe';
import { registerDrainHooks } from './lifecycle/drain-hooks';
import { AccessLogController } from './logging';
import { DrainState } from './lifecycle/drain-state';
import { registerHttpMetrics } from './metrics/http-metrics';
import { setupOpenApi } from './openapi';

export interface ConfigureOptions {
  swaggerUi: boolean;
  /** The built ops console (default: dist/console). */
  consoleDir?: string;
}

export const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * Errors Node's HTTP parser raises before there is a request (a request line or headers over the size
 * limit, garbage on the wire): answered as problem+json too, then the connection is closed.
 */
function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, detail] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'HEADERS_TOO_LARGE', 'The request line or headers are larger than this service accepts.']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'REQUEST_TIMEOUT', 'The request was not received in time.']
        : [400, 'BAD_REQUEST', 'The request is not valid HTTP.'];
  const body = JSON.stringify(bareProblem(status, code, detail, randomUUID()));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

/**
 * Fastify options that must be set when the adapter is created. `logger` is the process's pino logger
 * (createLogger): Fastify gives each request a child of it bound to the request id, and its log
 * controller writes the access line (logging.ts).
 */
export function fastifyOptions(config: AppConfig, logger: AppLogger) {
  return {
    loggerInstance: logger,
    logController: new AccessLogController(logger),
    childLoggerFactory: (parent: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions) =>
      new DeferredChildLogger(parent as AppLogger, bindings, options),
    // No Nest middleware is used: without middie, no request runs through its Express-style chain.
    skipMiddie: true,
    trustProxy: config.http.trustProxy,
    bodyLimit: config.http.bodyLimitBytes,
    requestIdHeader: false as const,
    // The seed's partner audit URL is `/opsauditlogs/` (trailing slash); Nest registers paths without one.
    routerOptions: { ignoreTrailingSlash: true },
    // Routing errors (a path that is not valid percent-encoded UTF-8, an over-long parameter) speak problem+json like the rest.
    frameworkErrors: (error: Error, request: FastifyRequest, reply: FastifyReply) => sendProblem(reply, request, error),
    clientErrorHandler,
    genReqId: (req: IncomingMessage | Http2ServerRequest) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID_PATTERN.test(given) ? given : randomUUID();
    },
  };
}

export async function configureApp(app: NestFastifyApplication, options: ConfigureOptions): Promise<void> {
  const config = app.get<AppConfig>(APP_CONFIG);
  const fastify = app.getHttpAdapter().getInstance();
  // Nest's Logger (every library's `new Logger(Context)`) writes through Fastify's pino logger.
  const logger = new NestPinoLogger(fastify.log as AppLogger);
  app.useLogger(logger);

  await app.register(fastifyCookie);
  registerHttpMetrics(fastify);
  registerDrainHooks(fastify, app.get(DrainState));
  registerJsonEverywhere(fastify, config.http.bodyLimitBytes);
  registerConditionalGet(fastify);
  registerOriginCheck(fastify, new Set([new URL(config.http.publicUrl).origin, ...config.http.allowedOrigins]));
  fastify.addHook('onSend', (request, reply, payload, done) => {
    void reply.header('x-request-id', request.id);
    done(null, payload);
  });

  // The ops console under /console, in its own encapsulation context (its own security headers).
  await app.register(consolePlugin, { dir: options.consoleDir ?? defaultConsoleDir() });

  app.useGlobalPipes(new StrictValidationPipe());
  const outage = app.get(DatabaseOutage);
  outage.logTo(logger);
  app.useGlobalFilters(new ProblemFilter(outage));
  setupOpenApi(app, { ui: options.swaggerUi });
}
