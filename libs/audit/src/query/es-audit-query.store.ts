import { Client, errors, estypes } from '@elastic/elasticsearch';
import { AuditErrors } from '../errors';
import { AuditDocument, auditIndexPattern, normalizeAuditDocument } from '../audit-document';
import { AuditPage, AuditQueryStore, AuditSearch, dedupeByEventId, nextCursorOf } from './audit-query';

/**
 * Elasticsearch adapter. Sorts like Postgres (timestamp, then event id, both descending) and pages deep
 * with `search_after`. Duplicates cannot exist (one monthly index per event, `create` by id), and a
 * page is deduplicated on `event_id` all the same. `collapse` is not used: it cannot be combined
 * with `search_after` on a different sort field.
 */
export class ElasticsearchAuditQueryStore implements AuditQueryStore {
  constructor(
    private readonly client: Client,
    private readonly indexPrefix: string,
  ) {}

  /** The request body, exposed for the adapter's tests. */
  buildRequest(search: AuditSearch): estypes.SearchRequest {
    const filter: estypes.QueryDslQueryContainer[] = [];
    const { scope } = search;
    if (scope.kind === 'org') filter.push({ term: { org_id: scope.orgId } });
    if (scope.kind === 'partner') {
      filter.push({ term: { partner_id: scope.partnerId } });
      if (scope.orgId) filter.push({ term: { org_id: scope.orgId } });
    }
    if (search.from || search.to) {
      filter.push({
        range: {
          '@timestamp': {
            ...(search.from ? { gte: search.from.toISOString() } : {}),
            ...(search.to ? { lte: search.to.toISOString() } : {}),
            format: 'strict_date_optional_time',
          },
        },
      });
    }
    if (search.categories) filter.push({ terms: { category: search.categories } });
    if (search.types) filter.push({ terms: { type: search.types } });
    if (search.outcomes) filter.push({ terms: { outcome: search.outcomes } });
    return {
      index: auditIndexPattern(this.indexPrefix),
      ignore_unavailable: true,
      allow_no_indices: true,
      track_total_hits: true,
      query: { bool: { filter } },
      sort: [{ '@timestamp': { order: 'desc' } }, { event_id: { order: 'desc' } }],
      size: search.limit,
      from: search.offset,
      ...(search.cursor ? { search_after: [search.cursor.t, search.cursor.id] } : {}),
    };
  }

  async search(search: AuditSearch): Promise<AuditPage> {
    let response;
    try {
      response = await this.client.search<AuditDocument>(this.buildRequest(search));
    } catch (error) {
      const status = error instanceof errors.ResponseError ? ` (HTTP ${error.statusCode})` : '';
      throw AuditErrors.AUDIT_SEARCH_UNAVAILABLE(
        `Elasticsearch, which serves the audit log, is unavailable${status}. Events are safe in Postgres; try again shortly.`,
      );
    }
    const items = dedupeByEventId(response.hits.hits.flatMap((hit) => (hit._source ? [normalizeAuditDocument(hit._source)] : [])));
    const total = typeof response.hits.total === 'number' ? response.hits.total : (response.hits.total?.value ?? items.length);
    return { items, total, nextCursor: nextCursorOf(items, search.limit) };
  }
}
