import type { FastifyInstance } from 'fastify';

const ENTITY_TAG = /\s*((?:W\/)?"[^"]*")\s*(?:,|$)/y;

/** The entity tags of an If-None-Match list, or '*'; malformed members are skipped (RFC 9110 §13.1.2). */
export function parseEntityTags(header: string): '*' | string[] {
  if (header.trim() === '*') return '*';
  const tags: string[] = [];
  ENTITY_TAG.lastIndex = 0;
  let match: RegExpExecArray | null;
  while (ENTITY_TAG.lastIndex < header.length && (match = ENTITY_TAG.exec(header)) !== null) tags.push(match[1]!);
  return tags;
}

const opaque = (tag: string) => (tag.startsWith('W/') ? tag.slice(2) : tag);

/** If-None-Match uses the weak comparison: two tags match when their opaque parts are equal, W/ or not. */
export function noneMatchHits(header: string, etag: string): boolean {
  const tags = parseEntityTags(header);
  return tags === '*' || tags.some((tag) => opaque(tag) === opaque(etag));
}

/**
 * Conditional GET for every route that sends an ETag: when the client's If-None-Match matches the
 * representation's tag, the answer is 304 with no body (ETag kept), so a poller that already has the
 * profile costs neither bandwidth nor parsing. Only 200 answers to GET and HEAD are turned into 304s.
 */
export function registerConditionalGet(fastify: FastifyInstance): void {
  fastify.addHook('onSend', (request, reply, payload, done) => {
    const ifNoneMatch = request.headers['if-none-match'];
    const etag = reply.getHeader('etag');
    if (
      (request.method === 'GET' || request.method === 'HEAD') &&
      reply.statusCode === 200 &&
      typeof ifNoneMatch === 'string' &&
      typeof etag === 'string' &&
      noneMatchHits(ifNoneMatch, etag)
    ) {
      void reply.code(304);
      reply.removeHeader('content-type');
      reply.removeHeader('content-length');
      return done(null, '');
    }
    done(null, payload);
  });
}
