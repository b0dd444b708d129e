/**
 * The one place that shapes the HTTP application: body parsing, cookies, CSRF defence, validation,
 * errors, request ids and OpenAPI. `main.ts` and the e2e tests both call it, so tests run what
 * production runs.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Http2ServerRequest } from 'node:http2';
import fastifyCookie from '@fastify/cookie';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { APP_CONFIG, AppConfig } from '@mailstrata/config';
import { Logger } from 'nestjs-pino';
import { consolePlugin, defaultConsoleDir } from './console/console-static';
import { registerJsonEverywhere } from './http/body-parser';
import { registerOriginCheck } from './http/origin-check';
import { ProblemFilter } from './http/problem.filter';
import { StrictValidationPipe } from './http/validation.pipe';
import { registerDrainHooks } from './lifecycle/drain-hooks';
import { DrainState } from './lifecycle/drain-state';
import { registerHttpMetrics } from './metrics/http-metrics';
import { setupOpenApi } from './openapi';

export interface ConfigureOptions {
  swaggerUi: boolean;
  /** The built ops console (default: dist/console). */
  consoleDir?: string;
}

export const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;

/** Fastify options that must be set when the adapter is created. */
export function fastifyOptions(config: AppConfig) {
  return {
    trustProxy: config.http.trustProxy,
    bodyLimit: config.http.bodyLimitBytes,
    requestIdHeader: false as const,
    // The seed's partner audit URL is `/opsauditlogs/` (trailing slash); Nest registers paths without one.
    routerOptions: { ignoreTrailingSlash: true },
    genReqId: (req: IncomingMessage | Http2ServerRequest) => {
      const given = req.headers['x-request-id'];
      const id = typeof given === 'string' && REQUEST_ID_PATTERN.test(given) ? given : randomUUID();
      // pino-http reads req.id, so log lines and problem documents carry the same correlation id.
      (req as IncomingMessage).id = id;
      return id;
    },
  };
}

export async function configureApp(app: NestFastifyApplication, options: ConfigureOptions): Promise<void> {
  const config = app.get<AppConfig>(APP_CONFIG);
  app.useLogger(app.get(Logger));
  const fastify = app.getHttpAdapter().getInstance();

  await app.register(fastifyCookie);
  registerHttpMetrics(fastify);
  registerDrainHooks(fastify, app.get(DrainState));
  registerJsonEverywhere(fastify, config.http.bodyLimitBytes);
  registerOriginCheck(fastify, new Set([new URL(config.http.publicUrl).origin, ...config.http.allowedOrigins]));
  fastify.addHook('onSend', (request, reply, payload, done) => {
    void reply.header('x-request-id', request.id);
    done(null, payload);
  });

  // The ops console under /console, in its own encapsulation context (its own security headers).
  await app.register(consolePlugin, { dir: options.consoleDir ?? defaultConsoleDir() });

  app.useGlobalPipes(new StrictValidationPipe());
  app.useGlobalFilters(new ProblemFilter());
  setupOpenApi(app, { ui: options.swaggerUi });
}
