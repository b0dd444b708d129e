/**
 * The send intake: where a producer outside delivery (the send API, an event consumer) hands over a
 * system email for a tenant. `submit` checks the message, the caller's right to the tenant (a foreign
 * or unknown scope is not found), the idempotency key, renders the template, resolves the route the
 * message will take (reported to the caller, resolved again at send time), takes the tenant's quota,
 * and writes the message, its per-recipient jobs and audit events in one transaction.
 *
 * `submitEvent` is the same intake for an event from the bus (NATS): exactly once per event id through
 * `email_events_seen`, whose row is claimed first in the very transaction that writes the message, so a
 * redelivered or concurrent copy of a committed event commits nothing. Events are not counted against the
 * per-tenant send quotas: their publishers are platform components admitted by the bus's own accounts,
 * not tenants; refusing one would either lose it (dead letter) or hold it in the stream where its
 * redeliveries block other tenants' events; and fair claiming already keeps one tenant's burst from
 * delaying another's email. The stream is the buffer.
 *
 * Idempotency: a key is the caller's (scoped by producer type and id) and answers with its first
 * message while it is younger than EMAIL_IDEMPOTENCY_TTL_HOURS: the same request (same fingerprint)
 * gets the first message back, another request IDEMPOTENCY_KEY_REUSED. The unique index decides
 * between two concurrent submissions of one key; the loser answers like a late duplicate.
 */
import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AuditActor } from '@mailstrata/audit';
import { CommonErrors, notFound } from '@mailstrata/common';
import { APP_CONFIG, AppConfig } from '@mailstrata/config';
import { ChangeBus, SharedRateLimiter } from '@mailstrata/database';
import { SecretCipher } from '@mailstrata/secrets';
import { DataSource, EntityManager } from 'typeorm';
import { DeliveryErrors } from './errors';
import { EMAIL_JOBS_TOPIC } from './email-outbox';
import { MESSAGE_RENDERER, MessageRenderer, RenderedMessage } from './message-renderer';
import { MessageDedup, messageFieldErrors, MessageProducer, MessageRequest } from './message-request';
import { NewMessage, RouteAtEnqueue, writeMessage } from './message-writer';
import { SmtpRouteResolver, SmtpScope } from './smtp-route';

/** The tenancy a caller is bound to: an org, a partner (and its orgs), or the platform (both null). */
export interface MessageCaller {
  partnerId: string | null;
  orgId: string | null;
}

export interface SubmitOptions {
  /** Absent or null: a platform-level producer (any tenant). */
  caller?: MessageCaller | null;
  /** Who to name in the audit events (a signed-in user with ip and agent); null for machine producers. */
  actor?: AuditActor | null;
}

export interface SubmitResult {
  id: string;
  status: 'queued';
  route: { level: string; profile_id: string | null; version: string | null };
  /** The key had already been used with this request: the first message, nothing new was queued. */
  replayed: boolean;
}

export interface EventSubmitResult {
  /** The delivery log's message for the event (the first one's when it is a duplicate). */
  id: string;
  /** The event id was already committed: nothing new was queued. */
  duplicate: boolean;
}

interface StoredMessage {
  id: string;
  idempotency_fingerprint: string | null;
  fresh: boolean;
  route_level: string | null;
  route_profile_id: string | null;
  route_version: string | null;
}

const HOUR_MS = 3_600_000;

@Injectable()
export class MessageIntake {
  private readonly perMinute: SharedRateLimiter;
  private readonly perHour: SharedRateLimiter;
  private readonly idempotencyTtlMs: number;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly cipher: SecretCipher,
    private readonly changes: ChangeBus,
    private readonly routes: SmtpRouteResolver,
    @Inject(MESSAGE_RENDERER) private readonly renderer: MessageRenderer,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    const { sendQuotaPerMinute, sendQuotaPerHour, idempotencyTtlHours } = config.emailDelivery;
    this.perMinute = new SharedRateLimiter(dataSource, { name: 'email-send-minute', points: sendQuotaPerMinute, windowSeconds: 60 });
    this.perHour = new SharedRateLimiter(dataSource, { name: 'email-send-hour', points: sendQuotaPerHour, windowSeconds: 3600 });
    this.idempotencyTtlMs = idempotencyTtlHours * HOUR_MS;
  }

  async submit(
    request: MessageRequest,
    producer: MessageProducer,
    dedup: MessageDedup | null,
    options: SubmitOptions = {},
  ): Promise<SubmitResult> {
    const errors = messageFieldErrors(request);
    if (errors.length > 0) throw DeliveryErrors.INVALID_EMAIL_MESSAGE(undefined, { errors });
    const scope = await this.scopeFor(request, options.caller ?? null);
    const keyScope = `${producer.type}:${producer.id ?? ''}`;
    if (dedup) {
      const earlier = await this.earlier(keyScope, dedup);
      if (earlier) return earlier;
    }
    const content = await this.contentOf(request, scope);
    const route = await this.routeOf(scope);
    const recipients = request.to.length + (request.cc?.length ?? 0);
    await this.takeQuota(scope, recipients);

    const written = await this.dataSource.transaction(async (manager) => {
      const result = await writeMessage(manager, this.cipher, {
        ...this.messageOf(request, scope, producer, content, route),
        dedup: dedup ? { scope: keyScope, ...dedup } : null,
        actor: options.actor ?? null,
      });
      if (result.inserted) this.changes.wakeAfterCommit(manager, EMAIL_JOBS_TOPIC);
      return result;
    });
    if (!written.inserted) {
      // Another submission of the same key committed first: answer as a duplicate of it.
      const earlier = dedup ? await this.earlier(keyScope, dedup) : undefined;
      if (earlier) return earlier;
      throw CommonErrors.DEPENDENCY_UNAVAILABLE('The message could not be queued; try again with the same Idempotency-Key.');
    }
    return {
      id: written.id,
      status: 'queued',
      route: { level: route.level, profile_id: route.profileId, version: route.version },
      replayed: false,
    };
  }

  /**
   * An event from the bus, exactly once per event id: the id is claimed (with the message's id) first in
   * the transaction that renders and writes the message; a copy of a committed event answers `duplicate`
   * and commits nothing; a refusal rolls the claim back with everything else. No quota (see above).
   */
  async submitEvent(request: MessageRequest, producer: MessageProducer, eventId: string): Promise<EventSubmitResult> {
    const errors = messageFieldErrors(request);
    if (errors.length > 0) throw DeliveryErrors.INVALID_EMAIL_MESSAGE(undefined, { errors });
    return this.dataSource.transaction(async (manager) => {
      const id = randomUUID();
      // A concurrent copy of the event waits on this row, then finds it taken.
      const claimed: unknown[] = await manager.query(
        `INSERT INTO email_events_seen (event_id, producer, message_ids) VALUES ($1, $2, ARRAY[$3::uuid])
         ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
        [eventId, producer.name ?? producer.type, id],
      );
      if (claimed.length === 0) {
        const [seen] = await manager.query<{ message_ids: string[] }[]>(`SELECT message_ids FROM email_events_seen WHERE event_id = $1`, [
          eventId,
        ]);
        return { id: seen?.message_ids[0] ?? '', duplicate: true };
      }
      const scope = await this.scopeFor(request, null, manager);
      const content = await this.contentOf(request, scope, manager);
      const route = await this.routeOf(scope);
      await writeMessage(manager, this.cipher, {
        ...this.messageOf(request, scope, producer, content, route),
        id,
        dedup: null,
        actor: null,
      });
      this.changes.wakeAfterCommit(manager, EMAIL_JOBS_TOPIC);
      return { id, duplicate: false };
    });
  }

  /** The template rendered for the tenant (in `manager`'s transaction when given), or the literal content. */
  private async contentOf(request: MessageRequest, scope: SmtpScope, manager?: EntityManager): Promise<RenderedMessage> {
    if (request.template !== undefined) return this.renderer.render(request.template, scope, request.data ?? {}, manager);
    return { subject: request.subject!, text: request.text!, ...(request.html !== undefined ? { html: request.html } : {}) };
  }

  /** The route the message would take now (NO_SMTP_CONFIG when no level has one); resolved again at send time. */
  private async routeOf(scope: SmtpScope): Promise<RouteAtEnqueue> {
    const target = await this.routes.resolve(scope);
    return { level: target.source, profileId: target.profileId, version: target.version };
  }

  private messageOf(
    request: MessageRequest,
    scope: SmtpScope,
    producer: MessageProducer,
    content: RenderedMessage,
    route: RouteAtEnqueue,
  ): Omit<NewMessage, 'dedup' | 'actor'> {
    return {
      scope,
      producer,
      template: request.template ?? 'generic',
      to: request.to,
      cc: request.cc ?? [],
      replyTo: request.replyTo ?? null,
      ...content,
      route,
      accepted: true,
    };
  }

  /** The tenant whose route sends, if the caller may send for it; unknown and foreign ids alike are not found. */
  private async scopeFor(request: MessageRequest, caller: MessageCaller | null, manager?: EntityManager): Promise<SmtpScope> {
    const db = manager ?? this.dataSource;
    if (request.orgId !== undefined) {
      const [org] = (await db.query('SELECT id, partner_id FROM organizations WHERE id = $1', [request.orgId])) as {
        id: string;
        partner_id: string;
      }[];
      const visible =
        org &&
        (!caller ||
          ((caller.orgId === null || caller.orgId === org.id) && (caller.partnerId === null || caller.partnerId === org.partner_id)));
      if (!visible) throw notFound('Organization');
      return { partnerId: org.partner_id, orgId: org.id };
    }
    const [partner] = (await db.query('SELECT id FROM partners WHERE id = $1', [request.partnerId])) as { id: string }[];
    const visible = partner && (!caller || (caller.orgId === null && (caller.partnerId === null || caller.partnerId === partner.id)));
    if (!visible) throw notFound('Partner');
    return { partnerId: partner.id, orgId: null };
  }

  /** The first message of a key still held (a replay), or IDEMPOTENCY_KEY_REUSED; an expired key is released. */
  private async earlier(keyScope: string, dedup: MessageDedup): Promise<SubmitResult | undefined> {
    const [row] = (await this.dataSource.query(
      `SELECT id, idempotency_fingerprint, created_at > now() - ($3 || ' milliseconds')::interval AS fresh,
              route_level, route_profile_id, route_version
       FROM email_messages WHERE idempotency_scope = $1 AND idempotency_key = $2`,
      [keyScope, dedup.key, String(this.idempotencyTtlMs)],
    )) as StoredMessage[];
    if (!row) return undefined;
    if (!row.fresh) {
      await this.dataSource.query(`UPDATE email_messages SET idempotency_key = NULL WHERE id = $1`, [row.id]);
      return undefined;
    }
    if (row.idempotency_fingerprint !== dedup.fingerprint) throw DeliveryErrors.IDEMPOTENCY_KEY_REUSED();
    return {
      id: row.id,
      status: 'queued',
      route: { level: row.route_level ?? 'controller', profile_id: row.route_profile_id, version: row.route_version },
      replayed: true,
    };
  }

  /** Counts the recipients against the partner's quotas (across replicas); over either: RATE_LIMITED with retry_after. */
  private async takeQuota(scope: SmtpScope, recipients: number): Promise<void> {
    const key = scope.partnerId ?? 'controller';
    let wait = await this.perMinute.take(key, recipients);
    if (wait === 0) wait = await this.perHour.take(key, recipients);
    if (wait > 0) {
      throw CommonErrors.RATE_LIMITED(`The email quota of this tenant is used up; try again in ${wait} s.`, {
        extensions: { retry_after: wait },
      });
    }
  }
}
