/** The query endpoints served from Postgres (no ELASTIC_SEARCH_FQDN); the ES run lives in test/audit-es. */
import { startTestApp } from '../support/app';
import { auditQuerySuite } from './audit-query.suite';

auditQuerySuite('audit queries from Postgres', async () => {
  const t = await startTestApp();
  return { t, sync: async () => undefined, close: () => t.close() };
});
