import { Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import type { Client } from '@elastic/elasticsearch';
import { CLOCK, systemClock } from '@mailstrata/common';
import { APP_CONFIG, AppConfig } from '@mailstrata/config';
import { DataSource } from 'typeorm';
import { AuditEventEntity } from './audit-event.entity';
import { AuditHousekeepingService } from './audit-housekeeping.service';
import { AuditWriter } from './audit-writer';
import { createElasticClient, ELASTIC_CLIENT } from './elastic/elastic-client';
import { ElasticsearchAuditSink } from './elastic/elasticsearch-audit.sink';
import { AUDIT_QUERY_STORE } from './query/audit-query';
import { AuditQueryService } from './query/audit-query.service';
import { ElasticsearchAuditQueryStore } from './query/es-audit-query.store';
import { PostgresAuditQueryStore } from './query/pg-audit-query.store';
import { AuditRelayService } from './relay/audit-relay.service';
import { AUDIT_SINK } from './relay/audit-sink.port';

/** What every domain library needs: recording SYSTEMAUDIT events in its own transactions. */
@Module({
  imports: [TypeOrmModule.forFeature([AuditEventEntity])],
  providers: [AuditWriter],
  exports: [AuditWriter],
})
export class AuditModule {}

@Injectable()
class ElasticClientCloser implements OnApplicationShutdown {
  constructor(@Inject(ELASTIC_CLIENT) private readonly client: Client | null) {}

  async onApplicationShutdown(): Promise<void> {
    await this.client?.close();
  }
}

/** The one Elasticsearch client of a process (null without ELASTIC_SEARCH_FQDN), shared by relay and queries. */
@Module({
  providers: [
    {
      provide: ELASTIC_CLIENT,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => (config.elastic ? createElasticClient(config.elastic) : null),
    },
    ElasticClientCloser,
  ],
  exports: [ELASTIC_CLIENT],
})
export class AuditElasticModule {}

/** Reading the audit log: from Elasticsearch when configured, from Postgres otherwise. */
@Module({
  imports: [AuditElasticModule],
  providers: [
    { provide: CLOCK, useValue: systemClock },
    {
      provide: AUDIT_QUERY_STORE,
      inject: [ELASTIC_CLIENT, APP_CONFIG, getDataSourceToken()],
      useFactory: (client: Client | null, config: AppConfig, dataSource: DataSource) =>
        client && config.elastic
          ? new ElasticsearchAuditQueryStore(client, config.elastic.indexPrefix)
          : new PostgresAuditQueryStore(dataSource),
    },
    AuditQueryService,
  ],
  exports: [AuditQueryService],
})
export class AuditQueryModule {}

/** Background upkeep of the audit record: the Elasticsearch relay and pruning; runs in the worker (and in-process by default). */
@Module({
  imports: [TypeOrmModule.forFeature([AuditEventEntity]), AuditElasticModule],
  providers: [
    {
      provide: AUDIT_SINK,
      inject: [ELASTIC_CLIENT, APP_CONFIG],
      useFactory: (client: Client | null, config: AppConfig) =>
        client && config.elastic
          ? new ElasticsearchAuditSink(client, {
              indexPrefix: config.elastic.indexPrefix,
              ilmPolicy: config.elastic.ilmPolicy,
              retentionDays: config.elastic.retentionDays,
            })
          : null,
    },
    AuditHousekeepingService,
    AuditRelayService,
  ],
  exports: [AuditHousekeepingService, AuditRelayService],
})
export class AuditWorkerModule {}
