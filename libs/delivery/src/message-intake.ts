/**
 * The send intake: where a producer outside delivery (the send API, an event consumer) hands over a
 * system email for a tenant. `submit` checks the message, the caller's right to the tenant (a foreign
 * or unknown scope is not found), the idempotency key, renders the template, resolves the route the
 * message will take (reported to the caller, resolved again at send time), and in one statement (one
 * transaction) takes the tenant's quota and writes the message, its per-recipient jobs and audit events.
 *
 * Per request that is one round trip and one commit, shared with the requests submitted at the same
 * time: the tenant is looked up in email-config's cache (invalidated on every replica when organizations
 * change), and the idempotency key, both quota windows and the writes are one statement (SendAdmission).
 * Replicas agree on quotas and keys because both live in Postgres.
 *
 * `submitEvent` is the same intake for an event from the bus (NATS): exactly once per event id through
 * `email_events_seen`, whose row is claimed by the very statement (one transaction) that writes the
 * message, so a redelivered or concurrent copy of a committed event commits nothing. Events are not counted against the
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
import { CommonErrors, DomainError, notFound } from '@mailstrata/common';
import { APP_CONFIG, AppConfig } from '@mailstrata/config';
import { ChangeBus } from '@mailstrata/database';
import { EffectiveConfigService } from '@mailstrata/email-config';
import { SecretCipher } from '@mailstrata/secrets';
import { DataSource } from 'typeorm';
import { DeliveryErrors } from './errors';
import { EMAIL_JOBS_TOPIC } from './email-outbox';
import { MESSAGE_RENDERER, MessageRenderer, RenderedMessage } from './message-renderer';
import { distinctRecipients, MessageDedup, messageFieldErrors, MessageProducer, MessageRequest } from './message-request';
import { MessageBatchWriter } from './message-batch-writer';
import { NewMessage, RouteAtEnqueue } from './message-writer';
import { EarlierMessage, SendAdmission } from './send-admission';
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

const HOUR_MS = 3_600_000;

@Injectable()
export class MessageIntake {
  private readonly admission: SendAdmission;
  private readonly writer: MessageBatchWriter;
  private readonly idempotencyTtlMs: number;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    cipher: SecretCipher,
    private readonly changes: ChangeBus,
    private readonly routes: SmtpRouteResolver,
    private readonly tenants: EffectiveConfigService,
    @Inject(MESSAGE_RENDERER) private readonly renderer: MessageRenderer,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    const { sendQuotaPerMinute, sendQuotaPerHour, idempotencyTtlHours } = config.emailDelivery;
    this.idempotencyTtlMs = idempotencyTtlHours * HOUR_MS;
    this.writer = new MessageBatchWriter(dataSource, cipher);
    this.admission = new SendAdmission(
      dataSource,
      cipher,
      { perMinute: sendQuotaPerMinute, perHour: sendQuotaPerHour },
      this.idempotencyTtlMs,
    );
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
    let content: RenderedMessage;
    let route: RouteAtEnqueue;
    try {
      content = await this.contentOf(request, scope);
      route = await this.routeOf(scope);
    } catch (error) {
      // A replay answers its first message even when the request would be refused now (a route removed since).
      const earlier = dedup ? await this.earlier(keyScope, dedup) : undefined;
      if (earlier) return earlier;
      throw error;
    }
    const message: NewMessage = {
      ...this.messageOf(request, scope, producer, content, route),
      dedup: dedup ? { scope: keyScope, ...dedup } : null,
      actor: options.actor ?? null,
    };
    const tenant = scope.partnerId ?? 'controller';
    const recipients = message.to.length + message.cc.length;
    // Committed on its own (with whatever other requests were submitted meanwhile): the message, its
    // jobs and their audit events with the quota it takes, or nothing. Submitted again (once) when the
    // key was released or taken by a request that was not written after all.
    let admitted = await this.admission.admit(message, tenant, recipients);
    if (admitted.outcome === 'earlier' && !admitted.earlier.fresh) {
      await this.release(admitted.earlier.id);
      admitted = await this.admission.admit(message, tenant, recipients);
    } else if (admitted.outcome === 'taken') {
      const earlier = dedup ? await this.earlier(keyScope, dedup) : undefined;
      if (earlier) return earlier;
      admitted = await this.admission.admit(message, tenant, recipients);
    }
    switch (admitted.outcome) {
      case 'written':
        this.changes.wakeAfterCommit(this.dataSource.manager, EMAIL_JOBS_TOPIC);
        return {
          id: admitted.id,
          status: 'queued',
          route: { level: route.level, profile_id: route.profileId, version: route.version },
          replayed: false,
        };
      case 'earlier':
        if (admitted.earlier.fresh) return this.replay(admitted.earlier, dedup!);
        break;
      case 'limited':
        throw CommonErrors.RATE_LIMITED(`The email quota of this tenant is used up; try again in ${admitted.retryAfter} s.`, {
          extensions: { retry_after: admitted.retryAfter },
        });
      case 'taken': {
        const earlier = dedup ? await this.earlier(keyScope, dedup) : undefined;
        if (earlier) return earlier;
        break;
      }
    }
    throw CommonErrors.DEPENDENCY_UNAVAILABLE('The message could not be queued; try again with the same Idempotency-Key.');
  }

  /**
   * An event from the bus, exactly once per event id: the statement that writes the message claims the
   * id in `email_events_seen` (with the message's id), so a copy of a committed event writes nothing and
   * answers `duplicate`, and a refusal writes nothing at all. No quota (see above).
   */
  async submitEvent(request: MessageRequest, producer: MessageProducer, eventId: string): Promise<EventSubmitResult> {
    const errors = messageFieldErrors(request);
    if (errors.length > 0) throw DeliveryErrors.INVALID_EMAIL_MESSAGE(undefined, { errors });
    const id = randomUUID();
    let inserted: boolean;
    try {
      const scope = await this.scopeFor(request, null);
      const content = await this.contentOf(request, scope);
      const route = await this.routeOf(scope);
      const written = await this.writer.write({
        ...this.messageOf(request, scope, producer, content, route),
        id,
        dedup: null,
        actor: null,
        eventClaim: { eventId, producer: producer.name ?? producer.type },
      });
      inserted = written.inserted;
    } catch (error) {
      // A copy of an event committed before the cause of this refusal appeared (a route removed since) stays a duplicate.
      const first = error instanceof DomainError ? await this.eventMessage(eventId) : undefined;
      if (first !== undefined) return { id: first, duplicate: true };
      throw error;
    }
    if (!inserted) return { id: (await this.eventMessage(eventId)) ?? '', duplicate: true };
    this.changes.wakeAfterCommit(this.dataSource.manager, EMAIL_JOBS_TOPIC);
    return { id, duplicate: false };
  }

  /** The message id an event's id was committed with, if it was. */
  private async eventMessage(eventId: string): Promise<string | undefined> {
    const [seen] = (await this.dataSource.query(`SELECT message_ids FROM email_events_seen WHERE event_id = $1`, [eventId])) as {
      message_ids: string[];
    }[];
    return seen ? (seen.message_ids[0] ?? '') : undefined;
  }

  /** The template rendered for the tenant, or the literal content. */
  private async contentOf(request: MessageRequest, scope: SmtpScope): Promise<RenderedMessage> {
    if (request.template !== undefined) return this.renderer.render(request.template, scope, request.data ?? {});
    return { subject: request.subject!, text: request.text!, ...(request.html !== undefined ? { html: request.html } : {}) };
  }

  /**
   * The route the message would take now (NO_SMTP_CONFIG when no level has one); resolved again at send
   * time, so secret files are not read here (one the operator has yet to mount must not refuse the message).
   */
  private async routeOf(scope: SmtpScope): Promise<RouteAtEnqueue> {
    const target = await this.routes.resolve(scope, { readSecretFiles: false });
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
      ...distinctRecipients(request.to, request.cc),
      replyTo: request.replyTo ?? null,
      ...content,
      route,
      accepted: true,
    };
  }

  /**
   * The tenant whose route sends, if the caller may send for it; unknown and foreign ids alike are not
   * found. Read through email-config's cache of organizations and partners, which every replica drops
   * when one of them changes (even by hand in SQL).
   */
  private async scopeFor(request: MessageRequest, caller: MessageCaller | null): Promise<SmtpScope> {
    if (request.orgId !== undefined) {
      const org = await this.tenants.orgInfo(request.orgId);
      const visible =
        org &&
        (!caller ||
          ((caller.orgId === null || caller.orgId === request.orgId) && (caller.partnerId === null || caller.partnerId === org.partnerId)));
      if (!visible) throw notFound('Organization');
      return { partnerId: org.partnerId, orgId: request.orgId };
    }
    const partnerId = request.partnerId!;
    const visible =
      (!caller || (caller.orgId === null && (caller.partnerId === null || caller.partnerId === partnerId))) &&
      (await this.tenants.partnerExists(partnerId));
    if (!visible) throw notFound('Partner');
    return { partnerId, orgId: null };
  }

  /** The first message of a key still held (a replay), or IDEMPOTENCY_KEY_REUSED; an expired key is released. */
  private async earlier(keyScope: string, dedup: MessageDedup): Promise<SubmitResult | undefined> {
    const [row] = (await this.dataSource.query(
      `SELECT id, idempotency_fingerprint, created_at > now() - ($3 || ' milliseconds')::interval AS fresh,
              route_level, route_profile_id, route_version
       FROM email_messages WHERE idempotency_scope = $1 AND idempotency_key = $2`,
      [keyScope, dedup.key, String(this.idempotencyTtlMs)],
    )) as EarlierMessage[];
    if (!row) return undefined;
    if (!row.fresh) {
      await this.release(row.id);
      return undefined;
    }
    return this.replay(row, dedup);
  }

  /** A key past its lifetime: its message keeps the log entry, the key is free again. */
  private async release(messageId: string): Promise<void> {
    await this.dataSource.query(`UPDATE email_messages SET idempotency_key = NULL WHERE id = $1`, [messageId]);
  }

  private replay(row: EarlierMessage, dedup: MessageDedup): SubmitResult {
    if (row.idempotency_fingerprint !== dedup.fingerprint) throw DeliveryErrors.IDEMPOTENCY_KEY_REUSED();
    return {
      id: row.id,
      status: 'queued',
      route: { level: row.route_level ?? 'controller', profile_id: row.route_profile_id, version: row.route_version },
      replayed: true,
    };
  }
}
