import { Counter, Gauge, register } from 'prom-client';

/**
 * Relay metrics on prom-client's default registry (served at GET /metrics). Created once per process,
 * whatever the number of relays or app instances in it (tests boot several).
 */
function counter(name: string, help: string): Counter {
  return (register.getSingleMetric(name) as Counter | undefined) ?? new Counter({ name, help });
}

function gauge(name: string, help: string): Gauge {
  return (register.getSingleMetric(name) as Gauge | undefined) ?? new Gauge({ name, help });
}

export interface AuditRelayMetrics {
  backlog: Gauge;
  oldestUndeliveredSeconds: Gauge;
  delivered: Counter;
  retried: Counter;
  parked: Counter;
}

export function auditRelayMetrics(): AuditRelayMetrics {
  return {
    backlog: gauge('mailstrata_audit_outbox_backlog', 'Audit events not yet delivered to Elasticsearch (parked ones excluded)'),
    oldestUndeliveredSeconds: gauge(
      'mailstrata_audit_outbox_oldest_undelivered_seconds',
      'Age in seconds of the oldest audit event not yet delivered to Elasticsearch (0 when none)',
    ),
    delivered: counter('mailstrata_audit_delivered_total', 'Audit events delivered to Elasticsearch (409 already-present included)'),
    retried: counter('mailstrata_audit_retried_total', 'Audit event deliveries that failed transiently and will be retried'),
    parked: counter('mailstrata_audit_parked_total', 'Audit events Elasticsearch refused permanently, kept in Postgres with the reason'),
  };
}
