/**
 * The auditors' filter parameters as class-validator DTOs: one class per spelling the endpoints document
 * (`filter.timefrom` on the org endpoint, `timefrom` on the partner endpoint), so field errors and the
 * OpenAPI document name the parameter as the caller's endpoint spells it. Rules on a field run from the
 * first listed to the last; every failing rule is reported.
 *
 * The date math needs the request's "now" and the limit the configured maximum: `withAuditContext`
 * attaches them to the object being validated under a symbol, which the whitelist never sees.
 */
import { ApiPropertyOptional } from '@nestjs/swagger';
import { isUUID, ValidateBy } from 'class-validator';
import { DateMathError, timeOf } from './date-math';

export const AUDIT_FILTER_KEYS = ['timefrom', 'timeto', 'offset', 'limit', 'category', 'type', 'outcome', 'cursor'] as const;
export type AuditFilterKey = (typeof AUDIT_FILTER_KEYS)[number];
export type AuditFilterPrefix = '' | 'filter.';

export const DEFAULT_LIMIT = 10;
/** Offset paging stops where Elasticsearch's max_result_window does; deeper pages take the cursor. */
export const MAX_OFFSET_WINDOW = 10_000;
const LIST_MAX = 20;
const TOKEN = /^[A-Za-z0-9_.:-]{1,100}$/;
const OUTCOMES = ['success', 'failure', 'unknown'];
const WHOLE = /^\d{1,9}$/;

const CONTEXT = Symbol('auditQueryContext');

export interface AuditQueryContext {
  now: Date;
  maxLimit: number;
}

/** The object to validate, carrying what the rules need beside the parameters. */
export function withAuditContext<T extends object>(dto: T, context: AuditQueryContext): T {
  Object.defineProperty(dto, CONTEXT, { value: context, enumerable: false });
  return dto;
}

function contextOf(object: object): AuditQueryContext {
  const context = (object as { [CONTEXT]?: AuditQueryContext })[CONTEXT];
  if (!context) throw new Error('audit filters validated without withAuditContext');
  return context;
}

type Params = Record<string, unknown>;
const given = (v: unknown): v is string => typeof v === 'string' && v !== '';

/** A whole number parameter, or `fallback` when it is absent, empty or refused (its own rule says so). */
export function wholeOf(v: unknown, fallback: number, min: number): number {
  return given(v) && WHOLE.test(v) && Number(v) >= min ? Number(v) : fallback;
}

/** A comma-separated list, de-duplicated after `normalize`; undefined when absent or blank. */
export function listOf(v: unknown, normalize: (s: string) => string = (s) => s): string[] | undefined {
  if (typeof v !== 'string' || v.trim() === '') return undefined;
  return [...new Set(v.split(',').map((s) => normalize(s.trim())))];
}

function Rule(
  name: string,
  message: string | ((value: unknown, object: Params) => string),
  test: (value: unknown, object: Params) => boolean,
): PropertyDecorator {
  return ValidateBy({
    name,
    validator: {
      validate: (value, args) => test(value, (args?.object ?? {}) as Params),
      defaultMessage: (args) => (typeof message === 'string' ? message : message(args?.value, (args?.object ?? {}) as Params)),
    },
  });
}

const upper = (s: string) => s.toUpperCase();
const lower = (s: string) => s.toLowerCase();

function isList(v: unknown, normalize?: (s: string) => string): boolean {
  const items = listOf(v, normalize);
  return items === undefined || (items.length <= LIST_MAX && items.every((s) => TOKEN.test(s)));
}

/** A cursor is base64url JSON `[t, id]`, as `encodeCursor` writes it. */
function isCursor(v: unknown): boolean {
  if (!given(v)) return true;
  try {
    const value: unknown = JSON.parse(Buffer.from(v, 'base64url').toString('utf8'));
    if (!Array.isArray(value) || value.length !== 2) return false;
    const [t, id] = value as unknown[];
    return typeof t === 'number' && Number.isSafeInteger(t) && typeof id === 'string' && isUUID(id);
  } catch {
    return false;
  }
}

const DOCS: Record<AuditFilterKey, string> = {
  timefrom: 'Start: Elasticsearch date math (now, now-15m, now-7d/d) or ISO 8601',
  timeto: 'End (inclusive), same syntax; rounding rounds up',
  offset: `Events to skip (offset + limit ≤ ${MAX_OFFSET_WINDOW}; use cursor beyond)`,
  limit: `Page size, default ${DEFAULT_LIMIT}, capped (AUDIT_QUERY_MAX_LIMIT, default 100)`,
  category: 'SYSTEMAUDIT (comma-separated list allowed)',
  type: 'Event types, comma-separated, e.g. organization.smtp_override.changed',
  outcome: 'success, failure or unknown',
  cursor: 'next_cursor of the previous page',
};

/** The filter rules, each named for `prefix`; the first rule of every field refuses a repeated parameter. */
function filterRules(prefix: AuditFilterPrefix): Record<AuditFilterKey, PropertyDecorator[]> {
  const field = (key: AuditFilterKey) => prefix + key;
  const time = (key: 'timefrom' | 'timeto') =>
    Rule(
      'isDateMath',
      (v, o) =>
        `${(timeOf(v as string, contextOf(o).now, key === 'timeto') as Error).message}; use now, now-15m, now-7d/d or an ISO 8601 timestamp`,
      (v, o) => !given(v) || !(timeOf(v, contextOf(o).now, key === 'timeto') instanceof DateMathError),
    );
  const whole = (min: number) =>
    Rule('isInt', `must be a whole number of at least ${min}`, (v) => !given(v) || (WHOLE.test(v) && Number(v) >= min));
  const list = (normalize?: (s: string) => string) =>
    Rule('isList', `must be up to ${LIST_MAX} comma-separated names of letters, digits, _ . : -`, (v) => isList(v, normalize));
  const limitOf = (o: Params) => wholeOf(o[field('limit')], DEFAULT_LIMIT, 1);
  return {
    timefrom: [
      time('timefrom'),
      Rule('beforeTimeto', `must not be after ${field('timeto')}`, (v, o) => {
        const to = o[field('timeto')];
        if (!given(v) || !given(to)) return true;
        const { now } = contextOf(o);
        const [a, b] = [timeOf(v, now, false), timeOf(to, now, true)];
        return a instanceof DateMathError || b instanceof DateMathError || a <= b;
      }),
    ],
    timeto: [time('timeto')],
    offset: [
      whole(0),
      Rule(
        'max',
        `offset + limit must be at most ${MAX_OFFSET_WINDOW}; page deeper with ${field('cursor')}`,
        (v, o) => wholeOf(v, 0, 0) + Math.min(limitOf(o), contextOf(o).maxLimit) <= MAX_OFFSET_WINDOW,
      ),
      Rule('withCursor', `cannot be combined with ${field('cursor')}`, (v, o) => !given(o[field('cursor')]) || wholeOf(v, 0, 0) === 0),
    ],
    limit: [
      whole(1),
      Rule(
        'max',
        (_v, o) => `must be at most ${contextOf(o).maxLimit}; page with ${field('cursor')} for more`,
        (v, o) => wholeOf(v, DEFAULT_LIMIT, 1) <= contextOf(o).maxLimit,
      ),
    ],
    category: [list(upper)],
    type: [list()],
    outcome: [
      list(lower),
      Rule(
        'isIn',
        'must be success, failure or unknown',
        (v) => !isList(v, lower) || (listOf(v, lower) ?? []).every((o) => OUTCOMES.includes(o)),
      ),
    ],
    cursor: [Rule('isCursor', 'must be a next_cursor value from a previous page', isCursor)],
  };
}

const classes = new Map<AuditFilterPrefix, new () => Params>();

/**
 * The filter DTO for one spelling: properties `${prefix}timefrom` … `${prefix}cursor`, each a single
 * string (the first rule refuses a parameter given twice). Built once per spelling.
 */
export function auditFiltersDto(prefix: AuditFilterPrefix): new () => Params {
  let dto = classes.get(prefix);
  if (dto) return dto;
  const AuditFilters = class {};
  Object.defineProperty(AuditFilters, 'name', { value: prefix ? 'PrefixedAuditFilters' : 'AuditFilters' });
  const rules = filterRules(prefix);
  for (const key of AUDIT_FILTER_KEYS) {
    const decorators = [
      ApiPropertyOptional({ type: 'string', description: DOCS[key] }),
      Rule('single', 'must be given once', (v) => v === undefined || typeof v === 'string'),
      ...rules[key],
    ];
    for (const decorate of decorators) decorate(AuditFilters.prototype, prefix + key);
  }
  dto = AuditFilters as new () => Params;
  classes.set(prefix, dto);
  return dto;
}
