import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AUDIT_CATEGORY, AuditEventDefinition, AuditValue, sanitizeDetails } from './audit-event.definition';

/** What kind of caller acted: a signed-in user, or a machine caller holding a service-account token. */
export type AuditActorType = 'user' | 'service_account';

/** Who did it. Built by the HTTP layer from the session and the request; system jobs pass `null`. */
export interface AuditActor {
  /** Absent means a user (every actor was one before service accounts existed). */
  type?: AuditActorType | null;
  id?: string | null;
  /** A display name for actors without an email address (a service account's name). */
  name?: string | null;
  email?: string | null;
  role?: string | null;
  ip?: string | null;
  userAgent?: string | null;
}

export interface AuditRecordInput<K extends string> {
  outcome: 'success' | 'failure' | 'unknown';
  actor: AuditActor | null;
  partnerId?: string | null;
  orgId?: string | null;
  resource?: { type: string; id: string } | null;
  details?: Partial<Record<K, unknown>>;
  occurredAt?: Date;
}

/** One `audit_events` row as written: the columns every writer fills, by their SQL names. */
export interface AuditRow {
  id: string;
  occurred_at: Date;
  category: string;
  type: string;
  outcome: AuditRecordInput<string>['outcome'];
  actor_type: string | null;
  actor_id: string | null;
  actor_name: string | null;
  actor_email: string | null;
  actor_role: string | null;
  actor_ip: string | null;
  actor_user_agent: string | null;
  partner_id: string | null;
  org_id: string | null;
  resource_type: string | null;
  resource_id: string | null;
  details: Record<string, AuditValue>;
}

const COLUMNS = [
  'id',
  'occurred_at',
  'category',
  'type',
  'outcome',
  'actor_type',
  'actor_id',
  'actor_name',
  'actor_email',
  'actor_role',
  'actor_ip',
  'actor_user_agent',
  'partner_id',
  'org_id',
  'resource_type',
  'resource_id',
  'details',
] as const satisfies readonly (keyof AuditRow)[];

const MAX_USER_AGENT = 256;

/**
 * Builds the row AuditWriter writes: details reduced to the definition's keys, the user agent capped,
 * a fresh id. Pure: an org's event should carry its partner (partner-level queries filter on partner_id
 * alone), which `AuditWriter.record` looks up when it is not given; direct users pass it.
 */
export function auditRow<K extends string>(definition: AuditEventDefinition<K>, input: AuditRecordInput<K>): AuditRow {
  const actor = input.actor;
  return {
    id: randomUUID(),
    occurred_at: input.occurredAt ?? new Date(),
    category: AUDIT_CATEGORY,
    type: definition.type,
    outcome: input.outcome,
    actor_type: actor ? (actor.type ?? 'user') : null,
    actor_id: actor?.id ?? null,
    actor_name: actor?.name ?? null,
    actor_email: actor?.email ?? null,
    actor_role: actor?.role ?? null,
    actor_ip: actor?.ip ?? null,
    actor_user_agent: actor?.userAgent ? actor.userAgent.slice(0, MAX_USER_AGENT) : null,
    partner_id: input.partnerId ?? null,
    org_id: input.orgId ?? null,
    resource_type: input.resource?.type ?? null,
    resource_id: input.resource?.id ?? null,
    details: sanitizeDetails(definition, input.details as Record<string, unknown> | undefined),
  };
}

/** The parameter value for `insertAuditRowsSql`: the rows as one JSON array. */
export function auditRowsParam(rows: readonly AuditRow[]): string {
  return JSON.stringify(rows);
}

/**
 * The one statement shape that writes `audit_events`: inserts the rows passed as one JSON array
 * parameter (`param`, e.g. `$8`, its value from `auditRowsParam`). Statements that write their own
 * change and its audit events in one round trip (the email outbox, the delivery booking) embed it;
 * `where` (over the rows as `a`) keeps only some of them, e.g. those whose change took effect.
 */
export function insertAuditRowsSql(param: string, where?: string): string {
  return (
    `INSERT INTO audit_events (${COLUMNS.join(', ')}) ` +
    `SELECT ${COLUMNS.map((c) => `a.${c}`).join(', ')} FROM jsonb_populate_recordset(NULL::audit_events, ${param}::jsonb) AS a` +
    (where ? ` WHERE ${where}` : '')
  );
}

const INSERT_ONE = insertAuditRowsSql('$1');

/**
 * Records audit events inside the caller's transaction: the change and its event commit together or
 * not at all, and the row doubles as the outbox entry the Elasticsearch relay picks up.
 */
@Injectable()
export class AuditWriter {
  async record<K extends string>(manager: EntityManager, definition: AuditEventDefinition<K>, input: AuditRecordInput<K>): Promise<string> {
    let partnerId = input.partnerId ?? null;
    if (partnerId === null && input.orgId) {
      // Partner-level queries filter on partner_id alone (Elasticsearch cannot join), so an org's event
      // always carries its partner even when the caller did not pass it.
      const rows: { partner_id: string }[] = await manager.query('SELECT partner_id FROM organizations WHERE id = $1', [input.orgId]);
      partnerId = rows[0]?.partner_id ?? null;
    }
    const row = auditRow(definition, { ...input, partnerId });
    await manager.query(INSERT_ONE, [auditRowsParam([row])]);
    return row.id;
  }
}
