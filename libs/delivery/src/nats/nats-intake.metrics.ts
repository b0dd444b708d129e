/** Prometheus counter of events taken from NATS, by outcome (a closed set; never an event id). */
import { counter } from '@mailstrata/observability';

export type NatsEventOutcome = 'accepted' | 'duplicate' | 'rejected' | 'retried';
const OUTCOMES: readonly NatsEventOutcome[] = ['accepted', 'duplicate', 'rejected', 'retried'];

const events = counter<'outcome'>({
  name: 'mailstrata_nats_events_total',
  help: 'Email events taken from NATS JetStream: accepted (queued), duplicate (id already taken), rejected (dead-lettered), retried (transient failure, redelivered later)',
  labelNames: ['outcome'],
});
for (const outcome of OUTCOMES) events.labels(outcome).inc(0);

export function recordNatsEvent(outcome: NatsEventOutcome): void {
  events.labels(outcome).inc();
}
