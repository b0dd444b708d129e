import type { FastifyInstance } from 'fastify';
import { sendProblem } from './problem';
import { HttpErrors } from './errors';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Cross-site request forgery defence for cookie sessions: a state-changing request that a browser
 * marks as cross-site, or whose Origin is not ours, is refused. Requests without either header (curl,
 * services) are not from a browser page and pass; SameSite=Strict on the cookie is the second layer.
 */
export function registerOriginCheck(fastify: FastifyInstance, allowedOrigins: ReadonlySet<string>): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    if (SAFE_METHODS.has(request.method)) return done();
    const site = request.headers['sec-fetch-site'];
    const origin = request.headers.origin;
    const crossSite = site === 'cross-site';
    const foreignOrigin = typeof origin === 'string' && !allowedOrigins.has(origin);
    if (crossSite || foreignOrigin) {
      sendProblem(reply, request, HttpErrors.CROSS_SITE_REQUEST());
      return;
    }
    done();
  });
}
