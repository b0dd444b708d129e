/**
 * Serves the ops console (apps/ops-console, built by `npm run build` into dist/console) under /console:
 * hashed assets with a long cache, and index.html for every other /console/* path so deep links work.
 * Everything here carries a strict Content-Security-Policy (no inline script or style; only this
 * origin) and the usual secure headers, set by helmet inside this plugin's own encapsulation context so
 * the API and /docs keep their own headers.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fastifyHelmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import { DomainError } from '@mailstrata/common';
import type { FastifyInstance } from 'fastify';
import { sendProblem } from '../http/problem';

export const CONSOLE_PREFIX = '/console';

export const CONSOLE_CSP_DIRECTIVES = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'"],
  connectSrc: ["'self'"],
  // The mailbox shows a caught HTML body in a sandboxed frame served by this origin.
  frameSrc: ["'self'"],
  frameAncestors: ["'none'"],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
};

/** dist/console beside the emitted app (dist/apps/event-framework/src/console → dist/console), else ./dist/console. */
export function defaultConsoleDir(): string {
  const besideBuild = resolve(__dirname, '..', '..', '..', '..', 'console');
  return existsSync(join(besideBuild, 'index.html')) ? besideBuild : resolve(process.cwd(), 'dist', 'console');
}

export async function consolePlugin(instance: FastifyInstance, options: { dir: string }): Promise<void> {
  await instance.register(fastifyHelmet, {
    global: true,
    contentSecurityPolicy: { useDefaults: false, directives: CONSOLE_CSP_DIRECTIVES },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginEmbedderPolicy: false,
  });

  const built = existsSync(join(options.dir, 'index.html'));
  if (!built) {
    const notBuilt = (request: Parameters<typeof sendProblem>[1], reply: Parameters<typeof sendProblem>[0]) =>
      sendProblem(
        reply,
        request,
        new DomainError('CONSOLE_NOT_BUILT', 'not_found', 'The ops console is not built; run `npm run build` (it builds dist/console).'),
      );
    instance.get(CONSOLE_PREFIX, notBuilt);
    instance.get(`${CONSOLE_PREFIX}/*`, notBuilt);
    return;
  }

  await instance.register(fastifyStatic, {
    root: options.dir,
    prefix: `${CONSOLE_PREFIX}/`,
    // One route per built file (the build is immutable while the process runs); the SPA fallback below
    // owns every other path.
    wildcard: false,
    index: false,
    cacheControl: false,
    setHeaders: (reply, path) => {
      void reply.header('cache-control', path.startsWith(join(options.dir, 'assets')) ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });

  instance.get(CONSOLE_PREFIX, (_request, reply) => reply.redirect(`${CONSOLE_PREFIX}/`, 302));
  instance.get(`${CONSOLE_PREFIX}/*`, (request, reply) => {
    if (request.url.startsWith(`${CONSOLE_PREFIX}/assets/`)) {
      return sendProblem(reply, request, DomainError.notFound('The console asset'));
    }
    return reply.header('cache-control', 'no-cache').sendFile('index.html');
  });
}
