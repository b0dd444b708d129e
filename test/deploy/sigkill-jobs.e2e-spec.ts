/**
 * kill -9 of the worker deployment mid-batch (a crash, an OOM kill): its claimed jobs must come back
 * within about one lease (EMAIL_JOB_LEASE_MS, short here), not after minutes, and a second worker must
 * deliver them.
 *
 * The worker runs as a real process (apps/event-worker) against a real Postgres and a real, slow SMTP
 * server (each message acknowledged only after a delay, so sends are in flight when the process dies).
 * Exactly once per successful send: every job is booked `sent` once with one `email.sent` event, and a
 * job the killed worker booked never reaches the server again. The only messages that may reach the
 * server twice are those the server acknowledged to the killed worker before it could book them (SMTP
 * cannot tell those apart from lost ones).
 */
import { startSlowSmtpServer } from '../support/slow-smtp';
import { waitFor } from '../support/wait';
import { workerDeployment } from './support/workers';

const JOBS = 150;
const ACK_DELAY_MS = 60;
const LEASE_MS = 2_000;
/** Well under the old fixed 5-minute lease: one lease, a worker start and the remaining sends. */
const RECOVERY_BOUND_MS = 30_000;

describe('kill -9 of the worker while it delivers (child process)', () => {
  const deployment = workerDeployment({
    startSmtp: () => startSlowSmtpServer(ACK_DELAY_MS),
    shutdownTimeoutMs: 15_000,
    env: { EMAIL_JOB_LEASE_MS: String(LEASE_MS) },
  });

  const countSent = async () =>
    (await deployment.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM email_jobs WHERE status = 'sent'`))[0]!.n;

  it('returns a dead worker’s claims within about one lease; another worker delivers every email, booked once', async () => {
    const { db, smtp, env, workers } = deployment;
    await deployment.enqueueJobs(JOBS, 'sigkill_test');

    const first = await workers.start(env);
    await waitFor(
      async () => {
        const [row] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM email_jobs WHERE status = 'sending'`);
        return smtp.accepted.size >= 10 && smtp.inFlight() > 0 && row!.n > 20 ? true : undefined;
      },
      30_000,
      'the worker to be mid-batch',
    );
    first.child.kill('SIGKILL');
    await first.exited;
    const killedAt = Date.now();

    // What the dead worker left: booked jobs, and jobs still claimed by it.
    const bookedByFirst = new Set(
      (await db.query<{ subject: string }>(`SELECT subject FROM email_jobs WHERE status = 'sent'`)).map((r) => r.subject),
    );
    const [left] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM email_jobs WHERE status = 'sending'`);
    expect(left!.n).toBeGreaterThan(0);
    const acceptedBeforeKill = new Set([...smtp.firstAcceptedAt.entries()].filter(([, at]) => at <= killedAt).map(([s]) => s));

    await workers.start(env);
    await waitFor(async () => ((await countSent()) === JOBS ? true : undefined), RECOVERY_BOUND_MS, `all ${JOBS} jobs sent`);
    const recoveredMs = Date.now() - killedAt;
    expect(recoveredMs).toBeLessThan(RECOVERY_BOUND_MS);

    // Every email reached the server; every job is booked once.
    const expected = Array.from({ length: JOBS }, (_, i) => `job ${String(i).padStart(4, '0')}`);
    expect([...smtp.accepted.keys()].sort()).toEqual(expected);
    const events = await db.query<{ type: string; n: number }>(
      `SELECT type, count(*)::int AS n FROM audit_events WHERE type LIKE 'email.%' GROUP BY type ORDER BY type`,
    );
    expect(events).toEqual([
      { type: 'email.queued', n: JOBS },
      { type: 'email.sent', n: JOBS },
    ]);
    const [perJob] = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM (SELECT resource_id FROM audit_events WHERE type = 'email.sent' GROUP BY resource_id HAVING count(*) > 1) d`,
    );
    expect(perJob!.n).toBe(0);

    // A booked job never went out again; a second copy only of what the server acknowledged to the dead
    // worker before it could book it.
    const twice = [...smtp.accepted.entries()].filter(([, n]) => n > 1).map(([s]) => s);
    expect(twice.filter((s) => bookedByFirst.has(s))).toEqual([]);
    expect(twice.filter((s) => !acceptedBeforeKill.has(s))).toEqual([]);
    expect([...smtp.accepted.values()].every((n) => n <= 2)).toBe(true);
    process.stdout.write(
      `sigkill-jobs: ${JSON.stringify({ bookedBeforeKill: bookedByFirst.size, claimedAtKill: left!.n, recoveredMs, sentTwice: twice.length })}\n`,
    );
  });
});
