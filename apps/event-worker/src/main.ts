/** Entry point of the worker deployment: background jobs only, no HTTP listener. */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { ConfigValidationError, loadProcessConfig } from '@mailstrata/config';
import { resolveDatabaseUrl } from '@mailstrata/database';
import { Logger } from 'nestjs-pino';
import { WorkerModule } from './worker.module';

async function main(): Promise<void> {
  let config;
  try {
    config = loadProcessConfig();
  } catch (error) {
    if (error instanceof ConfigValidationError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }
  const database = await resolveDatabaseUrl(config, () => undefined);
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config, database.url), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  await app.init();
  process.stdout.write('mailstrata-worker: started\n');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`mailstrata-worker: ${signal} received, finishing in-flight work\n`);
    await app.close();
    await database.stop();
    process.stdout.write('mailstrata-worker: stopped\n');
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`mailstrata-worker: failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
