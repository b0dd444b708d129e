/**
 * The API's SIGTERM sequence (Kubernetes sends SIGTERM, waits terminationGracePeriodSeconds, then
 * SIGKILLs):
 *
 * 1. Readiness off: `/readyz` answers 503 and every answer carries `Connection: close`; requests are
 *    still served, so whatever the load balancer sends before it notices still succeeds.
 * 2. After SHUTDOWN_DRAIN_DELAY_MS the HTTP listener closes: new connections are refused by the OS;
 *    requests already received (even mid-upload) run to completion.
 * 3. Only then Nest's `app.close()`: `onModuleDestroy` / `beforeApplicationShutdown` /
 *    `onApplicationShutdown` hooks run — the place where libraries close SMTP pools, stop claiming
 *    jobs and release claimed ones — and finally the database pool closes.
 *
 * Step 3 must follow step 2: Nest's own `close()` runs the destroy hooks *before* it closes the HTTP
 * server, which would pull pools out from under in-flight requests.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DrainState } from './drain-state';

export interface ShutdownOptions {
  drainDelayMs: number;
  log: (message: string) => void;
}

export async function shutdownGracefully(app: NestFastifyApplication, options: ShutdownOptions): Promise<void> {
  app.get(DrainState).begin();
  if (options.drainDelayMs > 0) {
    options.log(`not ready; serving for ${options.drainDelayMs} ms more before closing the listener`);
    await delay(options.drainDelayMs);
  }
  // Stops accepting connections, closes idle keep-alive ones, resolves when in-flight requests are done.
  await app.getHttpAdapter().close();
  options.log('HTTP listener closed, in-flight requests done; stopping background work');
  await app.close();
}
