/** Entry point of the worker deployment: background jobs only, no HTTP listener. */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { loadProcessConfigOrExit } from '@mailstrata/config';
import { resolveDatabaseUrl } from '@mailstrata/database';
import { startOpsServer } from '@mailstrata/observability';
import { Logger } from 'nestjs-pino';
import { WorkerModule } from './worker.module';

async function main(): Promise<void> {
  const config = loadProcessConfigOrExit('mailstrata-worker');
  const database = await resolveDatabaseUrl(config, () => undefined);
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config, database.url), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  await app.init();
  let stopping = false;
  let ops: Awaited<ReturnType<typeof startOpsServer>> | undefined;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`mailstrata-worker: ${signal} received, finishing in-flight work\n`);
    setTimeout(() => {
      process.stderr.write(`mailstrata-worker: shutdown did not finish within ${config.shutdown.timeoutMs} ms; exiting\n`);
      process.exit(1);
    }, config.shutdown.timeoutMs).unref();
    // Module destroy hooks stop claiming jobs and finish or release the claimed ones.
    await app.close();
    await ops?.close();
    await database.stop();
    process.stdout.write('mailstrata-worker: stopped\n');
    process.exit(0);
  };
  // Handlers go in before anything announces "started": a SIGTERM that arrives earlier would otherwise
  // hit the default disposition and kill the process mid-batch.
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
  // /healthz, /readyz and /metrics for the kubelet and Prometheus: the worker has no other listener.
  ops = await startOpsServer({ host: config.http.host, port: config.worker.httpPort, ready: () => !stopping });
  process.stdout.write(`mailstrata-worker: started (ops listener on :${ops.port})\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`mailstrata-worker: failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
