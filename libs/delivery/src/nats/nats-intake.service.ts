/**
 * Takes email events from a durable JetStream pull consumer and hands each to the send intake
 * (MessageIntake.submitEvent: the send API's checks, templates and writer, one Postgres transaction with
 * the event id's claim), acknowledging only after the commit:
 *  - accepted or duplicate (the id is already committed) → ack; a redelivery never queues a second email;
 *  - refused (not JSON, validation errors, unknown scope, no route, template data missing) → a message on
 *    the dead-letter subject with the reason and the original headers, an `email.event.rejected` audit
 *    event, then ack: a bad event never blocks the stream;
 *  - anything else (Postgres down, NATS hiccup) → nak with a delay: the event comes back later.
 * A worker killed at any point leaves its unacknowledged events to be redelivered after the ack wait,
 * and the event-id table turns the redelivery of a committed event into a duplicate.
 */
import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { ConsumerMessages, jetstream, JetStreamClient, jetstreamManager, JsMsg } from '@nats-io/jetstream';
import { headers as natsHeaders, MsgHdrs, NatsConnection } from '@nats-io/transport-node';
import { AuditWriter } from '@mailstrata/audit';
import { DomainError } from '@mailstrata/common';
import { APP_CONFIG, AppConfig, NatsIntakeConfig } from '@mailstrata/config';
import { DataSource } from 'typeorm';
import { validateEmailEvent } from './email-event.dto';
import { MessageIntake } from '../message-intake';
import { connectNats, ensureIntakeConsumer } from './nats-connection';
import { NatsIntakeErrors } from './nats-intake.errors';
import { EmailEventRejected } from './nats-intake.events';
import { recordNatsEvent } from './nats-intake.metrics';

/** Kinds of DomainError that mean "a dependency is down", not "this event is wrong". */
const TRANSIENT_KINDS = new Set(['unavailable', 'bad_gateway']);
const RECONNECT_DELAY_MS = 2000;

type Outcome = { kind: 'done'; duplicate: boolean } | { kind: 'rejected'; error: DomainError; eventId?: string; producer?: string };

@Injectable()
export class NatsIntakeService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(NatsIntakeService.name);
  private readonly config: NatsIntakeConfig;
  private connection: NatsConnection | undefined;
  private js: JetStreamClient | undefined;
  private messages: ConsumerMessages | undefined;
  private loop: Promise<void> | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private consuming = false;
  private stopping = false;

  constructor(
    @Inject(APP_CONFIG) appConfig: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly intake: MessageIntake,
    private readonly audit: AuditWriter,
  ) {
    if (!appConfig.natsIntake) throw new Error('NatsIntakeService needs EVENTS_NATS_URL');
    this.config = appConfig.natsIntake;
  }

  /** For /readyz: connected to NATS and pulling from the consumer. */
  ready(): boolean {
    return this.consuming && this.connection !== undefined && !this.connection.isClosed();
  }

  onApplicationBootstrap(): void {
    this.loop = this.run();
  }

  /** Before the database closes: stop pulling, finish the events in hand, close the connection. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await this.messages?.close();
    await this.loop;
    await Promise.allSettled([...this.inFlight]);
    await this.connection?.drain().catch(() => undefined);
  }

  /** Connects (again, after a failure) and consumes until shutdown. */
  private async run(): Promise<void> {
    while (!this.stopping) {
      try {
        await this.consumeOnce();
      } catch (error) {
        this.consuming = false;
        if (this.stopping) break;
        this.logger.error(`NATS intake: ${error instanceof Error ? error.message : String(error)}; retrying in ${RECONNECT_DELAY_MS} ms`);
        await new Promise((resolve) => setTimeout(resolve, RECONNECT_DELAY_MS).unref());
      }
    }
  }

  private async consumeOnce(): Promise<void> {
    if (!this.connection || this.connection.isClosed()) {
      this.connection = await connectNats(this.config, 'mailstrata-event-intake');
    }
    const jsm = await jetstreamManager(this.connection);
    await ensureIntakeConsumer(jsm, this.config);
    this.js = jetstream(this.connection);
    const consumer = await this.js.consumers.get(this.config.stream, this.config.consumer);
    if (this.stopping) return;
    // The client keeps at most this many events in hand; the server caps the consumer at max_ack_pending.
    this.messages = await consumer.consume({ max_messages: Math.min(this.config.concurrency * 2, this.config.maxAckPending) });
    this.consuming = true;
    this.logger.log(`NATS intake: consuming ${this.config.stream}/${this.config.consumer} (${this.config.subject})`);
    for await (const msg of this.messages) {
      if (this.stopping) {
        msg.nak(); // not started: hand it back at once rather than after the ack wait
        continue;
      }
      const task: Promise<void> = this.handle(msg).finally(() => this.inFlight.delete(task));
      this.inFlight.add(task);
      if (this.inFlight.size >= this.config.concurrency) await Promise.race(this.inFlight);
    }
    this.consuming = false;
  }

  private async handle(msg: JsMsg): Promise<void> {
    try {
      const outcome = await this.process(msg);
      // A plain ack, not a confirmed one: should it be lost, the redelivery finds the event id committed.
      if (outcome.kind === 'done') {
        msg.ack();
        recordNatsEvent(outcome.duplicate ? 'duplicate' : 'accepted');
        return;
      }
      await this.deadLetter(msg, outcome);
      msg.ack();
      recordNatsEvent('rejected');
    } catch (error) {
      // Not acknowledged: the event comes back after the delay (or after the ack wait if this nak is lost).
      recordNatsEvent('retried');
      this.logger.warn(
        `NATS intake: event at ${this.config.stream} seq ${msg.seq} will be retried: ${error instanceof Error ? error.message : String(error)}`,
      );
      try {
        msg.nak(this.config.retryDelayMs);
      } catch {
        // The connection is gone; the server redelivers after the ack wait.
      }
    }
  }

  private async process(msg: JsMsg): Promise<Outcome> {
    let payload: unknown;
    try {
      payload = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(msg.data));
    } catch {
      return { kind: 'rejected', error: NatsIntakeErrors.MALFORMED_EVENT() };
    }
    const claimed = claimedIdentity(payload);
    try {
      const event = validateEmailEvent(payload);
      const producer = { type: 'nats' as const, id: null, name: event.producer };
      const result = await this.intake.submitEvent(event.request, producer, event.eventId);
      return { kind: 'done', duplicate: result.duplicate };
    } catch (error) {
      if (error instanceof DomainError && error.code === 'NOT_FOUND') {
        return {
          kind: 'rejected',
          error: NatsIntakeErrors.SCOPE_NOT_FOUND(`The ${error.detail.replace(/ was not found$/, '')} named by the event does not exist.`),
          ...claimed,
        };
      }
      if (error instanceof DomainError && !TRANSIENT_KINDS.has(error.kind)) return { kind: 'rejected', error, ...claimed };
      throw error;
    }
  }

  /** The reason and the original headers on the dead-letter subject, then the audit event; never the body. */
  private async deadLetter(msg: JsMsg, outcome: Extract<Outcome, { kind: 'rejected' }>): Promise<void> {
    // headers.get answers '' for a missing header.
    const eventId = outcome.eventId ?? (msg.headers?.get('Nats-Msg-Id') || undefined);
    const h = natsHeaders();
    copyHeaders(msg.headers, h);
    h.set('Mailstrata-Reject-Code', outcome.error.code);
    if (eventId) h.set('Mailstrata-Event-Id', eventId);
    // Publishing the same rejection twice (a crash between publish and ack) is absorbed by JetStream's dedup window.
    const reason = {
      event_id: eventId ?? null,
      producer: outcome.producer ?? null,
      code: outcome.error.code,
      detail: outcome.error.detail,
      errors: outcome.error.errors,
      original: { stream: this.config.stream, seq: msg.seq, subject: msg.subject, redeliveries: msg.info.deliveryCount - 1 },
      rejected_at: new Date().toISOString(),
    };
    await this.js!.publish(this.config.deadLetterSubject, JSON.stringify(reason), {
      headers: h,
      msgID: `mailstrata-dead-letter:${this.config.stream}:${this.config.consumer}:${msg.seq}`,
    });
    await this.dataSource.transaction((manager) =>
      this.audit.record(manager, EmailEventRejected, {
        outcome: 'failure',
        actor: null,
        partnerId: null,
        orgId: null,
        resource: { type: 'email_event', id: eventId ?? `${this.config.stream}:${msg.seq}` },
        details: {
          event_id: eventId ?? null,
          producer: outcome.producer ?? null,
          reason_code: outcome.error.code,
          stream: this.config.stream,
          stream_seq: msg.seq,
          dead_letter_subject: this.config.deadLetterSubject,
        },
      }),
    );
    this.logger.warn(`NATS intake: event ${eventId ?? '(no id)'} at seq ${msg.seq} rejected: ${outcome.error.code}`);
  }
}

/** The id and producer an invalid event claims, when they are plain strings (for the reason and the audit). */
function claimedIdentity(payload: unknown): { eventId?: string; producer?: string } {
  if (payload === null || typeof payload !== 'object') return {};
  const p = payload as Record<string, unknown>;
  const printable = (v: unknown) => (typeof v === 'string' && /^[\x21-\x7e]{1,255}$/.test(v) ? v : undefined);
  return { eventId: printable(p.event_id), producer: printable(p.producer) };
}

/** The original headers except NATS's own (its message id would make JetStream drop the dead letter as a duplicate). */
function copyHeaders(from: MsgHdrs | undefined, to: MsgHdrs): void {
  if (!from) return;
  for (const [key, values] of from) {
    if (/^nats-/i.test(key)) {
      if (/^nats-msg-id$/i.test(key)) to.set('Mailstrata-Original-Msg-Id', values[0] ?? '');
      continue;
    }
    for (const v of values) to.append(key, v);
  }
}
