/**
 * One pino logger per process writes every log line as JSON: the HTTP app hands it to Fastify (which
 * binds each request's id on its per-request child), and Nest's `Logger`, used by every library, is a
 * thin adapter over the same instance, so a library's line and an access line share format,
 * destination and redaction.
 *
 * Redaction uses fixed paths, compiled once when the logger is built; nothing is compiled per request.
 * Credentials are censored wherever they could appear in a logged object; request and response
 * bodies are never logged.
 */
import type { LoggerService } from '@nestjs/common';
import pino, { Bindings, ChildLoggerOptions, DestinationStream, Logger, LevelWithSilent } from 'pino';

type AnyLogFn = (...args: unknown[]) => void;

export type AppLogger = Logger;

export const REDACT_PATHS = [
  'req.headers.cookie',
  'req.headers.authorization',
  'res.headers["set-cookie"]',
  '*.password',
  '*.client_secret',
  '*.client_key',
  '*.token',
  '*.secret',
  '*.pass',
  'password',
  'token',
];

export const REDACTED = '[redacted]';

/** What an access line says about a request: no body, no query parsing. */
interface RequestLike {
  method: string;
  url: string;
  headers: Record<string, unknown>;
  ip?: string;
}

/**
 * A request as an access line shows it. Headers are named, never copied wholesale: any header can carry a
 * credential (Cookie, Authorization, Proxy-Authorization, an API gateway's key), so only the two that
 * describe the caller are logged.
 */
function requestSerializer(req: RequestLike) {
  return { method: req.method, url: req.url, host: req.headers.host, remoteAddress: req.ip, userAgent: req.headers['user-agent'] };
}

/** Lines are written to stdout in chunks of about this many bytes… */
const FLUSH_BYTES = 4096;
/** …and at least this often, so that a quiet replica's lines are not held back. */
const FLUSH_INTERVAL_MS = 250;

let bufferedStdout: (DestinationStream & { flushSync(): void }) | undefined;

/**
 * Where the process's log lines go: stdout, written synchronously in chunks. A line per request written
 * on its own (pino's default hands each write to libuv's thread pool) costs a busy replica more CPU than
 * the line itself; gathered, it writes a few times per second. The chunk still waiting when the process
 * exits (a normal stop, process.exit, an uncaught error) is written on 'exit'. A test that has replaced
 * `process.stdout.write` to capture the logs gets them through its capture.
 */
function destination(): DestinationStream {
  if (process.stdout.write !== Object.getPrototypeOf(process.stdout).write) return process.stdout;
  if (!bufferedStdout) {
    const stream = pino.destination({ fd: process.stdout.fd ?? 1, sync: true, minLength: FLUSH_BYTES, periodicFlush: FLUSH_INTERVAL_MS });
    process.once('exit', () => stream.flushSync());
    bufferedStdout = stream;
  }
  return bufferedStdout;
}

/** Writes out the log lines still gathered: before the process writes to stdout directly, so lines keep their order. */
export function flushLogs(): void {
  bufferedStdout?.flushSync();
}

/** The process's logger, writing JSON lines to stdout (see `destination`). */
export function createLogger(level: LevelWithSilent): AppLogger {
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: REDACTED },
      serializers: { req: requestSerializer, err: pino.stdSerializers.err },
    },
    destination(),
  );
}

/**
 * The logger for access lines without an error: `{ reqId, req, res, responseTime }`, which carry no
 * credential (the `req` serializer logs no header but Host and User-Agent). It skips
 * the redaction pass, which would otherwise cost more than the rest of the line; a line carrying an
 * error (whose fields could hold anything) goes through the redacting logger.
 */
export function accessLogger(logger: AppLogger): AppLogger {
  return logger.child({}, { redact: [] });
}

/**
 * A child logger built the first time it logs: Fastify makes one per request (bound to its id), and
 * building a pino child costs more than answering a probe, while most requests never log through it.
 */
export class DeferredChildLogger {
  private built: AppLogger | undefined;

  constructor(
    private readonly parent: AppLogger,
    private readonly childBindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  private get logger(): AppLogger {
    return (this.built ??= this.parent.child(this.childBindings, this.options));
  }

  get level(): string {
    return this.built?.level ?? this.options.level ?? this.parent.level;
  }
  set level(level: string) {
    this.logger.level = level;
  }
  isLevelEnabled(level: string): boolean {
    if (this.built) return this.built.isLevelEnabled(level);
    const values = this.parent.levels.values;
    return values[level]! >= values[this.level]!;
  }
  fatal(...args: unknown[]): void {
    (this.logger.fatal as AnyLogFn).apply(this.logger, args);
  }
  error(...args: unknown[]): void {
    (this.logger.error as AnyLogFn).apply(this.logger, args);
  }
  warn(...args: unknown[]): void {
    (this.logger.warn as AnyLogFn).apply(this.logger, args);
  }
  info(...args: unknown[]): void {
    (this.logger.info as AnyLogFn).apply(this.logger, args);
  }
  debug(...args: unknown[]): void {
    (this.logger.debug as AnyLogFn).apply(this.logger, args);
  }
  trace(...args: unknown[]): void {
    (this.logger.trace as AnyLogFn).apply(this.logger, args);
  }
  silent(): void {}
  child(bindings: Bindings, options?: ChildLoggerOptions): AppLogger {
    return this.logger.child(bindings, options);
  }
  bindings(): Bindings {
    return this.built ? this.built.bindings() : { ...this.parent.bindings(), ...this.childBindings };
  }
}

type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/**
 * Nest's `LoggerService` over pino, with the call shapes Nest and our libraries use:
 * `logger.log('text')`, `logger.warn({ fields }, 'text')`, `logger.error(error)`; the context (the
 * `new Logger(Context)` name) arrives last and is logged as `context`. Nest's exception handlers call
 * `error(message, stack, context)`: the stack becomes `err`.
 */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly logger: AppLogger) {}

  verbose(message: unknown, ...params: unknown[]): void {
    this.call('trace', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.call('debug', message, params);
  }
  log(message: unknown, ...params: unknown[]): void {
    this.call('info', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.call('warn', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.call('error', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.call('fatal', message, params);
  }

  private call(level: Level, message: unknown, params: unknown[]): void {
    if (!this.logger.isLevelEnabled(level)) return;
    const fields: Record<string, unknown> = {};
    let rest = params;
    if (params.length > 0) {
      fields.context = params[params.length - 1];
      rest = params.slice(0, -1);
    }
    if (message instanceof Error) {
      fields.err = message;
      this.logger[level](fields, ...(rest as [string]));
    } else if (typeof message === 'object' && message !== null) {
      Object.assign(fields, message);
      this.logger[level](fields, ...(rest as [string]));
    } else if (
      level === 'error' &&
      typeof message === 'string' &&
      rest.length === 1 &&
      typeof rest[0] === 'string' &&
      /\n\s*at /.test(rest[0])
    ) {
      const err = new Error(message);
      err.stack = rest[0];
      fields.err = err;
      this.logger[level](fields);
    } else {
      this.logger[level](fields, String(message), ...rest);
    }
  }
}
