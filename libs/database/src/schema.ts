import { DataSource } from 'typeorm';

/** Arbitrary, fixed: serialises migrations across replicas that start at the same moment. */
const MIGRATION_LOCK_KEY = 827_310_442;

export class SchemaBehindError extends Error {
  constructor(pending: string[]) {
    super(
      `The database schema is behind this build (${pending.length} pending migration(s): ${pending.join(', ')}). ` +
        'Run `npm run migrate` (or the migration Job) before starting the service, or set DATABASE_MIGRATE_ON_START=true.',
    );
    this.name = 'SchemaBehindError';
  }
}

async function pendingMigrations(dataSource: DataSource): Promise<string[]> {
  const table = dataSource.options.migrationsTableName ?? 'migrations';
  const exists = await dataSource.query(`SELECT to_regclass($1) AS t`, [table]);
  const applied = new Set<string>(
    exists[0]?.t ? (await dataSource.query(`SELECT name FROM "${table}"`)).map((r: { name: string }) => r.name) : [],
  );
  return dataSource.migrations.map((m) => m.name ?? m.constructor.name).filter((name) => !applied.has(name));
}

/** Applies pending migrations under an advisory lock, so concurrent replicas migrate once. */
export async function migrate(dataSource: DataSource): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await runner.release();
  }
}

/** Migrates when allowed, otherwise refuses to run against a schema that is behind. */
export async function ensureSchema(dataSource: DataSource, migrateOnStart: boolean): Promise<void> {
  if (migrateOnStart) {
    await migrate(dataSource);
    return;
  }
  const pending = await pendingMigrations(dataSource);
  if (pending.length > 0) throw new SchemaBehindError(pending);
}
