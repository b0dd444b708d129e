import { AppConfig } from '@mailstrata/config';
import type { Params } from 'nestjs-pino';

/**
 * Structured JSON logs. Credentials are redacted by path wherever they could appear in a logged
 * object; request and response bodies are never logged.
 */
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

export function loggerParams(config: AppConfig): Params {
  return {
    pinoHttp: {
      level: config.logLevel,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      genReqId: (req) => (req as { id?: string }).id ?? 'unknown',
      // A 503 is a dependency that is down (logged once where the outage is detected) or a draining replica:
      // an access line at info, not an error per request.
      customLogLevel: (_req, res, err) =>
        res.statusCode === 503 ? 'info' : err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' || req.url === '/metrics' },
      quietReqLogger: true,
    },
  };
}
