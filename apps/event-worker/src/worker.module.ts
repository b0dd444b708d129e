import { DynamicModule, Module } from '@nestjs/common';
import { AuditWorkerModule } from '@mailstrata/audit';
import { AppConfig, ConfigModule } from '@mailstrata/config';
import { DatabaseModule } from '@mailstrata/database';
import { DeliveryWorkerModule, NatsIntakeModule } from '@mailstrata/delivery';

/** The background deployment: the same work the HTTP app runs in-process by default, without HTTP. */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig, databaseUrl: string): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        ConfigModule.forRoot({ config }),
        DatabaseModule.forRoot({ url: databaseUrl, poolMax: config.database.poolMax, migrateOnStart: config.database.migrateOnStart }),
        AuditWorkerModule,
        DeliveryWorkerModule.forRoot(),
        ...(config.natsIntake ? [NatsIntakeModule] : []),
      ],
    };
  }
}
