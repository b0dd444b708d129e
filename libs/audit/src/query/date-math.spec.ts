import { DateMathError, parseDateMath } from './date-math';

const now = new Date('2025-11-20T13:45:30.250Z');
const at = (expr: string, roundUp = false) => parseDateMath(expr, now, { roundUp }).toISOString();

describe('parseDateMath', () => {
  it('reads now and relative offsets', () => {
    expect(at('now')).toBe('2025-11-20T13:45:30.250Z');
    expect(at('now-15m')).toBe('2025-11-20T13:30:30.250Z');
    expect(at('now-1h')).toBe('2025-11-20T12:45:30.250Z');
    expect(at('now-7d')).toBe('2025-11-13T13:45:30.250Z');
    expect(at('now+2H')).toBe('2025-11-20T15:45:30.250Z');
    expect(at('now-1M')).toBe('2025-10-20T13:45:30.250Z');
    expect(at('now-1y')).toBe('2024-11-20T13:45:30.250Z');
    expect(at('now-1w-30s')).toBe('2025-11-13T13:45:00.250Z');
  });

  it('rounds down for lower bounds and up for upper bounds, in UTC', () => {
    expect(at('now-7d/d')).toBe('2025-11-13T00:00:00.000Z');
    expect(at('now/d', true)).toBe('2025-11-20T23:59:59.999Z');
    expect(at('now/M')).toBe('2025-11-01T00:00:00.000Z');
    expect(at('now/w')).toBe('2025-11-17T00:00:00.000Z');
    expect(at('now/h', true)).toBe('2025-11-20T13:59:59.999Z');
  });

  it('reads ISO timestamps, dates (UTC) and anchored math', () => {
    expect(at('2025-01-02T03:04:05Z')).toBe('2025-01-02T03:04:05.000Z');
    expect(at('2025-01-02T03:04:05.123+02:00')).toBe('2025-01-02T01:04:05.123Z');
    expect(at('2025-01-02')).toBe('2025-01-02T00:00:00.000Z');
    expect(at('2025-01-02T10:00')).toBe('2025-01-02T10:00:00.000Z');
    expect(at('2025-01-02||-1d/d')).toBe('2025-01-01T00:00:00.000Z');
  });

  it.each(['', 'yesterday', 'now-', 'now-5x', 'now*2', '2025-13-45', '2025-01-02||+', 'now-1d/q'])('refuses %j', (expr) => {
    expect(() => parseDateMath(expr, now)).toThrow(DateMathError);
  });
});
