/**
 * Runs an async job every `intervalMs`, never two runs at once, and lets `stop()` wait for the run in
 * flight so a shutdown never cuts a batch in half. Timers are unref'd: they never keep a process alive.
 */
export class PeriodicTask {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;

  constructor(
    private readonly name: string,
    private readonly intervalMs: number,
    private readonly job: () => Promise<void>,
    private readonly onError: (name: string, error: unknown) => void,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  /** Runs the job now (or joins the run in flight) and resolves when it is done. */
  async runNow(): Promise<void> {
    if (this.running) return this.running;
    this.running = this.job()
      .catch((error: unknown) => this.onError(this.name, error))
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.runNow().then(() => this.schedule(this.intervalMs));
    }, delayMs);
    this.timer.unref();
  }
}
