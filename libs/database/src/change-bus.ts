/**
 * Cross-replica invalidation over Postgres LISTEN/NOTIFY. A change is published inside the writer's
 * transaction, so replicas hear of it only once it has committed. When the listening connection drops,
 * notifications may have been missed: every subscriber then gets a `reset` and must drop its caches.
 * Each notification names the replica that sent it (`origin`), which has dispatched it already and
 * ignores it when Postgres hands it back; changes made by hand in SQL (triggers) name none.
 */
import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Client } from 'pg';
import { DataSource, EntityManager, EntitySubscriberInterface, QueryRunner } from 'typeorm';

export const CHANGE_CHANNEL = 'mailstrata_changes';
export const DATABASE_URL = Symbol('DatabaseUrl');

export interface ChangeEvent {
  topic: string;
  /** What changed, e.g. a session hash or a scope id; absent for "everything in the topic". */
  key?: string;
}

/** A notification as sent: the change and the replica that sent it. */
interface ChangeNotification extends ChangeEvent {
  origin?: string;
}

export type ChangeHandler = (event: ChangeEvent | { topic: '*'; reset: true }) => void;

/** Other replicas hear of wake-ups of one topic at most this often (see `wakeAfterCommit`). */
export const WAKE_UP_INTERVAL_MS = 25;

interface WakeUpState {
  lastSentAt: number;
  due?: NodeJS.Timeout;
}

interface PendingChange {
  event: ChangeEvent;
  /** A wake-up: other replicas hear of it through a coalesced NOTIFY after the commit. */
  wakeUp: boolean;
}

@Injectable()
export class ChangeBus implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(ChangeBus.name);
  private readonly handlers = new Map<string, Set<ChangeHandler>>();
  /** Changes published inside a transaction, dispatched on this replica the moment it commits. */
  private readonly pendingLocal = new WeakMap<QueryRunner, PendingChange[]>();
  /** Per wake-up topic: when other replicas were last notified, and the notification due next. */
  private readonly wakeUps = new Map<string, WakeUpState>();
  /** This replica's name in its notifications. */
  private readonly origin = randomBytes(9).toString('base64url');
  private client: Client | undefined;
  private closing = false;
  private reconnectDelayMs = 250;
  private readyResolve!: () => void;
  /** Resolves once the first LISTEN is in place. */
  readonly ready = new Promise<void>((resolve) => (this.readyResolve = resolve));

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(DATABASE_URL) private readonly url: string,
  ) {}

  async onModuleInit(): Promise<void> {
    // The writer's own replica must not wait for its notification to come back from Postgres: a read
    // right after a committed change (e.g. DELETE, then GET /effective) has to see it.
    const subscriber: EntitySubscriberInterface = {
      afterTransactionCommit: ({ queryRunner }) => this.flushLocal(queryRunner),
      afterTransactionRollback: ({ queryRunner }) => {
        if (!queryRunner.isTransactionActive) this.pendingLocal.delete(queryRunner);
      },
    };
    this.dataSource.subscribers.push(subscriber);
    await this.connect();
  }

  async onApplicationShutdown(): Promise<void> {
    this.closing = true;
    // A wake-up still due is dropped: the workers' poll finds its jobs.
    for (const state of this.wakeUps.values()) clearTimeout(state.due);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  subscribe(topic: string, handler: ChangeHandler): () => void {
    const set = this.handlers.get(topic) ?? new Set<ChangeHandler>();
    set.add(handler);
    this.handlers.set(topic, set);
    return () => set.delete(handler);
  }

  /**
   * Queues a notification in the caller's transaction: every replica hears it on commit only (this one
   * at once, the others through Postgres); a rolled-back change is never announced.
   */
  async publish(manager: EntityManager, event: ChangeEvent): Promise<void> {
    await manager.query('SELECT pg_notify($1, $2)', [CHANGE_CHANNEL, this.notification(event)]);
    this.onCommit(manager, { event, wakeUp: false });
  }

  /**
   * Wakes the workers of `topic` (e.g. "email jobs are due") once the caller's transaction commits: on
   * this replica at once, on the others through one NOTIFY per topic per WAKE_UP_INTERVAL_MS at most,
   * sent after the commit. Not a NOTIFY inside every enqueueing transaction: Postgres would queue each
   * one, signal every listener, and each listener would read it, on the queue's hot path; and a
   * wake-up, unlike a cache invalidation, carries nothing that a coalesced one loses. A replica that
   * dies between its commit and the NOTIFY leaves the jobs to the workers' poll.
   */
  wakeAfterCommit(manager: EntityManager, topic: string): void {
    this.onCommit(manager, { event: { topic }, wakeUp: true });
  }

  private onCommit(manager: EntityManager, change: PendingChange): void {
    const runner = manager.queryRunner;
    if (runner?.isTransactionActive) {
      const pending = this.pendingLocal.get(runner) ?? [];
      pending.push(change);
      this.pendingLocal.set(runner, pending);
    } else {
      this.committed(change);
    }
  }

  private committed({ event, wakeUp }: PendingChange): void {
    this.dispatch(event);
    if (wakeUp) this.wakeOthers(event.topic);
  }

  /** Leading edge at once, then at most one trailing NOTIFY per interval, sent after every commit it covers. */
  private wakeOthers(topic: string): void {
    if (this.closing) return;
    const state = this.wakeUps.get(topic) ?? { lastSentAt: Number.NEGATIVE_INFINITY };
    this.wakeUps.set(topic, state);
    if (state.due) return;
    const wait = state.lastSentAt + WAKE_UP_INTERVAL_MS - Date.now();
    if (wait <= 0) this.notifyWakeUp(topic, state);
    else state.due = setTimeout(() => this.notifyWakeUp(topic, state), wait).unref();
  }

  private notifyWakeUp(topic: string, state: WakeUpState): void {
    state.due = undefined;
    state.lastSentAt = Date.now();
    this.dataSource
      .query('SELECT pg_notify($1, $2)', [CHANGE_CHANNEL, this.notification({ topic })])
      .catch((error: unknown) => this.logger.warn({ err: error, topic }, 'wake-up notification failed; workers poll for the work'));
  }

  private notification(event: ChangeEvent): string {
    return JSON.stringify({ ...event, origin: this.origin } satisfies ChangeNotification);
  }

  /** Publishes outside any transaction (for changes that are not database writes). */
  async publishNow(event: ChangeEvent): Promise<void> {
    await this.publish(this.dataSource.manager, event);
  }

  private flushLocal(runner: QueryRunner): void {
    if (runner.isTransactionActive) return; // a savepoint was released; the transaction goes on
    const pending = this.pendingLocal.get(runner);
    if (!pending) return;
    this.pendingLocal.delete(runner);
    for (const change of pending) this.committed(change);
  }

  private dispatch(event: ChangeEvent): void {
    for (const handler of this.handlers.get(event.topic) ?? []) this.safely(handler, event);
  }

  private resetAll(): void {
    for (const set of this.handlers.values()) for (const handler of set) this.safely(handler, { topic: '*', reset: true });
  }

  private safely(handler: ChangeHandler, event: Parameters<ChangeHandler>[0]): void {
    try {
      handler(event);
    } catch (error) {
      this.logger.error({ err: error, topic: event.topic }, 'change handler failed');
    }
  }

  private async connect(): Promise<void> {
    if (this.closing) return;
    const client = new Client({ connectionString: this.url, application_name: 'mailstrata-listener' });
    client.on('notification', (msg) => {
      if (msg.channel !== CHANGE_CHANNEL || !msg.payload) return;
      try {
        const { origin, ...event } = JSON.parse(msg.payload) as ChangeNotification;
        if (origin !== this.origin) this.dispatch(event);
      } catch {
        this.logger.warn('ignored a malformed change notification');
      }
    });
    client.on('error', (error) => this.logger.warn({ err: error }, 'change listener connection error'));
    client.on('end', () => {
      if (this.closing || this.client !== client) return;
      this.client = undefined;
      this.resetAll();
      this.scheduleReconnect();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGE_CHANNEL}`);
      if (this.closing) {
        await client.end().catch(() => undefined);
        return;
      }
      this.client = client;
      this.reconnectDelayMs = 250;
      this.readyResolve();
    } catch (error) {
      await client.end().catch(() => undefined);
      if (this.closing) return;
      this.logger.warn({ err: error }, 'change listener could not connect; retrying');
      this.scheduleReconnect();
    }
  }

  private scheduleReconnect(): void {
    const delay = this.reconnectDelayMs;
    this.reconnectDelayMs = Math.min(this.reconnectDelayMs * 2, 10_000);
    setTimeout(() => {
      if (this.closing) return;
      // Whatever happened while disconnected is unknown: caches start over.
      this.resetAll();
      void this.connect();
    }, delay).unref();
  }
}
