/**
 * The batching mechanics of a claimed queue, independent of what its items are: claim-ahead in
 * batches, `concurrency` lanes, results booked in groups, leases renewed by a heartbeat, and on stop the
 * items in flight finished and booked while claimed-but-unstarted ones are released.
 *
 * Nothing waits on anything else: the next batch is claimed while the current one is processed (when
 * half of it is left), and results are booked in groups while processing goes on (each booking takes
 * whatever finished since the previous one started). A wake-up that arrives while a pass runs keeps it
 * claiming. The heartbeat renews the lease of every item still held (claimed, in process, or done and
 * waiting to be booked) every third of a lease, so a slow item is never reclaimed from a live process;
 * a process that dies stops renewing and its items are reclaimed about one lease later.
 */
import { Logger } from '@nestjs/common';

export interface LeasedBatchWork<J extends { id: string }, R> {
  /** Claims up to `batchSize` due items (leased to this process). */
  claim(): Promise<J[]>;
  /** Processes one item: a result to book with its group, or undefined when it was finished here. */
  process(job: J): Promise<R | undefined>;
  /** Books a group of results (at most `maxBooking`); a failure leaves them to their lease. */
  book(group: R[]): Promise<void>;
  /** Gives back claimed items that were not started. */
  release(ids: string[]): Promise<void>;
  /** Renews the leases of `ids`; returns those still held by this process. */
  renew(ids: string[]): Promise<string[]>;
  /** The item a result belongs to. */
  idOf(result: R): string;
}

export interface LeasedBatchOptions {
  batchSize: number;
  concurrency: number;
  /** How often due items are looked for when no wake-up came. */
  pollIntervalMs: number;
  /** Leases are renewed every third of this. */
  leaseMs: number;
  /** Most results booked at once. */
  maxBooking?: number;
  /** Results booked together once this many have gathered… */
  bookingGroup?: number;
  /** …or this long after the first; also the least time between claims that came back short. */
  gatherMs?: number;
}

export class LeasedBatchPump<J extends { id: string }, R> {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private dirty = false;
  private stopping = false;
  /** Items claimed and not yet booked, finished, released or given up: their leases are renewed. */
  private readonly held = new Set<string>();
  private heartbeat: NodeJS.Timeout | undefined;
  private renewing: Promise<void> | undefined;
  private readonly maxBooking: number;
  private readonly bookingGroup: number;
  private readonly gatherMs: number;

  constructor(
    private readonly name: string,
    private readonly work: LeasedBatchWork<J, R>,
    private readonly options: LeasedBatchOptions,
    private readonly logger: Logger = new Logger(name),
  ) {
    this.maxBooking = options.maxBooking ?? 500;
    this.bookingGroup = options.bookingGroup ?? 50;
    this.gatherMs = options.gatherMs ?? 20;
  }

  start(): void {
    this.schedule();
    this.wake();
    this.heartbeat = setInterval(() => void this.renewLeases(), Math.max(1, Math.floor(this.options.leaseMs / 3)));
    this.heartbeat.unref();
  }

  /** Items in flight finish (their leases keep being renewed until then); unstarted ones are released. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    clearInterval(this.heartbeat);
    await this.renewing;
  }

  /** Processes everything due now, then resolves. */
  async drain(): Promise<void> {
    this.wake();
    while (this.running) await this.running;
  }

  wake(): void {
    if (this.stopping) return;
    this.dirty = true;
    if (this.running) return;
    this.running = this.loop()
      .catch((error: unknown) => this.logger.error({ err: error }, `${this.name} pass failed`))
      .finally(() => {
        this.running = undefined;
      });
  }

  /** The heartbeat: renews the leases of held items; an item no longer held is dropped from them. */
  async renewLeases(): Promise<void> {
    if (this.renewing || this.held.size === 0) return;
    const ids = [...this.held];
    this.renewing = (async () => {
      try {
        const kept = new Set(await this.work.renew(ids));
        // Not renewed: booked or finished meanwhile (no longer held anyway), or lost to another process.
        for (const id of ids) if (!kept.has(id)) this.held.delete(id);
      } catch (error) {
        this.logger.warn({ err: error, jobs: ids.length }, `renewing ${this.name} leases failed`);
      } finally {
        this.renewing = undefined;
      }
    })();
    await this.renewing;
  }

  private schedule(): void {
    if (this.stopping) return;
    this.timer = setTimeout(() => {
      this.wake();
      this.schedule();
    }, this.options.pollIntervalMs);
    this.timer.unref();
  }

  private async loop(): Promise<void> {
    while (this.dirty && !this.stopping) {
      this.dirty = false;
      await this.pump();
    }
  }

  private async claim(): Promise<J[]> {
    const jobs = await this.work.claim();
    for (const job of jobs) this.held.add(job.id);
    return jobs;
  }

  private async bookGroup(group: R[]): Promise<void> {
    if (group.length === 0) return;
    await this.work.book(group).catch((error: unknown) =>
      // Left claimed and no longer renewed: the lease runs out and the items are processed again (at least once, never lost).
      this.logger.error({ err: error, jobs: group.length }, `booking ${this.name} results failed`),
    );
    for (const r of group) this.held.delete(this.work.idOf(r));
  }

  private async release(ids: string[]): Promise<void> {
    await this.work.release(ids);
    for (const id of ids) this.held.delete(id);
  }

  /** Streams due items through `concurrency` lanes until none are left (see the file's comment). */
  private async pump(): Promise<void> {
    const { batchSize, concurrency } = this.options;
    const { maxBooking, bookingGroup, gatherMs } = this;
    const queue: J[] = [];
    // Whether the last claim was full (more may be due), and when a claim may run again after one that
    // was not: under a steady trickle of wake-ups, claims gather what arrived meanwhile instead of
    // running (and committing) once per enqueued item.
    let more = true;
    let nextClaimAt = 0;
    let claiming: Promise<void> | undefined;
    const claimMore = () => {
      const startedAt = Date.now();
      claiming = this.claim()
        .then(
          (jobs) => {
            queue.push(...jobs);
            more = jobs.length === batchSize;
            nextClaimAt = more ? 0 : startedAt + gatherMs;
          },
          (error: unknown) => {
            more = false;
            this.logger.error({ err: error }, `claiming ${this.name} items failed`);
          },
        )
        .finally(() => {
          claiming = undefined;
        });
    };

    // Results are booked in groups: when `bookingGroup` have gathered, or `gatherMs` after the first.
    const pending: R[] = [];
    let booking: Promise<void> | undefined;
    let bookTimer: NodeJS.Timeout | undefined;
    let draining = false;
    const bookNow = () => {
      if (bookTimer) clearTimeout(bookTimer);
      bookTimer = undefined;
      if (booking) return;
      booking = (async () => {
        do await this.bookGroup(pending.splice(0, maxBooking));
        while (pending.length >= bookingGroup || (draining && pending.length > 0));
        booking = undefined;
        if (pending.length > 0) scheduleBooking();
      })();
    };
    const scheduleBooking = () => {
      if (booking) return; // it looks at what gathered meanwhile when it is done
      if (pending.length >= bookingGroup || draining) bookNow();
      else bookTimer ??= setTimeout(bookNow, gatherMs);
    };

    const lane = async () => {
      while (!this.stopping) {
        if (!claiming && queue.length <= batchSize / 2 && (more || this.dirty) && Date.now() >= nextClaimAt) {
          if (!more) this.dirty = false;
          claimMore();
        }
        const job = queue.shift();
        if (job) {
          const result = await this.work.process(job).catch((error: unknown) => {
            this.logger.error({ err: error, jobId: job.id }, `${this.name} bookkeeping failed`);
            return undefined;
          });
          if (result !== undefined) {
            pending.push(result);
            scheduleBooking();
          } else {
            // Finished, or its bookkeeping failed: then the lease runs out and the item is tried again.
            this.held.delete(job.id);
          }
        } else if (claiming) await claiming;
        else if (more || this.dirty) await new Promise((resolve) => setTimeout(resolve, Math.max(1, nextClaimAt - Date.now())));
        else return;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, lane));
    // A claim still running when shutdown began: its items are released with the rest below.
    while (claiming) await claiming;
    draining = true;
    while (booking || pending.length > 0) {
      if (!booking) bookNow();
      await booking;
    }
    if (queue.length > 0) await this.release(queue.map((j) => j.id));
  }
}
