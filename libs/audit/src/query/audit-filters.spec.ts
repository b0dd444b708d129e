import { DomainError } from '@mailstrata/common';
import type { AppConfig } from '@mailstrata/config';
import { encodeCursor } from './audit-query';
import { AuditQueryService } from './audit-query.service';
import { auditFiltersDto } from './audit-filters.dto';

const NOW = new Date('2026-03-10T12:00:00.000Z');
const service = new AuditQueryService(
  { search: () => Promise.reject(new Error('not used')) },
  { audit: { queryMaxLimit: 100 } } as AppConfig,
  { now: () => NOW },
);

function refusal(raw: Record<string, unknown>, prefix: '' | 'filter.' = 'filter.') {
  try {
    service.parseFilters(raw, prefix, ['org_id']);
  } catch (error) {
    expect((error as DomainError).code).toBe('INVALID_AUDIT_QUERY');
    return (error as DomainError).errors;
  }
  throw new Error('expected a refusal');
}

describe('audit filter DTOs', () => {
  it('reads every filter, with defaults, date math against the clock and normalized lists', () => {
    const cursor = encodeCursor({ '@timestamp': NOW.toISOString(), event_id: '0d6f5f0e-5d7c-4d1e-9b5c-2f3b8f7e6a10' });
    expect(service.parseFilters({ org_id: 'x' }, 'filter.', ['org_id'])).toEqual({
      from: undefined,
      to: undefined,
      categories: undefined,
      types: undefined,
      outcomes: undefined,
      offset: 0,
      limit: 10,
      cursor: undefined,
    });
    expect(
      service.parseFilters(
        {
          timefrom: 'now-1d/d',
          timeto: 'now/d',
          limit: '5',
          category: 'systemaudit, SYSTEMAUDIT',
          type: 'a.b,c.d',
          outcome: 'Success',
          cursor,
        },
        '',
      ),
    ).toEqual({
      from: new Date('2026-03-09T00:00:00.000Z'),
      to: new Date('2026-03-10T23:59:59.999Z'),
      categories: ['SYSTEMAUDIT'],
      types: ['a.b', 'c.d'],
      outcomes: ['success'],
      offset: 0,
      limit: 5,
      cursor: { t: NOW.getTime(), id: '0d6f5f0e-5d7c-4d1e-9b5c-2f3b8f7e6a10' },
    });
  });

  it('names each refused parameter in the spelling of its endpoint, with the rule and what to do', () => {
    expect(refusal({ 'filter.timefrom': 'now', 'filter.timeto': 'now-1h', 'filter.limit': '101', 'filter.offset': 'x' })).toEqual([
      { field: 'filter.timefrom', rule: 'beforeTimeto', message: 'must not be after filter.timeto' },
      { field: 'filter.offset', rule: 'isInt', message: 'must be a whole number of at least 0' },
      { field: 'filter.limit', rule: 'max', message: 'must be at most 100; page with filter.cursor for more' },
    ]);
    expect(refusal({ offset: '9995', limit: '10', cursor: 'nope' }, '')).toEqual([
      { field: 'offset', rule: 'max', message: 'offset + limit must be at most 10000; page deeper with cursor' },
      { field: 'offset', rule: 'withCursor', message: 'cannot be combined with cursor' },
      { field: 'cursor', rule: 'isCursor', message: 'must be a next_cursor value from a previous page' },
    ]);
    expect(refusal({ 'filter.timeto': 'yesterday', 'filter.outcome': 'maybe', 'filter.type': 'a b' })).toEqual([
      expect.objectContaining({ field: 'filter.timeto', rule: 'isDateMath', message: expect.stringContaining('use now, now-15m') }),
      expect.objectContaining({ field: 'filter.type', rule: 'isList' }),
      { field: 'filter.outcome', rule: 'isIn', message: 'must be success, failure or unknown' },
    ]);
  });

  it('refuses repeats, unknown names and names every object has', () => {
    expect(refusal({ 'filter.limit': ['1', '2'], 'filter.sort': 'asc', timefrom: 'now', constructor: 'x' })).toEqual(
      expect.arrayContaining([
        { field: 'filter.limit', rule: 'single', message: 'must be given once' },
        expect.objectContaining({ field: 'filter.sort', rule: 'unknown_field', message: expect.stringContaining('use filter.timefrom') }),
        expect.objectContaining({ field: 'timefrom', rule: 'unknown_field' }),
        expect.objectContaining({ field: 'constructor', rule: 'unknown_field' }),
      ]),
    );
  });

  it('has one DTO per spelling, its properties the documented names', () => {
    expect(Object.keys(new (auditFiltersDto('filter.'))())).toEqual([]);
    expect(auditFiltersDto('filter.')).toBe(auditFiltersDto('filter.'));
    expect(auditFiltersDto('')).not.toBe(auditFiltersDto('filter.'));
  });
});
