/**
 * Property-based fuzzing of every JSON endpoint. The routes come from the app's own OpenAPI document,
 * so a new endpoint is fuzzed without touching this file. Each run sends a random request (hostile
 * strings, huge numbers, deep nesting, prototype keys, wrong types, malformed JSON) as a signed-in
 * controller, partner or org admin, and asserts the contract for bad input: never a 5xx, and every
 * error an application/problem+json document with a `code`.
 *
 * Reproduce a failure with the seed fast-check prints: FUZZ_SEED=<seed> npx jest test/http/fuzz
 * (FUZZ_RUNS raises the number of runs per endpoint).
 */
import fc from 'fast-check';
import { startTestApp, TestApp } from '../support/app';
import { buildWorld, World } from '../support/world';

// Test-only knobs for reproducing a failure; the app's own configuration goes through libs/config.
const env = process.env;
const SEED = Number(env.FUZZ_SEED ?? 20_260_101);
const RUNS = Number(env.FUZZ_RUNS ?? 150);

/** Logging out would end the session the other runs use; it takes no input, and has its own tests. */
const SKIPPED = new Set(['POST /auth/v1/logout']);

interface Endpoint {
  method: string;
  path: string;
  queryNames: string[];
  bodyKeys: string[];
  schema: any;
}

/** Field names the SMTP profile takes inside `smtp_config`, sent at every level of a body (not only where the schema puts them). */
const SMTP_KEYS = [
  'username',
  'password',
  'host',
  'port',
  'use_tls',
  'use_insecure',
  'retries',
  'sender_email',
  'sender_name',
  'tls_mode',
  'ca_cert',
  'client_cert',
  'client_key',
  'auth_type',
  'oauth2',
  'token_endpoint',
  'client_id',
  'client_secret',
  'request_headers',
];
const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'];

function schemaKeys(doc: any, schema: any, seen = new Set<string>()): string[] {
  if (!schema) return [];
  if (schema.$ref) {
    const name = String(schema.$ref).split('/').pop()!;
    if (seen.has(name)) return [];
    seen.add(name);
    return schemaKeys(doc, doc.components.schemas[name], seen);
  }
  const keys = Object.keys(schema.properties ?? {});
  for (const property of Object.values<any>(schema.properties ?? {})) keys.push(...schemaKeys(doc, property, seen));
  return keys;
}

function endpoints(doc: any): Endpoint[] {
  const out: Endpoint[] = [];
  for (const [path, operations] of Object.entries<any>(doc.paths)) {
    for (const [method, op] of Object.entries<any>(operations)) {
      const upper = method.toUpperCase();
      if (SKIPPED.has(`${upper} ${path}`)) continue;
      const schema = op.requestBody?.content?.['application/json']?.schema;
      out.push({
        method: upper,
        path,
        queryNames: (op.parameters ?? []).filter((p: any) => p.in === 'query').map((p: any) => p.name),
        bodyKeys: schemaKeys(doc, schema),
        schema,
      });
    }
  }
  return out;
}

const isWellFormed = (s: string) => !/[\uD800-\uDFFF]/u.test(s);

// ---- arbitraries -----------------------------------------------------------------------------------

const hostileString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom('\ud800', 'a\udc00b', '\u0000', 'x\u0000y', '', ' ', '\t\n', '\ufeff', '💌', 'now-1h', 'now-99999999y', '1e309'),
  fc.constantFrom('null', 'true', '-1', '00000000-0000-0000-0000-000000000000', '00000000-0000-4000-8000-000000000000'),
  fc.constantFrom('a@b.test', 'x'.repeat(5000), '%00', '../../etc/passwd', '<script>', "' OR 1=1 --"),
  fc.uuid(),
);

const hostileNumber = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, -0, -1, 2 ** 31, 2 ** 53 + 1, Number.MAX_SAFE_INTEGER, 1e308, -1e308, 5e-324),
);

/** A JSON value as text, built by hand so keys like `__proto__` are sent as written. */
function jsonText(keys: string[]): fc.Arbitrary<string> {
  const key = fc.oneof(fc.constantFrom(...keys, ...PROTOTYPE_KEYS, ...SMTP_KEYS), hostileString);
  const { value } = fc.letrec<{ value: string }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constant('null'),
      fc.boolean().map(String),
      hostileNumber.map((n) => JSON.stringify(n)),
      fc.constantFrom('1e400', '-1e400', '123456789012345678901234567890', '1.0e-400'),
      hostileString.map((s) => JSON.stringify(s)),
      fc.array(tie('value'), { maxLength: 4 }).map((items) => `[${items.join(',')}]`),
      fc
        .array(fc.tuple(key, tie('value')), { maxLength: 6 })
        .map((entries) => `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`),
    ),
  }));
  const shaped = fc
    .array(fc.tuple(key, value), { minLength: 1, maxLength: 8 })
    .map((entries) => `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`);
  return fc.oneof(
    { weight: 6, arbitrary: shaped },
    { weight: 1, arbitrary: value },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 5000 }).map((n) => '['.repeat(n) + ']'.repeat(n)) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 3000 }).map((n) => '{"a":'.repeat(n) + '1' + '}'.repeat(n)) },
    { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
  );
}

const PASSWORDS = fc.oneof(
  { weight: 3, arbitrary: fc.stringMatching(/^[a-z]{4,10}$/).map((s) => `tenant-passphrase-${s}-2026`) },
  { weight: 1, arbitrary: fc.constantFrom('password123456', 'short', '') },
  { weight: 1, arbitrary: fc.string({ minLength: 12, maxLength: 40 }) },
);
const EMAILS = fc
  .tuple(fc.stringMatching(/^[a-z0-9._+-]{1,20}$/), fc.constantFrom('x.test', 'y.example', 'localhost'))
  .map(([l, d]) => `${l}@${d}`);

/**
 * A body shaped like the endpoint's schema (so requests get past "unknown field" and reach the domain
 * code), each value plausible for its declared type or, now and then, anything at all.
 */
function fromSchema(doc: any, schema: any, ids: string[], depth = 0, name = ''): fc.Arbitrary<string> {
  const anything = jsonText([]);
  if (!schema || depth > 4) return anything;
  if (schema.$ref) return fromSchema(doc, doc.components.schemas[String(schema.$ref).split('/').pop()!], ids, depth + 1);
  let typed: fc.Arbitrary<string>;
  if (schema.type === 'object' && schema.properties) {
    const entries = Object.entries<any>(schema.properties).map(([name, property]) =>
      fc.option(
        fromSchema(doc, property, ids, depth + 1, name).map((v) => `${JSON.stringify(name)}:${v}`),
        { nil: undefined, freq: 5 },
      ),
    );
    const extra = fc.option(fc.tuple(fc.constantFrom(...PROTOTYPE_KEYS, 'unknown'), anything), { nil: undefined, freq: 8 });
    typed = fc.tuple(fc.tuple(...entries), extra).map(([present, more]) => {
      const parts = present.filter((p): p is string => p !== undefined);
      if (more) parts.push(`${JSON.stringify(more[0])}:${more[1]}`);
      return `{${parts.join(',')}}`;
    });
  } else if (schema.type === 'object') {
    const smtp = fc.dictionary(
      fc.constantFrom(...SMTP_KEYS),
      fc.oneof(
        hostileString.map((v) => JSON.stringify(v)),
        hostileNumber.map((n) => JSON.stringify(n)),
        fc.boolean().map(String),
        fc.constantFrom('"none"', '"starttls"', '"implicit"', '"basic"', '"oauth2"', '"smtp.example.test"', 'null', '{}', '[]'),
      ),
      { maxKeys: 8 },
    );
    typed = smtp.map(
      (d) =>
        `{${Object.entries(d)
          .map(([k, v]) => `${JSON.stringify(k)}:${v}`)
          .join(',')}}`,
    );
  } else if (schema.enum) {
    typed = fc.constantFrom(...schema.enum.map((v: unknown) => JSON.stringify(v)));
  } else if (schema.type === 'string' && schema.format === 'password') {
    typed = PASSWORDS.map((v) => JSON.stringify(v));
  } else if (schema.type === 'string' && schema.format === 'uuid') {
    typed = fc.oneof(fc.constantFrom(...ids), fc.uuid()).map((v) => JSON.stringify(v));
  } else if (schema.type === 'string' && /email/.test(name)) {
    typed = fc.oneof({ weight: 4, arbitrary: EMAILS }, { weight: 1, arbitrary: hostileString }).map((v) => JSON.stringify(v));
  } else if (schema.type === 'string') {
    typed = fc.oneof(hostileString, EMAILS).map((v) => JSON.stringify(v));
  } else if (schema.type === 'boolean') {
    typed = fc.boolean().map(String);
  } else if (schema.type === 'integer' || schema.type === 'number') {
    typed = hostileNumber.map((n) => JSON.stringify(n));
  } else {
    return anything;
  }
  return fc.oneof({ weight: 12, arbitrary: typed }, { weight: 1, arbitrary: anything });
}

/** A query-string value: well-formed text percent-encoded, or raw percent-encoded bytes (not always UTF-8). */
const queryValue = fc.oneof(
  hostileString.filter(isWellFormed).map(encodeURIComponent),
  fc.uint8Array({ maxLength: 8 }).map((bytes) => Array.from(bytes, (b) => `%${b.toString(16).padStart(2, '0')}`).join('')),
  fc.constantFrom('%ED%A0%80', '%00', '%', '%zz', '%E0%A4%A'),
);

function queryString(names: string[], ids: string[]): fc.Arbitrary<string> {
  const name = fc.oneof(
    { weight: 3, arbitrary: names.length > 0 ? fc.constantFrom(...names) : fc.constant('x') },
    { weight: 1, arbitrary: fc.constantFrom('org_id', 'partner_id', 'filter.org_id', ...PROTOTYPE_KEYS, '__proto__[x]', 'a[b]') },
    {
      weight: 1,
      arbitrary: fc.string({ maxLength: 10 }).filter(isWellFormed).map(encodeURIComponent),
    },
  );
  const value = fc.oneof(
    { weight: 2, arbitrary: fc.constantFrom(...ids, 'now-1h', 'now-7d/d', '10', '0', 'SYSTEMAUDIT') },
    { weight: 3, arbitrary: queryValue },
  );
  return fc.array(fc.tuple(name, value), { maxLength: 3 }).map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&'));
}

// ---- the property ----------------------------------------------------------------------------------

describe('fuzzing every JSON endpoint', () => {
  let t: TestApp;
  let w: World;
  let list: Endpoint[];
  let doc: any;

  beforeAll(async () => {
    t = await startTestApp();
    w = await buildWorld(t.client, 'fuzz');
    doc = (await t.client.get('/docs/openapi.json')).body;
    list = endpoints(doc);
  });
  afterAll(async () => {
    await t.close();
  });

  it('discovers the endpoints from the OpenAPI document', () => {
    const names = list.map((e) => `${e.method} ${e.path}`);
    expect(names).toEqual(expect.arrayContaining(['POST /auth/v1/users', 'GET /event/v1/auditlog', 'PATCH /event/v1/email/config']));
    expect(list.length).toBeGreaterThan(15);
  });

  it('answers random requests to every endpoint, as every kind of admin, with no 5xx and problem+json errors', async () => {
    const actors = [w.root.token, w.partnerA.admin.token, w.orgA1.admin.token];
    const ids = [w.orgA1.id, w.orgB1.id, w.partnerA.id, w.partnerB.id];
    for (const endpoint of list) {
      const request = fc.record({
        actor: fc.constantFrom(...actors),
        query: fc.oneof(fc.constant(''), queryString(endpoint.queryNames, ids)),
        body:
          endpoint.schema !== undefined
            ? fc.oneof(
                { weight: 4, arbitrary: fromSchema(doc, endpoint.schema, ids) },
                { weight: 1, arbitrary: fc.option(jsonText(endpoint.bodyKeys), { nil: undefined }) },
              )
            : endpoint.method === 'GET'
              ? fc.constant(undefined)
              : fc.option(jsonText(endpoint.bodyKeys), { nil: undefined }),
        id: fc.oneof(fc.constantFrom(...ids), hostileString.filter(isWellFormed).map(encodeURIComponent)),
        ifNoneMatch: fc.option(fc.constantFrom('*', '"x"', 'W/"x"', '""', 'garbage'), { nil: undefined }),
      });
      await fc.assert(
        fc.asyncProperty(request, async ({ actor, query, body, id, ifNoneMatch }) => {
          const path = endpoint.path.replace(/\{[^}]+\}/g, id);
          const url = query ? `${path}?${query}` : path;
          const headers: Record<string, string> = ifNoneMatch ? { 'if-none-match': ifNoneMatch } : {};
          const res = await t.client.request(endpoint.method, url, { cookie: actor, body, headers });
          const where = `${endpoint.method} ${url} -> ${res.status} ${res.text.slice(0, 300)}`;
          if (res.status >= 500) throw new Error(`5xx: ${where}`);
          if (res.status >= 400) {
            if (!String(res.headers['content-type']).startsWith('application/problem+json')) throw new Error(`not problem+json: ${where}`);
            if (typeof res.body?.code !== 'string') throw new Error(`no code: ${where}`);
          }
        }),
        { seed: SEED, numRuns: RUNS },
      );
    }
    // Thousands of in-process requests: seconds on a quiet machine, far more when tests share two cores.
  }, 300_000);
});
