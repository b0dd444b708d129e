/**
 * The worker deployment's `/metrics` (its ops listener) shows the email delivery series after it delivered:
 * the worker runs as a real process (apps/event-worker), the email is enqueued through EmailOutbox by an
 * HTTP app that runs no worker of its own, and a real SMTP server receives it.
 */
import { startSmtpServer } from '../support/smtp';
import { waitFor } from '../support/wait';
import { workerDeployment } from './support/workers';

/** The value of one sample in a Prometheus text exposition, e.g. `name{label="x"}`; undefined when absent. */
function sample(exposition: string, series: string): number | undefined {
  for (const line of exposition.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return undefined;
}

describe('worker /metrics after delivering email (child process)', () => {
  const deployment = workerDeployment({ startSmtp: () => startSmtpServer(), shutdownTimeoutMs: 15_000 });

  it('exposes mailstrata_email_* series with the delivery counted', async () => {
    const { smtp, env, workers } = deployment;
    const worker = await workers.start(env);
    const port = Number((await worker.waitFor(/ops listener on :(\d+)/))[1]);
    const scrape = async () => {
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(res.status).toBe(200);
      return res.text();
    };

    const before = await scrape();
    expect(sample(before, 'mailstrata_email_deliveries_total{outcome="sent"}')).toBe(0);

    await deployment.enqueueJobs(1, 'metrics_test');
    await smtp.waitForMessages(1);

    // The queue gauges are refreshed periodically: wait for a refresh that saw the queue empty again.
    const after = await waitFor(
      async () => {
        const text = await scrape();
        return sample(text, 'mailstrata_email_deliveries_total{outcome="sent"}') === 1 &&
          sample(text, 'mailstrata_email_queue_depth{status="queued"}') === 0 &&
          sample(text, 'mailstrata_email_queue_depth{status="sending"}') === 0
          ? text
          : undefined;
      },
      20_000,
      'the delivery counted and the queue gauges at 0',
    );
    expect(sample(after, 'mailstrata_email_deliveries_total{outcome="failed"}')).toBe(0);
    expect(sample(after, 'mailstrata_email_deliveries_total{outcome="retrying"}')).toBe(0);
    expect(sample(after, 'mailstrata_email_delivery_duration_seconds_count{outcome="sent"}')).toBe(1);
    expect(sample(after, 'mailstrata_email_delivery_duration_seconds_sum{outcome="sent"}')).toBeGreaterThan(0);
    expect(sample(after, 'mailstrata_email_queue_oldest_due_seconds')).toBe(0);
    expect(after).toMatch(/^# HELP mailstrata_email_deliveries_total /m);

    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
  });
});
