/**
 * Each library declares its audit events next to its domain with `defineAuditEvent`, naming the only
 * detail keys that event may carry. The writer drops everything else, so a secret can reach an audit
 * event only if someone names a key for it here, and names that look like secrets are refused outright.
 */
export const AUDIT_CATEGORY = 'SYSTEMAUDIT';

export type AuditScalar = string | number | boolean | null;
export type AuditValue = AuditScalar | AuditScalar[];

export interface AuditEventDefinition<K extends string = string> {
  readonly type: string;
  readonly details: readonly K[];
}

const FORBIDDEN_KEY = /(pass(word)?|secret|token|key$|^key|credential|body|link|cookie|authorization)/i;
// Detail keys that name a secret-ish thing without carrying it (booleans and field lists).
const ALLOWED_DESPITE_NAME = /(_set|_changed|_fields|_present)$/;

export function defineAuditEvent<const K extends string>(type: string, details: readonly K[]): AuditEventDefinition<K> {
  if (!/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/.test(type)) throw new Error(`bad audit event type ${type}`);
  for (const key of details) {
    if (FORBIDDEN_KEY.test(key) && !ALLOWED_DESPITE_NAME.test(key)) {
      throw new Error(`audit event ${type}: detail key "${key}" looks like a secret and is not allowed`);
    }
  }
  return Object.freeze({ type, details: Object.freeze([...details]) });
}

const MAX_STRING = 512;
const MAX_ARRAY = 50;

function scalar(value: unknown): AuditScalar | undefined {
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string') return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…` : value;
  return undefined;
}

/** Keeps only the definition's keys and only scalar (or scalar-array) values. */
export function sanitizeDetails(definition: AuditEventDefinition, details: Record<string, unknown> | undefined) {
  const out: Record<string, AuditValue> = {};
  if (!details) return out;
  for (const key of definition.details) {
    const value = details[key];
    if (value === undefined) continue;
    if (Array.isArray(value)) {
      const items = value
        .slice(0, MAX_ARRAY)
        .map(scalar)
        .filter((v): v is AuditScalar => v !== undefined);
      out[key] = items;
    } else {
      const v = scalar(value);
      if (v !== undefined) out[key] = v;
    }
  }
  return out;
}
