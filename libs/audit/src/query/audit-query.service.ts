import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, Clock, FieldError, fieldError } from '@mailstrata/common';
import { APP_CONFIG, AppConfig } from '@mailstrata/config';
import { DateMathError, parseDateMath } from './date-math';
import { AuditErrors } from '../errors';
import { AUDIT_QUERY_STORE, AuditPage, AuditQueryStore, AuditScope, AuditSearch, decodeCursor } from './audit-query';

/** The filters both endpoints share, named without their prefix (`filter.` on the org endpoint). */
const FILTER_KEYS = ['timefrom', 'timeto', 'offset', 'limit', 'category', 'type', 'outcome', 'cursor'] as const;
type FilterKey = (typeof FILTER_KEYS)[number];

const DEFAULT_LIMIT = 10;
/** Offset paging stops where Elasticsearch's max_result_window does; deeper pages take the cursor. */
export const MAX_OFFSET_WINDOW = 10_000;
const LIST_MAX = 20;
const TOKEN = /^[A-Za-z0-9_.:-]{1,100}$/;
const OUTCOMES = new Set(['success', 'failure', 'unknown']);

export type AuditFilters = Omit<AuditSearch, 'scope'>;

/**
 * Reads the auditors' query parameters (explicitly: their names contain dots, and each must come once)
 * and runs the search on whichever store is bound. Every refusal is a 400 naming the parameter.
 */
@Injectable()
export class AuditQueryService {
  constructor(
    @Inject(AUDIT_QUERY_STORE) private readonly store: AuditQueryStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /**
   * `raw` is the query string as parsed; `prefix` is how filter names are spelled (`filter.` or ``);
   * `reserved` are other parameters the caller handles itself (e.g. `org_id`).
   */
  parseFilters(raw: Record<string, unknown>, prefix: string, reserved: readonly string[] = []): AuditFilters {
    const errors: FieldError[] = [];
    const values = new Map<FilterKey, string>();
    for (const [key, value] of Object.entries(raw)) {
      if (key === '' || reserved.includes(key)) continue;
      const name = key.startsWith(prefix) ? key.slice(prefix.length) : undefined;
      if (name === undefined || !(FILTER_KEYS as readonly string[]).includes(name)) {
        errors.push(fieldError(key, 'unknown_field', `is not a known parameter (use ${FILTER_KEYS.map((k) => prefix + k).join(', ')})`));
        continue;
      }
      if (typeof value !== 'string') {
        errors.push(fieldError(key, 'single', 'must be given once'));
        continue;
      }
      values.set(name as FilterKey, value);
    }
    const field = (name: FilterKey) => prefix + name;
    const now = this.clock.now();

    const time = (name: 'timefrom' | 'timeto'): Date | undefined => {
      const text = values.get(name);
      if (text === undefined || text === '') return undefined;
      try {
        return parseDateMath(text, now, { roundUp: name === 'timeto' });
      } catch (error) {
        if (!(error instanceof DateMathError)) throw error;
        errors.push(fieldError(field(name), 'isDateMath', `${error.message}; use now, now-15m, now-7d/d or an ISO 8601 timestamp`));
        return undefined;
      }
    };
    const integer = (name: 'offset' | 'limit', fallback: number, min: number): number => {
      const text = values.get(name);
      if (text === undefined || text === '') return fallback;
      if (!/^\d{1,9}$/.test(text) || Number(text) < min) {
        errors.push(fieldError(field(name), 'isInt', `must be a whole number of at least ${min}`));
        return fallback;
      }
      return Number(text);
    };
    const list = (name: 'category' | 'type' | 'outcome', normalize: (s: string) => string = (s) => s): string[] | undefined => {
      const text = values.get(name);
      if (text === undefined || text.trim() === '') return undefined;
      const items = [...new Set(text.split(',').map((s) => normalize(s.trim())))];
      if (items.length > LIST_MAX || items.some((s) => !TOKEN.test(s))) {
        errors.push(fieldError(field(name), 'isList', `must be up to ${LIST_MAX} comma-separated names of letters, digits, _ . : -`));
        return undefined;
      }
      return items;
    };

    const from = time('timefrom');
    const to = time('timeto');
    if (from && to && from > to) errors.push(fieldError(field('timefrom'), 'beforeTimeto', `must not be after ${field('timeto')}`));
    const maxLimit = this.config.audit.queryMaxLimit;
    const limit = integer('limit', DEFAULT_LIMIT, 1);
    if (limit > maxLimit)
      errors.push(fieldError(field('limit'), 'max', `must be at most ${maxLimit}; page with ${field('cursor')} for more`));
    const offset = integer('offset', 0, 0);
    if (offset + Math.min(limit, maxLimit) > MAX_OFFSET_WINDOW) {
      errors.push(
        fieldError(field('offset'), 'max', `offset + limit must be at most ${MAX_OFFSET_WINDOW}; page deeper with ${field('cursor')}`),
      );
    }
    const categories = list('category', (s) => s.toUpperCase());
    const types = list('type');
    const outcomes = list('outcome', (s) => s.toLowerCase());
    if (outcomes?.some((o) => !OUTCOMES.has(o))) errors.push(fieldError(field('outcome'), 'isIn', 'must be success, failure or unknown'));
    let cursor;
    const cursorText = values.get('cursor');
    if (cursorText) {
      if (offset > 0) errors.push(fieldError(field('offset'), 'withCursor', `cannot be combined with ${field('cursor')}`));
      try {
        cursor = decodeCursor(cursorText, field('cursor'));
      } catch (error) {
        if (!AuditErrors.INVALID_CURSOR.is(error)) throw error;
        errors.push(...error.errors);
      }
    }
    if (errors.length > 0) throw AuditErrors.INVALID_AUDIT_QUERY(undefined, { errors });
    return { from, to, categories, types, outcomes, offset, limit, cursor };
  }

  search(scope: AuditScope, filters: AuditFilters): Promise<AuditPage> {
    return this.store.search({ ...filters, scope });
  }
}
