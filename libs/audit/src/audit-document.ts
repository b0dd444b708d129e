/**
 * The one shape of a SYSTEMAUDIT event outside Postgres: what goes to Elasticsearch and what both query
 * stores return. Built field by field from the row (never by spreading it), so a new column — or a
 * delivery column such as `last_error` — can never leak into Elasticsearch or an API answer.
 */
import type { AuditRow } from './audit-writer';

export interface AuditDocument {
  '@timestamp': string;
  event_id: string;
  category: string;
  type: string;
  outcome: string;
  actor: {
    type: string | null;
    id: string | null;
    name: string | null;
    email: string | null;
    role: string | null;
    ip: string | null;
    user_agent: string | null;
  };
  partner_id: string | null;
  org_id: string | null;
  resource: { type: string; id: string } | null;
  details: Record<string, unknown>;
}

/** The columns of `audit_events` that make up an event (as `pg` returns them). */
/** An audit_events row as read back: the row the writer builds, with what older rows may hold (any outcome, no details). */
export type AuditEventRow = Omit<AuditRow, 'outcome' | 'details'> & { outcome: string; details: Record<string, unknown> | null };

export const AUDIT_EVENT_COLUMNS =
  'id, occurred_at, category, type, outcome, actor_type, actor_id, actor_name, actor_email, actor_role, actor_ip, actor_user_agent, ' +
  'partner_id, org_id, resource_type, resource_id, details';

export function toAuditDocument(row: AuditEventRow): AuditDocument {
  return {
    '@timestamp': new Date(row.occurred_at).toISOString(),
    event_id: row.id,
    category: row.category,
    type: row.type,
    outcome: row.outcome,
    actor: {
      // Rows written before actors had a type were all users' (or the system's, with no actor id).
      type: row.actor_type ?? (row.actor_id !== null ? 'user' : null),
      id: row.actor_id,
      name: row.actor_name,
      email: row.actor_email,
      role: row.actor_role,
      ip: row.actor_ip,
      user_agent: row.actor_user_agent,
    },
    partner_id: row.partner_id,
    org_id: row.org_id,
    resource: row.resource_type !== null && row.resource_id !== null ? { type: row.resource_type, id: row.resource_id } : null,
    details: row.details ?? {},
  };
}

type Loose = Partial<Omit<AuditDocument, 'actor'>> & { actor?: Partial<AuditDocument['actor']> | null };

/** Re-shapes a stored Elasticsearch `_source` into the document, so both stores answer field for field alike. */
export function normalizeAuditDocument(source: Loose): AuditDocument {
  const actor = source.actor ?? {};
  return {
    '@timestamp': new Date(source['@timestamp'] ?? 0).toISOString(),
    event_id: source.event_id ?? '',
    category: source.category ?? '',
    type: source.type ?? '',
    outcome: source.outcome ?? 'unknown',
    actor: {
      type: actor.type ?? (actor.id ? 'user' : null),
      id: actor.id ?? null,
      name: actor.name ?? null,
      email: actor.email ?? null,
      role: actor.role ?? null,
      ip: actor.ip ?? null,
      user_agent: actor.user_agent ?? null,
    },
    partner_id: source.partner_id ?? null,
    org_id: source.org_id ?? null,
    resource: source.resource?.type && source.resource.id ? { type: source.resource.type, id: source.resource.id } : null,
    details: source.details ?? {},
  };
}

/**
 * The index an event lives in, chosen from the event's own time (one index per UTC month). Because a
 * redelivered event always targets the same index, `create` with the event id answers 409 instead of
 * writing a second copy — which a data stream's rollover would not guarantee.
 */
export function auditIndexFor(prefix: string, timestamp: string | Date): string {
  const d = new Date(timestamp);
  return `${prefix}-${d.getUTCFullYear()}.${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

export function auditIndexPattern(prefix: string): string {
  return `${prefix}-*`;
}
