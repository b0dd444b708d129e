/**
 * Boots the real HTTP application through test/support/app.ts (same module, same configureApp), with
 * one difference: the Elasticsearch client is the real client over Elastic's mock transport.
 */
import { AuditRelay, auditRelayMetrics, ELASTIC_CLIENT, ElasticsearchAuditSink, AuditRelayHooks } from '@mailstrata/audit';
import { DataSource } from 'typeorm';
import { startTestApp, TestApp } from '../support/app';
import { TestDatabase } from '../support/database';
import { FakeElasticsearch } from './fake-elasticsearch';

export const ES_ENV = { ELASTIC_SEARCH_FQDN: 'http://elasticsearch.test:9200', ES_INDEX_PREFIX: 'audit-test' };

export function startAppWithElastic(options: { es: FakeElasticsearch; env?: Record<string, string>; db?: TestDatabase }): Promise<TestApp> {
  return startTestApp({
    db: options.db,
    env: { ...ES_ENV, ...options.env },
    overrides: [{ provide: ELASTIC_CLIENT, useValue: options.es.client() }],
  });
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
