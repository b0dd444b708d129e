import { DomainError, FieldError, fieldError, validationFailed } from '@mailstrata/common';
import { HttpErrors } from './errors';
import type { FastifyInstance } from 'fastify';

/** No request of ours nests deeper than a handful of levels; this leaves room and stops stack-hungry input. */
export const MAX_JSON_DEPTH = 32;

// With the `u` flag a surrogate range matches only unpaired halves: a pair is one code point.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/** What is wrong with a string that no field may hold, or undefined: PostgreSQL refuses NUL, and JSON encoders choke on lone surrogates. */
export function stringProblem(value: string): { rule: string; message: string } | undefined {
  if (value.includes('\u0000')) return { rule: 'noNulCharacter', message: 'must not contain a NUL character' };
  if (LONE_SURROGATE.test(value)) return { rule: 'wellFormedUnicode', message: 'must be well-formed Unicode (a lone surrogate was found)' };
  return undefined;
}

/** The nesting depth of a JSON text, counted without parsing (strings skipped), stopping once past `limit`. */
export function jsonDepthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

function join(path: string, key: string | number): string {
  return path === '' ? String(key) : `${path}.${key}`;
}

/** Every string (keys included) in a parsed JSON value or query object checked, iteratively, with the dotted path of the field. */
export function findBadStrings(value: unknown, root = ''): FieldError[] {
  const errors: FieldError[] = [];
  const stack: Array<[unknown, string]> = [[value, root]];
  while (stack.length > 0 && errors.length < 20) {
    const [node, path] = stack.pop()!;
    if (typeof node === 'string') {
      const problem = stringProblem(node);
      if (problem) errors.push(fieldError(path || '(body)', problem.rule, problem.message));
    } else if (Array.isArray(node)) {
      node.forEach((item, i) => stack.push([item, join(path, i)]));
    } else if (node !== null && typeof node === 'object') {
      for (const [key, item] of Object.entries(node)) {
        const problem = stringProblem(key);
        // A bad key cannot be named as it is; say where it sits instead.
        if (problem) errors.push(fieldError(join(path, '(key)'), problem.rule, `holds a field name that ${problem.message}`));
        else stack.push([item, join(path, key)]);
      }
    }
  }
  return errors;
}

function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (typeof value !== 'object') return false;
  for (const _key in value) return false;
  return true;
}

export function badInput(errors: FieldError[]): DomainError {
  return validationFailed(errors);
}

/**
 * Every body is JSON, whatever its Content-Type says: the seed's curl commands send `--data-raw '{...}'`,
 * which curl labels application/x-www-form-urlencoded. Parsing goes through Fastify's own JSON parser
 * (prototype-poisoning protection included); the size limit answers 413 before parsing. The boundary
 * also refuses, once for every endpoint, what no field may hold: nesting deeper than MAX_JSON_DEPTH
 * (checked before parsing, so nothing recurses over it), NUL characters and lone UTF-16 surrogates,
 * in the body, the query string and the path parameters.
 */
export function registerJsonEverywhere(fastify: FastifyInstance, bodyLimit: number): void {
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', { parseAs: 'string', bodyLimit }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) {
      return done(HttpErrors.BODY_TOO_DEEP(`The request body nests deeper than ${MAX_JSON_DEPTH} levels.`), undefined);
    }
    void parseJson(request, text, (error, value) => {
      if (error) return done(HttpErrors.MALFORMED_JSON(), undefined);
      const errors = findBadStrings(value);
      if (errors.length > 0) return done(badInput(errors), undefined);
      done(null, value);
    });
  });
  fastify.addHook('preValidation', (request, _reply, done) => {
    // Most requests carry neither a query string nor path parameters: nothing to walk.
    if (isEmpty(request.query) && isEmpty(request.params)) return done();
    const errors = [...findBadStrings(request.query ?? {}), ...findBadStrings(request.params ?? {})];
    done(errors.length > 0 ? badInput(errors) : undefined);
  });
}
