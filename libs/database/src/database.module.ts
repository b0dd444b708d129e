import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ChangeBus, DATABASE_URL } from './change-bus';
import { DatabaseOutage } from './database-outage';
import { dataSourceOptions } from './data-source-options';
import { ensureSchema } from './schema';

export interface DatabaseModuleOptions {
  url: string;
  poolMax: number;
  migrateOnStart: boolean;
}

/**
 * Owns the connection to Postgres: the TypeORM DataSource (entities registered by each library with
 * `TypeOrmModule.forFeature`), the schema check or migration at start, and the change bus. The
 * database URL is resolved before Nest boots (embedded Postgres or DATABASE_URL) and passed in.
 * The DataSource is handed out only once the schema is current, so nothing can query a stale schema.
 */
@Module({})
export class DatabaseModule {
  static forRoot(options: DatabaseModuleOptions): DynamicModule {
    return {
      module: DatabaseModule,
      global: true,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => ({
            ...dataSourceOptions(options.url, options.poolMax),
            autoLoadEntities: true,
            retryAttempts: 2,
            retryDelay: 500,
          }),
          dataSourceFactory: async (typeormOptions) => {
            const dataSource = await new DataSource(typeormOptions!).initialize();
            try {
              await ensureSchema(dataSource, options.migrateOnStart);
            } catch (error) {
              await dataSource.destroy();
              throw error;
            }
            return dataSource;
          },
        }),
      ],
      providers: [{ provide: DATABASE_URL, useValue: options.url }, ChangeBus, DatabaseOutage],
      exports: [ChangeBus, DatabaseOutage],
    };
  }
}
