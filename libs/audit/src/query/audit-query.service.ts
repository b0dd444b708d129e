import { Inject, Injectable } from '@nestjs/common';
import { validateSync } from 'class-validator';
import { CLOCK, Clock, FieldError, fieldError, fieldErrorsOf, STRICT_VALIDATION } from '@mailstrata/common';
import { APP_CONFIG, AppConfig } from '@mailstrata/config';
import { AuditErrors } from '../errors';
import {
  AUDIT_FILTER_KEYS,
  AuditFilterKey,
  AuditFilterPrefix,
  auditFiltersDto,
  DEFAULT_LIMIT,
  listOf,
  wholeOf,
  withAuditContext,
} from './audit-filters.dto';
import { timeOf } from './date-math';
import { AUDIT_QUERY_STORE, AuditPage, AuditQueryStore, AuditScope, AuditSearch, decodeCursor } from './audit-query';

export type AuditFilters = Omit<AuditSearch, 'scope'>;

/**
 * Reads the auditors' query parameters (class-validator over the filter DTO of the endpoint's spelling)
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
   * `raw` is the query string as parsed (one value per name, see the app's fold of the two spellings);
   * `prefix` is how filter names are spelled (`filter.` or ``); `reserved` are other parameters the
   * caller handles itself (e.g. `org_id`). Validated against the filter DTO of that spelling.
   */
  parseFilters(raw: Record<string, unknown>, prefix: AuditFilterPrefix, reserved: readonly string[] = []): AuditFilters {
    const params: Record<string, unknown> = {};
    const unknown: FieldError[] = [];
    for (const [key, value] of Object.entries(raw)) {
      if (key === '' || reserved.includes(key)) continue;
      // A name every object has (`constructor`) cannot be a property to validate; it is unknown like any other.
      if (key in Object.prototype) unknown.push(fieldError(key, 'unknown_field', ''));
      else params[key] = value;
    }
    const context = { now: this.clock.now(), maxLimit: this.config.audit.queryMaxLimit };
    const dto = withAuditContext(Object.assign(new (auditFiltersDto(prefix))(), params), context);
    const known = `is not a known parameter (use ${AUDIT_FILTER_KEYS.map((k) => prefix + k).join(', ')})`;
    const errors = [...unknown, ...fieldErrorsOf(validateSync(dto, STRICT_VALIDATION), '', { ownMessages: true })].map((e) =>
      e.rule === 'unknown_field' ? { ...e, message: known } : e,
    );
    if (errors.length > 0) throw AuditErrors.INVALID_AUDIT_QUERY(undefined, { errors });

    const value = (key: AuditFilterKey) => params[prefix + key];
    const time = (key: 'timefrom' | 'timeto') => {
      const text = value(key);
      return typeof text === 'string' && text !== '' ? (timeOf(text, context.now, key === 'timeto') as Date) : undefined;
    };
    const cursorText = value('cursor');
    return {
      from: time('timefrom'),
      to: time('timeto'),
      categories: listOf(value('category'), (s) => s.toUpperCase()),
      types: listOf(value('type')),
      outcomes: listOf(value('outcome'), (s) => s.toLowerCase()),
      offset: wholeOf(value('offset'), 0, 0),
      limit: wholeOf(value('limit'), DEFAULT_LIMIT, 1),
      cursor: typeof cursorText === 'string' && cursorText !== '' ? decodeCursor(cursorText, prefix + 'cursor') : undefined,
    };
  }

  search(scope: AuditScope, filters: AuditFilters): Promise<AuditPage> {
    return this.store.search({ ...filters, scope });
  }
}
