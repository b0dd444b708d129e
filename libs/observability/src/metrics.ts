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
import { collectDefaultMetrics, Counter, Gauge, Histogram, LabelValues, Metric, MetricObject, register } from 'prom-client';

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

interface Series<L extends string> {
  labels: LabelValues<L>;
  /** Observations per bucket (not cumulative), in the order of the bounds. */
  counts: number[];
  sum: number;
  count: number;
}

/** One exported sample, in the shape prom-client's registry formats (a histogram's series labels are `sharedLabels`). */
interface ExportedValue {
  labels: Record<string, string | number>;
  sharedLabels: Record<string, string | number>;
  value: number;
  metricName: string;
  exemplar?: null;
}

type PromStringSource = { getForPromString(): Promise<MetricObject & { values: ExportedValue[] }> };

/**
 * A histogram for a per-request hot path, exposed exactly as prom-client's Histogram of the same name.
 * prom-client's `observe` validates and hashes the label set on every call (about a microsecond); here a
 * caller names the series with a key it already has (e.g. `GET /healthz 200`), and an observation is one
 * Map lookup and a bucket increment. `observe` still works and is exported alongside.
 */
export class KeyedHistogram<L extends string = string> extends Histogram<L> {
  private readonly bounds: number[];
  private readonly metricName: string;
  private readonly series = new Map<string, Series<L>>();

  constructor(options: MetricOptions<L> & { buckets: number[] }) {
    super({ ...options, labelNames: options.labelNames ?? [] });
    this.metricName = options.name;
    this.bounds = [...options.buckets].sort((a, b) => a - b);
  }

  /** Observes `value` in the series `key`, whose labels are `labels` (read only when the key is new). */
  observeKeyed(key: string, labels: () => LabelValues<L>, value: number): void {
    let series = this.series.get(key);
    if (series === undefined) {
      series = { labels: labels(), counts: new Array<number>(this.bounds.length).fill(0), sum: 0, count: 0 };
      this.series.set(key, series);
    }
    const bounds = this.bounds;
    for (let i = 0; i < bounds.length; i++) {
      if (value <= bounds[i]!) {
        series.counts[i]! += 1;
        break;
      }
    }
    series.sum += value;
    series.count += 1;
  }

  override reset(): void {
    super.reset();
    // prom-client's constructor resets before this class's fields exist.
    (this.series as Map<string, Series<L>> | undefined)?.clear();
  }

  /** What prom-client's registry exports: its own series, then the keyed ones, in prom-client's format. */
  async getForPromString(): Promise<MetricObject & { values: ExportedValue[] }> {
    const base = await (Histogram.prototype as unknown as PromStringSource).getForPromString.call(this);
    const name = this.metricName;
    const values: ExportedValue[] = [...base.values];
    for (const series of this.series.values()) {
      const shared = series.labels as Record<string, string | number>;
      let cumulative = 0;
      this.bounds.forEach((bound, i) => {
        cumulative += series.counts[i]!;
        values.push({ labels: { le: bound }, sharedLabels: shared, value: cumulative, metricName: `${name}_bucket`, exemplar: null });
      });
      values.push(
        { labels: { le: '+Inf' }, sharedLabels: shared, value: series.count, metricName: `${name}_bucket`, exemplar: null },
        { labels: {}, sharedLabels: shared, value: series.sum, metricName: `${name}_sum` },
        { labels: {}, sharedLabels: shared, value: series.count, metricName: `${name}_count` },
      );
    }
    return { ...base, values };
  }
}

/** A KeyedHistogram (default buckets: LATENCY_BUCKETS_SECONDS), got or created like the others. */
export function keyedHistogram<L extends string = string>(options: MetricOptions<L> & { buckets?: number[] }): KeyedHistogram<L> {
  checkName(options.name);
  return (
    existing<KeyedHistogram<L>>(options.name, KeyedHistogram) ??
    new KeyedHistogram<L>({ ...options, buckets: options.buckets ?? LATENCY_BUCKETS_SECONDS })
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
