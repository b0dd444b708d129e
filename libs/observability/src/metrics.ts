/**
 * Prometheus metrics for every library and app: get-or-create helpers over prom-client's default
 * registry, which `GET /metrics` (API) and the worker's ops listener expose.
 *
 * Why get-or-create: prom-client refuses to register a name twice, and the e2e tests boot several
 * applications in one process. A metric is process-wide state; define it once at module level (or
 * in a provider) with these helpers and it is shared by every app instance in the process.
 *
 * Rules: names are `mailstrata_<area>_<what>_<unit>`; label values come from small closed sets
 * (outcome, level, route pattern) — never ids, emails, hosts or raw URLs.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Metric, register } from 'prom-client';

export const METRICS_PREFIX = 'mailstrata_';

/** Seconds; from a fast cache hit to a slow SMTP conversation. */
export const LATENCY_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

interface MetricOptions<L extends string> {
  name: string;
  help: string;
  labelNames?: readonly L[];
}

function existing<T>(name: string, type: abstract new (...args: never[]) => T): T | undefined {
  const found: Metric | undefined = register.getSingleMetric(name);
  if (found === undefined) return undefined;
  if (!(found instanceof type)) throw new Error(`metric ${name} is already registered with another type`);
  return found as T;
}

function checkName(name: string): void {
  if (!name.startsWith(METRICS_PREFIX)) throw new Error(`metric ${name} must start with ${METRICS_PREFIX}`);
}

/** A monotonically increasing count, e.g. `mailstrata_emails_total{outcome}`. */
export function counter<L extends string = string>(options: MetricOptions<L>): Counter<L> {
  checkName(options.name);
  return existing<Counter<L>>(options.name, Counter) ?? new Counter<L>({ ...options, labelNames: options.labelNames ?? [] });
}

/** A distribution, e.g. durations in seconds (default buckets: LATENCY_BUCKETS_SECONDS). */
export function histogram<L extends string = string>(options: MetricOptions<L> & { buckets?: number[] }): Histogram<L> {
  checkName(options.name);
  return (
    existing<Histogram<L>>(options.name, Histogram) ??
    new Histogram<L>({ ...options, labelNames: options.labelNames ?? [], buckets: options.buckets ?? LATENCY_BUCKETS_SECONDS })
  );
}

/**
 * A value that goes up and down, e.g. `mailstrata_audit_outbox_backlog`. Set it from the code that
 * knows the value (a periodic task), rather than a collect callback bound to one app instance.
 */
export function gauge<L extends string = string>(options: MetricOptions<L>): Gauge<L> {
  checkName(options.name);
  return existing<Gauge<L>>(options.name, Gauge) ?? new Gauge<L>({ ...options, labelNames: options.labelNames ?? [] });
}

let defaultsCollected = false;

/** Process metrics (CPU, memory, event-loop lag, GC), once per process. */
export function collectProcessMetrics(): void {
  if (defaultsCollected) return;
  defaultsCollected = true;
  collectDefaultMetrics();
}

/** The exposition of every registered metric, for a `/metrics` handler. */
export async function renderMetrics(): Promise<{ contentType: string; body: string }> {
  return { contentType: register.contentType, body: await register.metrics() };
}
