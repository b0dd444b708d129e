/**
 * The app with ELASTIC_SEARCH_FQDN set, its client on Elastic's mock transport: the relay runs in-process
 * by default, installs its ILM policy, carries on without the rights to install its template, and the
 * query endpoints ask Elasticsearch the question the Postgres store answers.
 */
import { errors } from '@elastic/elasticsearch';
import { ElasticsearchAuditQueryStore, ElasticsearchAuditSink } from '@mailstrata/audit';
import { buildWorld, World } from '../support/world';
import { TestApp } from '../support/app';
import { eventually, startAppWithElastic } from './audit-app';
import { FakeElasticsearch } from './fake-elasticsearch';

describe('audit with Elasticsearch configured', () => {
  let t: TestApp;
  let w: World;
  const es = new FakeElasticsearch();
  const searches: any[] = [];

  beforeAll(async () => {
    es.forbidSetup = true;
    es.mock.add({ method: ['POST', 'GET'], path: '/:index/_search' }, (params) => {
      searches.push({ path: params.path, body: params.body, querystring: params.querystring });
      // Answer with what the fake holds for the org, newest first; enough to check the mapping back.
      const orgFilter = (params.body as any).query.bool.filter.find((f: any) => f.term?.org_id)?.term.org_id;
      const docs = es
        .documents()
        .filter((d: any) => !orgFilter || d.org_id === orgFilter)
        .sort((a: any, b: any) => b['@timestamp'].localeCompare(a['@timestamp']) || b.event_id.localeCompare(a.event_id));
      const size = (params.body as any).size;
      return {
        took: 1,
        timed_out: false,
        hits: {
          total: { value: docs.length, relation: 'eq' },
          hits: docs.slice(0, size).map((d: any) => ({ _index: 'x', _id: d.event_id, _source: d })),
        },
      };
    });
    t = await startAppWithElastic({
      es,
      env: { AUDIT_RELAY_INTERVAL_MS: '20', ES_ILM_POLICY: 'audit-test-policy', ES_RETENTION_DAYS: '90' },
    });
    w = await buildWorld(t.client, 'esw');
  });
  afterAll(async () => {
    await t.close();
  });

  it('relays in-process by default, even without the rights to install the template', async () => {
    const total = await eventually(
      async () => Number((await t.db.query<{ n: string }>('SELECT count(*) AS n FROM audit_events'))[0]?.n),
      (n) => n > 0,
    );
    await eventually(
      async () => (await t.db.query('SELECT id FROM audit_events WHERE delivered_at IS NULL')).length,
      (n) => n === 0,
    );
    expect(es.documents().length).toBeGreaterThanOrEqual(total);
    expect(es.templates.size).toBe(0);
  });

  it('installs the ILM policy with a delete phase when it has the rights', async () => {
    es.forbidSetup = false;
    const other = new FakeElasticsearch();
    const sink = new ElasticsearchAuditSink(other.client(), {
      indexPrefix: 'audit-test',
      ilmPolicy: 'audit-test-policy',
      retentionDays: 90,
    });
    await sink.prepare();
    expect(other.policies.get('audit-test-policy')).toMatchObject({
      policy: { phases: { delete: { min_age: '90d', actions: { delete: {} } } } },
    });
    expect((other.templates.get('audit-test') as any).template.settings['index.lifecycle.name']).toBe('audit-test-policy');
  });

  it('serves the org audit log from Elasticsearch with the scope, sort and paging of the Postgres store', async () => {
    const res = await t.client.get(
      '/event/v1/auditlog?filter.timefrom=now-1h&filter.limit=2&filter.category=SYSTEMAUDIT',
      w.orgA1.admin.token,
    );
    expect(res.status).toBe(200);
    const body = searches[searches.length - 1].body;
    expect(searches[searches.length - 1].path).toBe('/audit-test-*/_search');
    expect(body.sort).toEqual([{ '@timestamp': { order: 'desc' } }, { event_id: { order: 'desc' } }]);
    expect(body.track_total_hits).toBe(true);
    expect(body.size).toBe(2);
    expect(body.query.bool.filter).toEqual(
      expect.arrayContaining([
        { term: { org_id: w.orgA1.id } },
        { terms: { category: ['SYSTEMAUDIT'] } },
        { range: { '@timestamp': expect.objectContaining({ gte: expect.any(String) }) } },
      ]),
    );
    expect(res.body.items).toHaveLength(2);
    expect(res.body.items.every((i: any) => i.org_id === w.orgA1.id)).toBe(true);
    expect(res.body.total).toBeGreaterThanOrEqual(2);
    expect(res.body.next_cursor).toEqual(expect.any(String));

    const next = await t.client.get(`/event/v1/auditlog?filter.limit=2&filter.cursor=${res.body.next_cursor}`, w.orgA1.admin.token);
    expect(next.status).toBe(200);
    const last = res.body.items[1];
    expect(searches[searches.length - 1].body.search_after).toEqual([Date.parse(last.timestamp), last.event_id]);

    const partner = await t.client.get('/opsauditlogs/?timefrom=now-7d', w.partnerA.admin.token);
    expect(partner.status).toBe(200);
    expect(searches[searches.length - 1].body.query.bool.filter).toEqual(expect.arrayContaining([{ term: { partner_id: w.partnerA.id } }]));
  });

  it('deduplicates a page on event_id and says which dependency is down', async () => {
    const store = new ElasticsearchAuditQueryStore(es.client(), 'audit-test');
    const doc = es.documents()[0] as any;
    es.mock.clear({ method: ['POST', 'GET'], path: '/:index/_search' });
    es.mock.add({ method: ['POST', 'GET'], path: '/:index/_search' }, () => ({
      hits: { total: { value: 2, relation: 'eq' }, hits: [{ _source: doc }, { _source: doc }] },
    }));
    const page = await store.search({ scope: { kind: 'all' }, offset: 0, limit: 10 });
    expect(page.items.map((i) => i.event_id)).toEqual([doc.event_id]);

    es.mock.clear({ method: ['POST', 'GET'], path: '/:index/_search' });
    es.mock.add({ method: ['POST', 'GET'], path: '/:index/_search' }, () => new errors.ConnectionError('connect ECONNREFUSED') as never);
    const res = await t.client.get('/event/v1/auditlog', w.orgA1.admin.token);
    expect(res.status).toBe(503);
    expect(res.body.code).toBe('AUDIT_SEARCH_UNAVAILABLE');
    expect(res.body.detail).toContain('Elasticsearch');
  });
});
