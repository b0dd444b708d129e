/**
 * `GET /metrics` and process metrics. HTTP latency comes from a Fastify hook that configureApp
 * registers (see http-metrics.ts). Domain metrics (emails by outcome, audit backlog) are defined by
 * their libraries with `@mailstrata/observability`'s helpers; this module only exposes them.
 */
import { Module, OnModuleInit } from '@nestjs/common';
import { collectProcessMetrics } from '@mailstrata/observability';
import { MetricsController } from './metrics.controller';

@Module({ controllers: [MetricsController] })
export class MetricsModule implements OnModuleInit {
  onModuleInit(): void {
    collectProcessMetrics();
  }
}
