/**
 * Serves the ops console (apps/ops-console, built by `npm run build` into dist/console) under /console:
 * hashed assets with a long cache, and index.html for every other /console/* path so deep links work.
 * The build is a handful of immutable files, read once at start and kept in memory with their gzip form
 * and ETag. (@fastify/static 10 pulls content-disposition 3, ES-module-only and Node ≥ 22, which jest on
 * Node 20 cannot load.)
 * Everything here carries a strict Content-Security-Policy (no inline script or style; only this
 * origin) and the usual secure headers, set by helmet inside this plugin's own encapsulation context so
 * the API and /docs keep their own headers.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join, relative, resolve, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import fastifyHelmet from '@fastify/helmet';
import { notFound } from '@mailstrata/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpErrors } from '../http/errors';
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
    const notBuilt = (request: FastifyRequest, reply: FastifyReply) => sendProblem(reply, request, HttpErrors.CONSOLE_NOT_BUILT());
    instance.get(CONSOLE_PREFIX, notBuilt);
    instance.get(`${CONSOLE_PREFIX}/*`, notBuilt);
    return;
  }

  const files = loadBuild(options.dir);
  const index = files.get('index.html')!;
  const serve = (file: StaticFile, request: FastifyRequest, reply: FastifyReply, cacheControl: string) => {
    void reply.header('etag', file.etag).header('cache-control', cacheControl).header('vary', 'accept-encoding');
    if (request.headers['if-none-match'] === file.etag) return reply.code(304).send();
    void reply.type(file.contentType);
    const acceptsGzip = /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));
    if (file.gzipped && acceptsGzip) return reply.header('content-encoding', 'gzip').send(file.gzipped);
    return reply.send(file.body);
  };
  // `/console` and `/console/` are one route (the router ignores trailing slashes).
  const page = (request: FastifyRequest, reply: FastifyReply) => {
    const path = decodeURIComponent(request.url.split('?')[0]!.slice(CONSOLE_PREFIX.length + 1));
    const asset = files.get(path);
    if (asset && path !== 'index.html') return serve(asset, request, reply, 'public, max-age=31536000, immutable');
    if (path.startsWith('assets/')) return sendProblem(reply, request, notFound('The console asset'));
    return serve(index, request, reply, 'no-cache');
  };
  instance.get(CONSOLE_PREFIX, page);
  instance.get(`${CONSOLE_PREFIX}/*`, page);
}

interface StaticFile {
  body: Buffer;
  gzipped: Buffer | null;
  etag: string;
  contentType: string;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

function loadBuild(dir: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const full = join(at, entry.name);
      if (entry.isDirectory()) walk(full);
      else {
        const body = readFileSync(full);
        const contentType = CONTENT_TYPES[extname(entry.name)] ?? 'application/octet-stream';
        const compressible = /text|javascript|json|svg/.test(contentType) && body.length > 1024;
        files.set(relative(dir, full).split(sep).join('/'), {
          body,
          gzipped: compressible ? gzipSync(body, { level: 9 }) : null,
          etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
          contentType,
        });
      }
    }
  };
  walk(dir);
  return files;
}
