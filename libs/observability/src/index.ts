export { counter, histogram, gauge, collectProcessMetrics, renderMetrics, LATENCY_BUCKETS_SECONDS, METRICS_PREFIX } from './metrics';
export { startOpsServer } from './ops-server';
export type { OpsServer, OpsServerOptions } from './ops-server';
