import { AppConfig } from '@mailstrata/config';
import { startEmbeddedPostgres } from './embedded-postgres';

export interface ResolvedDatabase {
  url: string;
  embedded: boolean;
  /** Stops the embedded Postgres; a no-op for an external database. */
  stop(): Promise<void>;
}

/**
 * DATABASE_URL when set, otherwise an embedded Postgres under DATA_DIR (started here). A long-running
 * process that handles SIGTERM/SIGINT itself says so with `callerOwnsSignals` and calls `stop()` last.
 */
export async function resolveDatabaseUrl(
  config: AppConfig,
  log: (line: string) => void,
  options: { callerOwnsSignals?: boolean } = {},
): Promise<ResolvedDatabase> {
  if (config.database.url) return { url: config.database.url, embedded: false, stop: async () => undefined };
  const handle = await startEmbeddedPostgres({ dataDir: config.dataDir, log, callerOwnsSignals: options.callerOwnsSignals });
  return { url: handle.url, embedded: true, stop: handle.stop };
}
