/**
 * Tells a Postgres outage apart from a bug, and says so once. While the database is unreachable every
 * request that needs it fails the same way; logging each failure with a stack buries the one fact that
 * matters. The first connection failure is logged (error level) and a probe (`SELECT 1`, once a second)
 * runs until the database answers again, which is logged once too. Callers map the failure to a 503
 * naming the dependency; nothing here retries their work.
 */
import { Injectable, Logger, LoggerService, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { errorChain } from './error-chain';

export const POSTGRES_DEPENDENCY = 'postgres';
const CONTEXT = 'DatabaseOutage';

/** Socket-level failures from pg, and the SQLSTATEs that mean "the server will not serve you now". */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH']);
const SQLSTATES = new Set([
  '57P01', // admin_shutdown (terminated by an administrator)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, shutting down)
  '55000', // the database is not currently accepting connections (ALLOW_CONNECTIONS false)
  '53300', // too_many_connections
  '3D000', // the database does not exist (dropped under us)
]);
const MESSAGES = [/connection terminated/i, /timeout exceeded when trying to connect/i, /connection.*(closed|ended)/i, /not queryable/i];

/** True when `error` (or the driver error TypeORM wraps) says Postgres cannot be reached, as opposed to a bad query. */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (const { code, message } of errorChain(error)) {
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || SQLSTATES.has(code) || code.startsWith('08'))) return true;
    if (typeof message === 'string' && MESSAGES.some((m) => m.test(message)) && !(typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code))) {
      return true;
    }
  }
  return false;
}

@Injectable()
export class DatabaseOutage implements OnModuleDestroy {
  private logger: LoggerService = new Logger(CONTEXT);
  private since: Date | undefined;
  private probe: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Logs through the application's logger itself (the HTTP app passes its pino logger). */
  logTo(logger: LoggerService): void {
    this.logger = logger;
  }

  get down(): boolean {
    return this.since !== undefined;
  }

  /** Records a failure: `true` when it was an outage (now reported), `false` when it is some other error. */
  report(error: unknown): boolean {
    if (!isDatabaseUnavailable(error)) return false;
    if (this.since === undefined && !this.stopped) {
      this.since = new Date();
      const { code, message } = error as { code?: string; message?: string };
      this.logger.error(
        { dependency: POSTGRES_DEPENDENCY, code },
        `postgres is unavailable: ${message ?? 'connection failed'}; answering 503 until it is back`,
        CONTEXT,
      );
      this.scheduleProbe();
    }
    return true;
  }

  onModuleDestroy(): void {
    this.stopped = true;
    if (this.probe) clearTimeout(this.probe);
  }

  private scheduleProbe(): void {
    this.probe = setTimeout(() => void this.check(), 1000);
    this.probe.unref();
  }

  private async check(): Promise<void> {
    if (this.stopped || this.since === undefined) return;
    try {
      await this.dataSource.query('SELECT 1');
    } catch {
      this.scheduleProbe();
      return;
    }
    const seconds = Math.round((Date.now() - this.since.getTime()) / 1000);
    this.since = undefined;
    this.logger.warn(
      { dependency: POSTGRES_DEPENDENCY, outage_seconds: seconds },
      `postgres is reachable again after ${seconds} s`,
      CONTEXT,
    );
  }
}
