import { Logger } from '@nestjs/common';
import { Client, errors } from '@elastic/elasticsearch';
import type { ElasticConfig } from '@mailstrata/config';
import { AuditDocument, auditIndexFor, auditIndexPattern } from '../audit-document';
import { AuditItemOutcome, AuditSink, AuditSinkUnavailable } from '../relay/audit-sink.port';

const MAX_REASON = 1_000;

/** The mapping: typed scalar fields for filters and sorting; `details` flattened so that two event types
 *  using one detail key with different value types can never make a mapping conflict (a parked event). */
export const AUDIT_MAPPINGS = {
  dynamic: false,
  properties: {
    '@timestamp': { type: 'date' },
    event_id: { type: 'keyword' },
    category: { type: 'keyword' },
    type: { type: 'keyword' },
    outcome: { type: 'keyword' },
    actor: {
      properties: {
        type: { type: 'keyword' },
        id: { type: 'keyword' },
        name: { type: 'keyword' },
        email: { type: 'keyword' },
        role: { type: 'keyword' },
        ip: { type: 'keyword' },
        user_agent: { type: 'keyword', ignore_above: 512 },
      },
    },
    partner_id: { type: 'keyword' },
    org_id: { type: 'keyword' },
    resource: { properties: { type: { type: 'keyword' }, id: { type: 'keyword' } } },
    details: { type: 'flattened' },
  },
} as const;

function truncate(text: string): string {
  return text.length > MAX_REASON ? `${text.slice(0, MAX_REASON)}…` : text;
}

function describe(error: unknown): string {
  if (error instanceof errors.ResponseError) {
    const body = error.body as { error?: { type?: string; reason?: string } } | undefined;
    return truncate(`HTTP ${error.statusCode}: ${body?.error?.type ?? 'error'}${body?.error?.reason ? `: ${body.error.reason}` : ''}`);
  }
  if (error instanceof Error) return truncate(`${error.name}: ${error.message}`);
  return 'unknown error';
}

function isForbidden(error: unknown): boolean {
  return error instanceof errors.ResponseError && (error.statusCode === 401 || error.statusCode === 403);
}

/**
 * Elasticsearch adapter of the audit sink: bulk `create` with the event id as `_id` into the event's
 * monthly index. 409 means the event is already there (an earlier attempt landed), so it counts as
 * delivered; 429 and 5xx items are retried; any other 4xx is a permanent refusal of that event.
 */
export class ElasticsearchAuditSink implements AuditSink {
  private readonly logger = new Logger(ElasticsearchAuditSink.name);

  constructor(
    private readonly client: Client,
    private readonly config: Pick<ElasticConfig, 'indexPrefix' | 'ilmPolicy' | 'retentionDays'>,
  ) {}

  async prepare(): Promise<void> {
    const { indexPrefix, ilmPolicy, retentionDays } = this.config;
    try {
      if (ilmPolicy && retentionDays !== undefined) {
        await this.client.ilm.putLifecycle({
          name: ilmPolicy,
          policy: {
            _meta: { managed_by: 'mailstrata' },
            phases: { hot: { actions: {} }, delete: { min_age: `${retentionDays}d`, actions: { delete: {} } } },
          },
        });
      }
      await this.client.indices.putIndexTemplate({
        name: indexPrefix,
        index_patterns: [auditIndexPattern(indexPrefix)],
        priority: 200,
        _meta: { managed_by: 'mailstrata', description: 'SYSTEMAUDIT events' },
        template: {
          settings: { number_of_shards: 1, ...(ilmPolicy ? { 'index.lifecycle.name': ilmPolicy } : {}) },
          mappings: AUDIT_MAPPINGS,
        },
      });
    } catch (error) {
      if (isForbidden(error)) {
        // An operator may run us with index-write rights only and manage templates themselves.
        this.logger.warn({ reason: describe(error) }, 'no rights to install the audit index template or ILM policy; carrying on');
        return;
      }
      throw new AuditSinkUnavailable(describe(error));
    }
  }

  async deliver(documents: AuditDocument[]): Promise<AuditItemOutcome[]> {
    if (documents.length === 0) return [];
    const operations = documents.flatMap((doc) => [
      { create: { _index: auditIndexFor(this.config.indexPrefix, doc['@timestamp']), _id: doc.event_id } },
      doc,
    ]);
    let response;
    try {
      response = await this.client.bulk({ operations }, { maxRetries: 0 });
    } catch (error) {
      throw new AuditSinkUnavailable(describe(error));
    }
    if (response.items.length !== documents.length) {
      throw new AuditSinkUnavailable(`bulk answered ${response.items.length} items for ${documents.length} events`);
    }
    return response.items.map((item): AuditItemOutcome => {
      const result = item.create ?? Object.values(item)[0];
      const status = result?.status ?? 0;
      if ((status >= 200 && status < 300) || status === 409) return { status: 'delivered' };
      const reason = truncate(
        `HTTP ${status}: ${result?.error?.type ?? 'error'}${result?.error?.reason ? `: ${result.error.reason}` : ''}`,
      );
      if (status === 429 || status >= 500 || status === 0) return { status: 'retry', reason };
      return { status: 'park', reason };
    });
  }
}
