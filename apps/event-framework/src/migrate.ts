/**
 * `npm run migrate`, and the Kubernetes migration Job's command: applies pending migrations and exits.
 * The service itself refuses to start on a schema that is behind when DATABASE_MIGRATE_ON_START=false.
 */
import 'reflect-metadata';
import { loadProcessConfigOrExit } from '@mailstrata/config';
import { dataSourceOptions, migrate, resolveDatabaseUrl } from '@mailstrata/database';
import { DataSource } from 'typeorm';

async function main(): Promise<void> {
  const config = loadProcessConfigOrExit('mailstrata-migrate');
  const database = await resolveDatabaseUrl(config, () => undefined);
  const dataSource = await new DataSource(dataSourceOptions(database.url, 2)).initialize();
  try {
    const applied = await migrate(dataSource);
    process.stdout.write(applied.length ? `applied ${applied.length} migration(s): ${applied.join(', ')}\n` : 'schema is current\n');
  } finally {
    await dataSource.destroy();
    await database.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`migration failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
