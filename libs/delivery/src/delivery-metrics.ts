/**
 * Prometheus metrics of the durable email delivery, on libs/observability's registry (served by the
 * API's `GET /metrics` and the worker's ops listener). Module-level, so every worker instance in a
 * process shares them. Labels come from closed sets; never a recipient, host or job id.
 */
import { counter, gauge, histogram } from '@mailstrata/observability';

export type DeliveryOutcome = 'sent' | 'retrying' | 'failed';
const OUTCOMES: readonly DeliveryOutcome[] = ['sent', 'retrying', 'failed'];

const deliveries = counter<'outcome'>({
  name: 'mailstrata_email_deliveries_total',
  help: 'Email delivery attempts by outcome: sent (accepted by the SMTP server), retrying (transient failure), failed (given up)',
  labelNames: ['outcome'],
});

const duration = histogram<'outcome'>({
  name: 'mailstrata_email_delivery_duration_seconds',
  help: 'Time of one delivery attempt (profile resolution and the SMTP conversation), by outcome',
  labelNames: ['outcome'],
});

export type FailoverReason = 'attempt_failed' | 'primary_failing';

const failovers = counter<'reason'>({
  name: 'mailstrata_email_failovers_total',
  help: 'Jobs sent on to a secondary route: after a failed primary attempt (attempt_failed), or at once while the primary is failing (primary_failing)',
  labelNames: ['reason'],
});

const queueDepth = gauge<'status'>({
  name: 'mailstrata_email_queue_depth',
  help: 'Email jobs not finished: queued (waiting or due) and sending (claimed by a worker)',
  labelNames: ['status'],
});

const oldestDue = gauge({
  name: 'mailstrata_email_queue_oldest_due_seconds',
  help: 'How long the oldest due, unclaimed email job has been waiting past its due time (0 when none)',
});

// Every outcome is exported from the start (at 0), so rate() and alerts see the series before the first event.
for (const outcome of OUTCOMES) deliveries.labels(outcome).inc(0);
for (const reason of ['attempt_failed', 'primary_failing'] as const) failovers.labels(reason).inc(0);

export function recordFailover(reason: FailoverReason): void {
  failovers.labels(reason).inc();
}

export function recordDelivery(outcome: DeliveryOutcome, seconds: number): void {
  deliveries.labels(outcome).inc();
  duration.labels(outcome).observe(seconds);
}

export function recordQueue(stats: { queued: number; sending: number; oldestDueSeconds: number }): void {
  queueDepth.labels('queued').set(stats.queued);
  queueDepth.labels('sending').set(stats.sending);
  oldestDue.set(stats.oldestDueSeconds);
}
