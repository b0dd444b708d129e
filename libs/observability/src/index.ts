export {
  counter,
  histogram,
  keyedHistogram,
  KeyedHistogram,
  gauge,
  collectProcessMetrics,
  renderMetrics,
  LATENCY_BUCKETS_SECONDS,
  METRICS_PREFIX,
} from './metrics';
export { startOpsServer } from './ops-server';
export type { OpsServer, OpsServerOptions } from './ops-server';
export { accessLogger, createLogger, DeferredChildLogger, flushLogs, NestPinoLogger, REDACT_PATHS, REDACTED } from './logger';
export type { AppLogger } from './logger';
