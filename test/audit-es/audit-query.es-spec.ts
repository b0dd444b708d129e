/**
 * Opt-in: the query suite of test/audit against a real Elasticsearch cluster (`npm run test:es`, which
 * overrides jest's testMatch — the default run never matches *.es-spec.ts, so these are absent, not skipped — with
 * ELASTIC_SEARCH_FQDN and, if needed, ES_USER_NAME / ES_PASSWORD / ES_CA_CERT_FILE set; docker-compose
 * runs one). Each run writes to its own index prefix and deletes it afterwards. Events reach the cluster
 * through the real relay; the suite then refreshes the indices so they are searchable at once.
 */
import { randomBytes } from 'node:crypto';
import { AuditRelay, auditRelayMetrics, createElasticClient, ElasticsearchAuditSink } from '@mailstrata/audit';
import { loadConfig } from '@mailstrata/config';
import { DataSource } from 'typeorm';
import { startTestApp } from '../support/app';
import { auditQuerySuite } from '../audit/audit-query.suite';

const PASSED = ['ELASTIC_SEARCH_FQDN', 'ES_USER_NAME', 'ES_PASSWORD', 'ES_CA_CERT_FILE'] as const;

auditQuerySuite('audit queries from a real Elasticsearch', async () => {
  if (!process.env.ELASTIC_SEARCH_FQDN) throw new Error('ELASTIC_SEARCH_FQDN is not set: this suite needs a real cluster');
  const prefix = `mailstrata-audit-test-${randomBytes(4).toString('hex')}`;
  const env: Record<string, string> = { ES_INDEX_PREFIX: prefix, WORKER_IN_PROCESS: 'false' };
  for (const name of PASSED) if (process.env[name]) env[name] = process.env[name] as string;
  const t = await startTestApp({ env });
  const elastic = loadConfig(t.env).elastic!;
  const client = createElasticClient(elastic);
  const relay = new AuditRelay(
    t.app.get(DataSource),
    new ElasticsearchAuditSink(client, elastic),
    { batchSize: 500, baseBackoffMs: 10, maxBackoffMs: 100 },
    auditRelayMetrics(),
  );
  return {
    t,
    sync: async () => {
      const result = await relay.drain();
      if (result.unavailable || result.parked > 0) throw new Error(`relay failed: ${JSON.stringify(result)}`);
      await client.indices.refresh({ index: `${prefix}-*` });
    },
    close: async () => {
      await client.indices.delete({ index: `${prefix}-*`, ignore_unavailable: true, allow_no_indices: true });
      await client.indices.deleteIndexTemplate({ name: prefix }).catch(() => undefined);
      await client.close();
      await t.close();
    },
  };
});
