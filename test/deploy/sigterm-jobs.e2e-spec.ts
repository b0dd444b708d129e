/**
 * SIGTERM to the worker deployment while it is delivering (the job half of "SIGTERM under load").
 *
 * The worker runs as a real process (apps/event-worker, what Kubernetes runs) against a real Postgres and a
 * real, slow SMTP server (each message is acknowledged only after a delay, so sends are in flight and most
 * claimed jobs are waiting their turn when the signal arrives). Jobs are enqueued through EmailOutbox by an
 * HTTP app that runs no worker of its own. The worker must:
 * - exit 0 by itself, well within the shutdown deadline;
 * - leave no job claimed: every job is either `sent` (its message reached the server and was booked, with
 *   its `email.sent` event) or back to `queued` with its claim and lease cleared and the attempt not counted;
 * - have sent nothing it did not book (a sent-but-unbooked job would be sent twice later).
 * A second worker then delivers the rest: every job reaches the server exactly once, none missing.
 */
import { workerDeployment } from './support/workers';
import { startSlowSmtpServer } from '../support/slow-smtp';
import { waitFor } from '../support/smtp';

const JOBS = 150;
const ACK_DELAY_MS = 60;
const SHUTDOWN_TIMEOUT_MS = 15_000;

interface JobRow {
  subject: string;
  status: string;
  attempts: number;
  locked_by: string | null;
  locked_until: Date | null;
  finished_at: Date | null;
}

describe('SIGTERM to the worker while it delivers (child process)', () => {
  const deployment = workerDeployment({ startSmtp: () => startSlowSmtpServer(ACK_DELAY_MS), shutdownTimeoutMs: SHUTDOWN_TIMEOUT_MS });

  const jobs = () =>
    deployment.db.query<JobRow>('SELECT subject, status, attempts, locked_by, locked_until, finished_at FROM email_jobs ORDER BY subject');
  const startWorker = () => deployment.workers.start(deployment.env);

  it('finishes or releases every claimed job, exits 0, and a second worker delivers each email exactly once', async () => {
    const { db, smtp } = deployment;
    await deployment.enqueueJobs(JOBS, 'sigterm_test');

    const first = await startWorker();
    // Mid-batch: some messages accepted, others on the wire, and claimed jobs still waiting their turn.
    await waitFor(
      async () => {
        const [row] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM email_jobs WHERE status = 'sending'`);
        return smtp.accepted.size >= 10 && smtp.inFlight() > 0 && row.n > 20 ? true : undefined;
      },
      30_000,
      'the worker to be mid-batch',
    );
    const signalledAt = Date.now();
    first.child.kill('SIGTERM');
    const code = await first.exited;
    const tookMs = Date.now() - signalledAt;

    expect(code).toBe(0);
    expect(tookMs).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
    expect(first.output()).toContain('mailstrata-worker: stopped');

    // Nothing left claimed: each job is sent and booked, or back in the queue as if never claimed.
    const afterStop = await jobs();
    expect(afterStop).toHaveLength(JOBS);
    const sent = afterStop.filter((j) => j.status === 'sent');
    const queued = afterStop.filter((j) => j.status === 'queued');
    expect(afterStop.filter((j) => j.status !== 'sent' && j.status !== 'queued')).toEqual([]);
    expect(sent.length).toBeGreaterThan(0);
    // The signal came mid-batch: some claimed jobs were released rather than sent.
    expect(queued.length).toBeGreaterThan(0);
    for (const j of queued) expect(j).toMatchObject({ locked_by: null, locked_until: null, attempts: 0, finished_at: null });
    for (const j of sent) expect(j).toMatchObject({ locked_by: null, locked_until: null, attempts: 1 });
    // What reached the server is exactly what was booked as sent: nothing sent without being booked.
    expect([...smtp.accepted.keys()].sort()).toEqual(sent.map((j) => j.subject));
    expect([...smtp.accepted.values()].every((n) => n === 1)).toBe(true);
    const [sentEvents] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_events WHERE type = 'email.sent'`);
    expect(sentEvents.n).toBe(sent.length);
    process.stdout.write(`sigterm-jobs: ${JSON.stringify({ sent: sent.length, released: queued.length, exitMs: tookMs })}\n`);

    // Another replica takes over the released jobs.
    const second = await startWorker();
    await waitFor(() => (smtp.accepted.size === JOBS ? true : undefined), 30_000, `all ${JOBS} emails at the server`);
    await waitFor(
      async () => {
        const [row] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM email_jobs WHERE status = 'sent'`);
        return row.n === JOBS ? true : undefined;
      },
      10_000,
      'every job booked as sent',
    );
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);

    const expected = Array.from({ length: JOBS }, (_, i) => `job ${String(i).padStart(4, '0')}`);
    expect([...smtp.accepted.keys()].sort()).toEqual(expected);
    expect([...smtp.accepted.entries()].filter(([, n]) => n !== 1)).toEqual([]);
    const final = await jobs();
    expect(final.every((j) => j.status === 'sent' && j.locked_by === null && j.attempts === 1)).toBe(true);
    const events = await db.query<{ type: string; n: number }>(
      `SELECT type, count(*)::int AS n FROM audit_events WHERE type LIKE 'email.%' GROUP BY type ORDER BY type`,
    );
    expect(events).toEqual([
      { type: 'email.queued', n: JOBS },
      { type: 'email.sent', n: JOBS },
    ]);
  });
});
