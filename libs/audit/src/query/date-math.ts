/**
 * Elasticsearch date math, resolved in the service so that Postgres and Elasticsearch answer the same
 * question for the same `now`: `now`, `now-15m`, `now-7d/d`, `now+1h`, ISO 8601 timestamps and
 * `<iso>||-1d`. Units: y M w d h H m s (as in Elasticsearch; `M` is months, `m` minutes). Rounding
 * is in UTC; for an upper bound it rounds up to the last millisecond of the unit, as Elasticsearch
 * does for `lte`.
 */
export class DateMathError extends Error {}

type Unit = 'y' | 'M' | 'w' | 'd' | 'h' | 'm' | 's';
const UNITS: Record<string, Unit> = { y: 'y', M: 'M', w: 'w', d: 'd', h: 'h', H: 'h', m: 'm', s: 's' };

const ISO = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;
const OP = /^([+-])(\d{1,9})([yMwdhHms])|^\/([yMwdhHms])/;

function parseAnchor(text: string): Date {
  if (!ISO.test(text)) throw new DateMathError(`"${text}" is neither "now" nor an ISO 8601 timestamp`);
  // A date or a date-time without a zone is UTC (Elasticsearch's default), not the server's zone.
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/.test(text) && text.length > 10;
  const normalized = text.length === 10 ? `${text}T00:00:00Z` : hasZone ? text.replace(' ', 'T') : `${text.replace(' ', 'T')}Z`;
  const date = new Date(normalized);
  if (Number.isNaN(date.getTime())) throw new DateMathError(`"${text}" is not a valid timestamp`);
  return date;
}

function add(date: Date, sign: 1 | -1, amount: number, unit: Unit): Date {
  const d = new Date(date.getTime());
  switch (unit) {
    case 'y':
      d.setUTCFullYear(d.getUTCFullYear() + sign * amount);
      return d;
    case 'M':
      d.setUTCMonth(d.getUTCMonth() + sign * amount);
      return d;
    default: {
      const ms = { w: 604_800_000, d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000 }[unit];
      return new Date(d.getTime() + sign * amount * ms);
    }
  }
}

function roundDown(date: Date, unit: Unit): Date {
  const d = new Date(date.getTime());
  switch (unit) {
    case 'y':
      return new Date(Date.UTC(d.getUTCFullYear(), 0, 1));
    case 'M':
      return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1));
    case 'w': {
      // ISO weeks start on Monday.
      const day = (d.getUTCDay() + 6) % 7;
      return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - day));
    }
    case 'd':
      return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
    case 'h':
      return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours()));
    case 'm':
      return new Date(Math.floor(d.getTime() / 60_000) * 60_000);
    case 's':
      return new Date(Math.floor(d.getTime() / 1_000) * 1_000);
  }
}

/** Resolves an expression to an instant. `roundUp` is for upper bounds (`timeto`). */
export function parseDateMath(expression: string, now: Date, options: { roundUp?: boolean } = {}): Date {
  const text = expression.trim();
  if (text === '') throw new DateMathError('is empty');
  let anchor: Date;
  let rest: string;
  if (text.startsWith('now')) {
    anchor = now;
    rest = text.slice(3);
  } else {
    const sep = text.indexOf('||');
    anchor = parseAnchor(sep === -1 ? text : text.slice(0, sep));
    rest = sep === -1 ? '' : text.slice(sep + 2);
  }
  let result = anchor;
  while (rest.length > 0) {
    const m = OP.exec(rest);
    if (!m) throw new DateMathError(`cannot read "${rest}" (expected +N<unit>, -N<unit> or /<unit>; units y M w d h m s)`);
    if (m[4] !== undefined) {
      const unit = UNITS[m[4]] as Unit;
      result = roundDown(result, unit);
      if (options.roundUp) result = new Date(add(result, 1, 1, unit).getTime() - 1);
    } else {
      result = add(result, m[1] === '-' ? -1 : 1, Number(m[2]), UNITS[m[3] as string] as Unit);
    }
    rest = rest.slice(m[0].length);
  }
  if (Number.isNaN(result.getTime())) throw new DateMathError('is out of range');
  return result;
}

/** The parsed time of a date-math parameter, or the parser's complaint (for validators that report it). */
export function timeOf(text: string, now: Date, roundUp: boolean): Date | DateMathError {
  try {
    return parseDateMath(text, now, { roundUp });
  } catch (error) {
    if (error instanceof DateMathError) return error;
    throw error;
  }
}
