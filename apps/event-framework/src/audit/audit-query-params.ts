import { AuditErrors } from '@mailstrata/audit';
import { FieldError, fieldError } from '@mailstrata/common';

export const FILTER_PREFIX = 'filter.';

/**
 * Both audit endpoints accept every parameter spelled bare (`org_id`, `timefrom`) or with the seed's
 * `filter.` prefix (`filter.org_id`, `filter.timefrom`). This folds the two spellings onto the one the
 * endpoint documents (`prefix` for filters, bare for the ids in `bare`), so error messages name the
 * documented spelling. The same parameter given more than once (in either spelling) is accepted when
 * every value is the same and refused, naming it, when they differ.
 */
export function foldAuditQuery(raw: Record<string, unknown>, prefix: string, bare: readonly string[]): Record<string, unknown> {
  const folded: Record<string, unknown> = {};
  const errors: FieldError[] = [];
  for (const [key, value] of Object.entries(raw)) {
    const base = key.startsWith(FILTER_PREFIX) ? key.slice(FILTER_PREFIX.length) : key;
    const canonical = base === '' ? key : bare.includes(base) ? base : prefix + base;
    const values = (Array.isArray(value) ? value : [value]).map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
    const seen = Object.prototype.hasOwnProperty.call(folded, canonical) ? [folded[canonical] as string] : [];
    const all = [...seen, ...values];
    if (new Set(all).size > 1) {
      if (!errors.some((e) => e.field === canonical)) {
        errors.push(
          fieldError(canonical, 'single', `is given more than once with different values (spelled ${base} or ${FILTER_PREFIX}${base})`),
        );
      }
      continue;
    }
    Object.defineProperty(folded, canonical, { value: all[0], enumerable: true, writable: true, configurable: true });
  }
  if (errors.length > 0) throw AuditErrors.INVALID_AUDIT_QUERY(undefined, { errors });
  return folded;
}
