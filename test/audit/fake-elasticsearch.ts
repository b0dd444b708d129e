/**
 * An Elasticsearch stand-in for the relay tests: Elastic's own `@elastic/elasticsearch-mock` supplies the
 * transport under the real client, and this class answers the few APIs the relay uses the way a cluster
 * does — `create` of an existing `_id` in an index is a 409, the document is not written twice.
 */
import { Client, errors } from '@elastic/elasticsearch';
import Mock from '@elastic/elasticsearch-mock';

type BulkLine = Record<string, any>;
export type ItemOverride = { status: number; type?: string; reason?: string } | undefined;

export class FakeElasticsearch {
  readonly mock = new Mock();
  /** index → (_id → document) */
  readonly indices = new Map<string, Map<string, Record<string, unknown>>>();
  readonly bulkRequests: BulkLine[][] = [];
  readonly templates = new Map<string, Record<string, unknown>>();
  readonly policies = new Map<string, Record<string, unknown>>();
  /** While true every request fails as if the cluster were unreachable. */
  down = false;
  /** Answers 403 on template and policy APIs, as for a user with index-write rights only. */
  forbidSetup = false;
  /** Per-event answer override for the next bulk items (by `_id`); consulted before storing. */
  override: (id: string) => ItemOverride = () => undefined;

  constructor() {
    const unreachable = () => new errors.ConnectionError('connect ECONNREFUSED 127.0.0.1:9200');
    const forbidden = () =>
      new errors.ResponseError({
        body: { error: { type: 'security_exception', reason: 'action is unauthorized' }, status: 403 },
        statusCode: 403,
        headers: {},
        warnings: [],
        meta: {} as never,
      });
    this.mock.add({ method: 'PUT', path: '/_index_template/:name' }, (params) => {
      if (this.down) return unreachable();
      if (this.forbidSetup) return forbidden();
      this.templates.set(String(params.path).split('/').pop() as string, params.body as Record<string, unknown>);
      return { acknowledged: true };
    });
    this.mock.add({ method: 'PUT', path: '/_ilm/policy/:name' }, (params) => {
      if (this.down) return unreachable();
      if (this.forbidSetup) return forbidden();
      this.policies.set(String(params.path).split('/').pop() as string, params.body as Record<string, unknown>);
      return { acknowledged: true };
    });
    this.mock.add({ method: ['POST', 'PUT'], path: '/_bulk' }, (params) => {
      if (this.down) return unreachable();
      return this.bulk(params.body as BulkLine[]);
    });
  }

  /**
   * Applies a bulk body (action and document lines) the way a cluster does: `create` of an `_id` that
   * its index already holds is a 409 and the document is not written twice.
   */
  bulk(lines: BulkLine[]): { took: number; errors: boolean; items: BulkLine[] } {
    this.bulkRequests.push(lines);
    const items: BulkLine[] = [];
    for (let i = 0; i < lines.length; i += 2) {
      const action = lines[i] as { create: { _index: string; _id: string } };
      const doc = lines[i + 1] as Record<string, unknown>;
      const { _index, _id } = action.create;
      const forced = this.override(_id);
      if (forced) {
        items.push({
          create: { _index, _id, status: forced.status, error: { type: forced.type ?? 'error', reason: forced.reason ?? 'forced' } },
        });
        continue;
      }
      const index = this.indices.get(_index) ?? new Map<string, Record<string, unknown>>();
      this.indices.set(_index, index);
      if (index.has(_id)) {
        items.push({
          create: {
            _index,
            _id,
            status: 409,
            error: { type: 'version_conflict_engine_exception', reason: `[${_id}]: version conflict, document already exists` },
          },
        });
      } else {
        index.set(_id, doc);
        items.push({ create: { _index, _id, status: 201, result: 'created', _version: 1 } });
      }
    }
    return { took: 1, errors: items.some((it) => it.create.status >= 300), items };
  }

  client(): Client {
    // The mock's connection has no close(); the app closes its client on shutdown like in production.
    const MockConnection = this.mock.getConnection() as unknown as new (...args: never[]) => object;
    class ClosableConnection extends MockConnection {
      async close(): Promise<void> {}
    }
    return new Client({ node: 'http://elasticsearch.test:9200', Connection: ClosableConnection as never, maxRetries: 0 });
  }

  /** Every stored document, across indices (a duplicate would show up twice here). */
  documents(): Record<string, unknown>[] {
    return [...this.indices.values()].flatMap((index) => [...index.values()]);
  }

  /** How many stored copies each event id has. */
  copiesByEventId(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const doc of this.documents()) counts.set(String(doc.event_id), (counts.get(String(doc.event_id)) ?? 0) + 1);
    return counts;
  }
}
