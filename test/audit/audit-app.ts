/**
 * Boots the real HTTP application like test/support/app.ts does (same module, same configureApp),
 * with one difference: the Elasticsearch client is the real client over Elastic's mock transport.
 */
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { AuditRelay, auditRelayMetrics, ELASTIC_CLIENT, ElasticsearchAuditSink, AuditRelayHooks } from '@mailstrata/audit';
import { loadConfig } from '@mailstrata/config';
import { DataSource } from 'typeorm';
import { AppModule } from '../../apps/event-framework/src/app.module';
import { configureApp, fastifyOptions } from '../../apps/event-framework/src/configure-app';
import { TestApp, TestClient, testEnv } from '../support/app';
import { createTestDatabase, TestDatabase } from '../support/database';
import { FakeElasticsearch } from './fake-elasticsearch';

export const ES_ENV = { ELASTIC_SEARCH_FQDN: 'http://elasticsearch.test:9200', ES_INDEX_PREFIX: 'audit-test' };

export async function startAppWithElastic(options: {
  es: FakeElasticsearch;
  env?: Record<string, string>;
  db?: TestDatabase;
}): Promise<TestApp> {
  const db = options.db ?? (await createTestDatabase());
  const env = testEnv(db.url, { ...ES_ENV, ...options.env });
  const config = loadConfig(env);
  const moduleRef = await Test.createTestingModule({ imports: [AppModule.forRoot({ config, databaseUrl: db.url })] })
    .overrideProvider(ELASTIC_CLIENT)
    .useValue(options.es.client())
    .compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(fastifyOptions(config)), {
    bufferLogs: true,
    bodyParser: false,
  });
  await configureApp(app, { swaggerUi: false });
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return {
    app,
    client: new TestClient(app),
    db,
    env,
    close: async () => {
      await app.close();
      if (options.db === undefined) await db.drop();
    },
  };
}

/** A relay of our own over the app's database (the app itself runs with WORKER_IN_PROCESS=false). */
export function relayFor(t: TestApp, es: FakeElasticsearch, options: { batchSize?: number; hooks?: AuditRelayHooks } = {}): AuditRelay {
  const sink = new ElasticsearchAuditSink(es.client(), {
    indexPrefix: ES_ENV.ES_INDEX_PREFIX,
    ilmPolicy: undefined,
    retentionDays: undefined,
  });
  return new AuditRelay(
    t.app.get(DataSource),
    sink,
    { batchSize: options.batchSize ?? 100, baseBackoffMs: 1, maxBackoffMs: 5 },
    auditRelayMetrics(),
    options.hooks,
  );
}

/** Polls until `check` holds or the deadline passes (then fails with the last value seen). */
export async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!check(value)) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 20));
    value = await read();
  }
  return value;
}
