import { readFileSync } from 'node:fs';
import { Client } from '@elastic/elasticsearch';
import type { ElasticConfig } from '@mailstrata/config';

/** DI token for the Elasticsearch client; `null` when ELASTIC_SEARCH_FQDN is unset (audit in Postgres only). */
export const ELASTIC_CLIENT = Symbol('ElasticClient');

const REQUEST_TIMEOUT_MS = 30_000;

/** Builds the client from the seed's variables; an unreadable CA file fails the start and names the variable. */
export function createElasticClient(config: ElasticConfig): Client {
  let ca: Buffer | undefined;
  if (config.caCertFile) {
    try {
      ca = readFileSync(config.caCertFile);
    } catch (error) {
      throw new Error(`ES_CA_CERT_FILE: cannot read ${config.caCertFile} (${(error as Error).message})`, { cause: error });
    }
  }
  return new Client({
    node: config.url,
    auth: config.username !== undefined ? { username: config.username, password: config.password ?? '' } : undefined,
    tls: ca ? { ca } : undefined,
    requestTimeout: REQUEST_TIMEOUT_MS,
    // The relay retries with its own backoff; queries get the client's usual retries.
    maxRetries: 2,
  });
}
