/** Entry point of the worker deployment: background jobs only, no HTTP listener but the ops one. */
import 'reflect-metadata';
import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadProcessConfigOrExit } from '@mailstrata/config';
import { NatsIntakeService } from '@mailstrata/delivery';
import { resolveDatabaseUrl } from '@mailstrata/database';
import { createLogger, flushLogs, NestPinoLogger, OpsServer, startOpsServer } from '@mailstrata/observability';
import { WorkerModule } from './worker.module';

/** A line for the operator, after the log lines gathered before it. */
function say(text: string): void {
  flushLogs();
  process.stdout.write(text);
}

async function main(): Promise<void> {
  const config = loadProcessConfigOrExit('mailstrata-worker');
  const database = await resolveDatabaseUrl(config, () => undefined, { callerOwnsSignals: true });

  // Signal handlers go in before the workers start claiming jobs: a SIGTERM that met the default
  // disposition would kill the process mid-batch.
  const running: { app?: INestApplicationContext; ops?: OpsServer } = {};
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`mailstrata-worker: ${signal} received, finishing in-flight work\n`);
    setTimeout(() => {
      process.stderr.write(`mailstrata-worker: shutdown did not finish within ${config.shutdown.timeoutMs} ms; exiting\n`);
      process.exit(1);
    }, config.shutdown.timeoutMs).unref();
    // Module destroy hooks stop claiming jobs and finish or release the claimed ones.
    await running.app?.close();
    await running.ops?.close();
    await database.stop();
    say('mailstrata-worker: stopped\n');
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));

  // Every Nest Logger line, from Nest itself and from the libraries, as JSON through one pino logger.
  const logger = new NestPinoLogger(createLogger(config.logLevel));
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config, database.url), { logger });
  running.app = app;
  await app.init();
  // /healthz, /readyz and /metrics for the kubelet and Prometheus.
  // With the NATS intake configured, ready also means connected to NATS and pulling from the consumer.
  const intake = config.natsIntake ? app.get(NatsIntakeService) : undefined;
  running.ops = await startOpsServer({
    host: config.http.host,
    port: config.worker.httpPort,
    ready: () => !stopping && (intake?.ready() ?? true),
  });
  say(`mailstrata-worker: started (ops listener on :${running.ops.port})\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`mailstrata-worker: failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
