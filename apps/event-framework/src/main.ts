/**
 * Entry point of the HTTP service. Order matters: the configuration is validated before anything
 * starts, the embedded Postgres (when DATABASE_URL is unset) starts before the app and stops after it.
 */
import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BootstrapAdminService } from '@mailstrata/identity';
import { loadProcessConfigOrExit } from '@mailstrata/config';
import { resolveDatabaseUrl } from '@mailstrata/database';
import { flushLogs } from '@mailstrata/observability';
import { createApp } from './bootstrap';
import { shutdownGracefully } from './lifecycle/graceful-shutdown';

/** A line for the operator, after the log lines gathered before it. */
function say(text: string): void {
  flushLogs();
  process.stdout.write(text);
}

async function main(): Promise<void> {
  const config = loadProcessConfigOrExit('mailstrata');

  const database = await resolveDatabaseUrl(config, () => undefined, { callerOwnsSignals: true });
  if (database.embedded) say(`mailstrata: embedded Postgres under ${config.dataDir}/postgres\n`);
  const app = await createApp(config, database.url, { swaggerUi: true }).catch(async (error: unknown) => {
    await database.stop();
    throw error;
  });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`mailstrata: ${signal} received, shutting down\n`);
    // A stop that hangs (a stuck request, a dependency that never answers) must not outlive the grace period.
    setTimeout(() => {
      process.stderr.write(`mailstrata: shutdown did not finish within ${config.shutdown.timeoutMs} ms; exiting\n`);
      process.exit(1);
    }, config.shutdown.timeoutMs).unref();
    await shutdownGracefully(app, {
      drainDelayMs: config.shutdown.drainDelayMs,
      log: (message) => say(`mailstrata: ${message}\n`),
    });
    await database.stop();
    say('mailstrata: stopped\n');
    process.exit(0);
  };
  // Nest's own shutdown hooks would exit before the embedded Postgres stops; we own the signals.
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));

  await app.listen({ port: config.http.port, host: config.http.host });
  const url = await app.getUrl();
  const bootstrap = app.get(BootstrapAdminService);
  if (database.embedded && !config.identity.bootstrapAdmin) {
    const admin = await bootstrap.generateDevelopmentAdmin(config.dataDir);
    if (admin) {
      say(
        `\nmailstrata: created the first controller admin (shown once; also saved to ${admin.savedTo}):\n` +
          `  email:    ${admin.email}\n  password: ${admin.password}\n`,
      );
    } else if (existsSync(join(config.dataDir, 'initial-admin.txt'))) {
      say(`mailstrata: the first controller admin's credentials are in ${join(config.dataDir, 'initial-admin.txt')}\n`);
    }
  } else if (!config.identity.bootstrapAdmin && !(await bootstrap.anyUserExists())) {
    say('mailstrata: there is no user yet; set BOOTSTRAP_ADMIN_EMAIL and BOOTSTRAP_ADMIN_PASSWORD to create the first controller admin\n');
  }
  say(
    `mailstrata: listening on ${url} (public URL ${config.http.publicUrl}); API docs at ${config.http.publicUrl}/docs\n` +
      `mailstrata: sign in with  curl -i -X POST ${url.replace('[::1]', 'localhost')}/auth/v1/login --data-raw '{"email":"…","password":"…"}'\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`mailstrata: failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
