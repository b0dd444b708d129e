import { DomainError } from '@mailstrata/common';
import type { FastifyInstance } from 'fastify';

/**
 * Every body is JSON, whatever its Content-Type says: the seed's curl commands send `--data-raw '{...}'`,
 * which curl labels application/x-www-form-urlencoded. Parsing goes through Fastify's own JSON parser
 * (prototype-poisoning protection included); the size limit answers 413 before parsing.
 */
export function registerJsonEverywhere(fastify: FastifyInstance, bodyLimit: number): void {
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', { parseAs: 'string', bodyLimit }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    void parseJson(request, text, (error, value) => {
      if (error) return done(DomainError.invalid('MALFORMED_JSON', 'The request body is not valid JSON.'), undefined);
      done(null, value);
    });
  });
}
