import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AUDIT_CATEGORY, AuditEventDefinition, sanitizeDetails } from './audit-event.definition';
import { AuditEventEntity } from './audit-event.entity';

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

const MAX_USER_AGENT = 256;

/**
 * Records audit events inside the caller's transaction: the change and its event commit together or
 * not at all, and the row doubles as the outbox entry the Elasticsearch relay picks up.
 */
@Injectable()
export class AuditWriter {
  async record<K extends string>(manager: EntityManager, definition: AuditEventDefinition<K>, input: AuditRecordInput<K>): Promise<string> {
    const id = randomUUID();
    const actor = input.actor;
    let partnerId = input.partnerId ?? null;
    if (partnerId === null && input.orgId) {
      // Partner-level queries filter on partner_id alone (Elasticsearch cannot join), so an org's event
      // always carries its partner even when the caller did not pass it.
      const rows: { partner_id: string }[] = await manager.query('SELECT partner_id FROM organizations WHERE id = $1', [input.orgId]);
      partnerId = rows[0]?.partner_id ?? null;
    }
    await manager.getRepository(AuditEventEntity).insert({
      id,
      occurredAt: input.occurredAt ?? new Date(),
      category: AUDIT_CATEGORY,
      type: definition.type,
      outcome: input.outcome,
      actorType: actor ? (actor.type ?? 'user') : null,
      actorId: actor?.id ?? null,
      actorName: actor?.name ?? null,
      actorEmail: actor?.email ?? null,
      actorRole: actor?.role ?? null,
      actorIp: actor?.ip ?? null,
      actorUserAgent: actor?.userAgent ? actor.userAgent.slice(0, MAX_USER_AGENT) : null,
      partnerId,
      orgId: input.orgId ?? null,
      resourceType: input.resource?.type ?? null,
      resourceId: input.resource?.id ?? null,
      details: sanitizeDetails(definition, input.details as Record<string, unknown> | undefined) as AuditEventEntity['details'] as never,
    });
    return id;
  }
}
