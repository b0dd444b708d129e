/**
 * Gathers concurrent calls into shared statements: while one batch is in flight, the items submitted
 * meanwhile wait, then go together. Alone, an item goes at once; under load, each batch carries what
 * arrived during the previous one, so the round trips (and commits) per item fall as the load rises and
 * the added wait is at most one batch's time. Each caller gets its own answer when its batch is done.
 * Should a batch fail, its items are run one by one, so one item's problem never fails another's.
 */
export class GatheringBatcher<I, O> {
  private waiting: { item: I; resolve: (out: O) => void; reject: (error: unknown) => void }[] = [];
  private running = false;

  /** `run` answers the items in the order given. */
  constructor(
    private readonly run: (items: I[]) => Promise<O[]>,
    private readonly maxBatch: number,
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (!this.running) void this.loop();
    });
  }

  private async loop(): Promise<void> {
    this.running = true;
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting.splice(0, this.maxBatch);
        try {
          const outs = await this.run(batch.map((w) => w.item));
          batch.forEach((w, i) => w.resolve(outs[i]!));
        } catch (error) {
          if (batch.length === 1) batch[0]!.reject(error);
          else for (const w of batch) await this.run([w.item]).then(([out]) => w.resolve(out!), w.reject);
        }
      }
    } finally {
      this.running = false;
    }
  }
}
