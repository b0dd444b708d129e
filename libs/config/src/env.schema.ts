/**
 * The environment contract, in one place. Every variable the service reads is declared here, parsed
 * and validated once at start; nothing else in the code base reads `process.env`. Error messages name
 * the variable and the rule, and echo a value only when the variable is not a secret.
 */
import { isIP } from 'node:net';
import { z } from 'zod';

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

const bool = (fallback: boolean) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value.trim() === '') return fallback;
      const v = value.trim().toLowerCase();
      if (TRUE.has(v)) return true;
      if (FALSE.has(v)) return false;
      ctx.addIssue({ code: 'custom', message: 'must be true or false' });
      return z.NEVER;
    });

/** An integer variable; `fallback` is its default (undefined: optional, no default), written here only. */
const int = <F extends number | undefined>(fallback: F, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((value, ctx): number | F => {
      if (value === undefined || value.trim() === '') return fallback;
      const v = value.trim();
      const n = Number(v);
      if (!/^-?\d+$/.test(v) || !Number.isSafeInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `must be an integer from ${min} to ${max}` });
        return z.NEVER;
      }
      return n;
    });

/** A boolean whose default depends on other variables (resolved in app-config.ts). */
const optionalBool = z
  .string()
  .optional()
  .transform((value, ctx): boolean | undefined => {
    if (value === undefined || value.trim() === '') return undefined;
    const v = value.trim().toLowerCase();
    if (TRUE.has(v)) return true;
    if (FALSE.has(v)) return false;
    ctx.addIssue({ code: 'custom', message: 'must be true or false' });
    return z.NEVER;
  });

/** A literal NATS subject: dot-separated tokens, no wildcards (events are published to it). */
const NATS_SUBJECT = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const text = (fallback: string) => optionalText.transform((v) => v ?? fallback);

const secretText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v === '' ? undefined : v));

const url = (protocols: string[]) =>
  optionalText.refine(
    (v) => {
      if (v === undefined) return true;
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a URL (${protocols.join(' or ')})` },
  );

const email = optionalText.refine((v) => v === undefined || z.email().safeParse(v).success, {
  message: 'must be an email address',
});

const csv = optionalText.transform((v) =>
  v === undefined
    ? []
    : v
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== ''),
);

/** Up to five comma-separated addresses (the controller's notification recipients). */
const addressList = csv.refine((list) => list.length <= 5 && list.every((a) => z.email().safeParse(a).success), {
  message: 'must be up to 5 comma-separated email addresses',
});

/** A period like `15m`, `1h` or `1d` (1 minute to 31 days), in milliseconds; unset or `off`: undefined. */
const period = optionalText.transform((value, ctx): number | undefined => {
  if (value === undefined || value.toLowerCase() === 'off') return undefined;
  const m = /^(\d{1,5})(m|h|d)$/.exec(value);
  const ms = m ? Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'm' | 'h' | 'd'] : NaN;
  if (!(ms >= 60_000 && ms <= 31 * 86_400_000)) {
    ctx.addIssue({ code: 'custom', message: 'must be off or a period like 15m, 1h or 1d (1 minute to 31 days)' });
    return z.NEVER;
  }
  return ms;
});

function isCidr(value: string): boolean {
  const [addr, prefix, ...rest] = value.split('/');
  if (rest.length > 0 || addr === undefined) return false;
  const family = isIP(addr);
  if (family === 0) return false;
  if (prefix === undefined) return true;
  if (!/^\d+$/.test(prefix)) return false;
  const bits = Number(prefix);
  return bits >= 0 && bits <= (family === 4 ? 32 : 128);
}

export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  HOST: text('0.0.0.0'),
  PORT: int(8080, 0, 65535),
  PUBLIC_URL: url(['http:', 'https:']),
  HTTP_BODY_LIMIT_BYTES: int(512 * 1024, 1024, 16 * 1024 * 1024),
  TRUST_PROXY: bool(false),
  ALLOWED_ORIGINS: csv.refine(
    (list) =>
      list.every((o) => {
        try {
          return new URL(o).origin === o;
        } catch {
          return false;
        }
      }),
    { message: 'must be a comma-separated list of origins like https://console.example.com' },
  ),
  COOKIE_SECURE: bool(true),

  DATA_DIR: z.string().default('./.data'),
  DATABASE_URL: url(['postgres:', 'postgresql:']),
  DATABASE_POOL_MAX: int(10, 1, 200),
  DATABASE_MIGRATE_ON_START: bool(true),

  SESSION_TTL_SECONDS: int(12 * 3600, 60, 30 * 24 * 3600),
  PASSWORD_HASH_COST: int(16, 10, 20),
  LOGIN_RATE_LIMIT_PER_MINUTE: int(10, 1, 100000),
  BOOTSTRAP_ADMIN_EMAIL: email,
  BOOTSTRAP_ADMIN_PASSWORD: secretText,
  ACCOUNT_CREATION_STRATEGY: z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? 'AUTO' : v.trim().toUpperCase()))
    .pipe(z.enum(['AUTO', 'VERIFY'], { message: 'must be AUTO or VERIFY' })),
  PASSWORD_SETUP_TTL_HOURS: int(24, 1, 24 * 14),
  PASSWORD_RESET_TTL_MINUTES: int(60, 5, 24 * 60),
  PASSWORD_RESET_LIMIT_PER_ADDRESS: int(5, 1, 100000),
  PASSWORD_RESET_LIMIT_PER_CLIENT: int(30, 1, 100000),

  FW_EVENT_SMTP_SERVER_ADDR: optionalText,
  FW_EVENT_SMTP_SERVER_PORT: int(undefined, 1, 65535),
  FW_EVENT_SMTP_SERVER_USERNAME: optionalText,
  FW_EVENT_SMTP_SERVER_PASSWORD: secretText,
  /** The controller password read from a file under `<SMTP_SECRET_REFS_DIR>/controller/` instead (a relative name). */
  FW_EVENT_SMTP_SERVER_PASSWORD_REF: optionalText,
  FW_EVENT_SMTP_SERVER_USE_TLS: bool(true),
  FW_EVENT_SMTP_SERVER_USE_INSECURE: bool(false),
  /** The CA (PEM text, or the path of a PEM file) that signed the controller SMTP server's certificate. */
  FW_EVENT_SMTP_SERVER_CA_CERT: optionalText,
  FW_EVENT_SMTP_SENDER_EMAIL: email,
  FW_EVENT_SMTP_SENDER_NAME: optionalText,
  FW_EVENT_SMTP_RETRIES: int(3, 0, 10),
  /**
   * The directory under which secret references (`password_ref`, …) name files, one subdirectory per
   * tenant (`partners/<id>/`, `orgs/<id>/`, `controller/`); unset: references are refused.
   */
  SMTP_SECRET_REFS_DIR: optionalText,
  /** The controller's secondary route (failover): its own server and credentials; sender and retries are the primary's. */
  FW_EVENT_SMTP_SERVER_SECONDARY_ADDR: optionalText,
  FW_EVENT_SMTP_SERVER_SECONDARY_PORT: int(undefined, 1, 65535),
  FW_EVENT_SMTP_SERVER_SECONDARY_USERNAME: optionalText,
  FW_EVENT_SMTP_SERVER_SECONDARY_PASSWORD: secretText,
  FW_EVENT_SMTP_SERVER_SECONDARY_USE_TLS: bool(true),
  FW_EVENT_SMTP_SERVER_SECONDARY_USE_INSECURE: bool(false),
  /** Development mail catcher: `auto` runs it when NODE_ENV=development and no controller SMTP is set. */
  MAIL_CATCHER: z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? 'auto' : v.trim().toLowerCase()))
    .pipe(z.enum(['auto', 'on', 'off'], { message: 'must be auto, on or off' })),
  MAIL_CATCHER_PORT: int(0, 0, 65535),
  MAIL_CATCHER_KEEP: int(500, 1, 10000),

  ELASTIC_SEARCH_FQDN: url(['http:', 'https:']),
  ES_USER_NAME: optionalText,
  ES_PASSWORD: secretText,
  ES_CA_CERT_FILE: optionalText,
  ES_INDEX_PREFIX: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]*$/, 'must be a lowercase Elasticsearch index name')
    .default('mailstrata-audit'),
  AUDIT_RETENTION_DAYS: int(30, 1, 3650),
  AUDIT_KEEP_IN_POSTGRES_DAYS: int(0, 0, 36500),
  ES_ILM_POLICY: optionalText.refine((v) => v === undefined || /^[a-z0-9][a-z0-9._-]*$/.test(v), {
    message: 'must be a lowercase Elasticsearch policy name',
  }),
  ES_RETENTION_DAYS: int(undefined, 1, 36500),
  AUDIT_RELAY_BATCH_SIZE: int(500, 1, 10000),
  AUDIT_RELAY_INTERVAL_MS: int(1000, 10, 600000),
  AUDIT_RELAY_MAX_BACKOFF_SECONDS: int(300, 1, 86400),
  AUDIT_QUERY_MAX_LIMIT: int(100, 1, 10000),

  SECRETS_ENCRYPTION_KEYS: secretText,

  SMTP_ALLOWED_NETWORKS: csv.refine((list) => list.every(isCidr), {
    message: 'must be a comma-separated list of IP addresses or CIDR blocks',
  }),
  SMTP_ALLOWED_PORTS: csv.refine((list) => list.every((p) => /^\d+$/.test(p) && +p >= 1 && +p <= 65535), {
    message: 'must be a comma-separated list of ports from 1 to 65535',
  }),
  VERIFICATION_RATE_LIMIT_PER_MINUTE: int(10, 1, 100000),
  /** Durable system-email delivery: first retry delay (doubles per attempt, with jitter) and the polling interval. */
  EMAIL_RETRY_BASE_MS: int(5000, 10, 3600000),
  EMAIL_POLL_INTERVAL_MS: int(1000, 10, 60000),
  /** How long a claimed email job stays with its worker without a renewal (renewed every third of it while the worker lives). */
  EMAIL_JOB_LEASE_MS: int(60000, 1000, 3600000),
  /** The send API's quotas per partner (the controller's own sends count as one tenant), in recipients, across replicas. */
  EMAIL_SEND_QUOTA_PER_MINUTE: int(600, 1, 10000000),
  EMAIL_SEND_QUOTA_PER_HOUR: int(10000, 1, 100000000),
  /** How long an Idempotency-Key answers with its first message (then it may be used again). */
  EMAIL_IDEMPOTENCY_TTL_HOURS: int(24, 1, 720),
  /** The delivery log keeps finished messages this long (0: forever). */
  EMAIL_LOG_RETENTION_DAYS: int(30, 0, 3650),
  /** A transient failure on the primary route hands a message to the scope's secondary from this attempt on (1: at the first failure). */
  EMAIL_FAILOVER_AFTER_ATTEMPTS: int(1, 1, 100),
  /** A primary whose last route-level failure is newer than its last success, and younger than this, is failing: messages go straight to the secondary. */
  EMAIL_FAILOVER_HEALTH_WINDOW_SECONDS: int(60, 1, 86400),
  /** Per-replica cache of SMTP profile resolution: how long an entry may live (every change invalidates it sooner) and how many entries it holds. */
  EMAIL_CONFIG_CACHE_TTL_SECONDS: int(600, 1, 86400),
  EMAIL_CONFIG_CACHE_MAX_ENTRIES: int(250000, 100, 10000000),
  /** The controller's own notification recipients (partners and orgs set theirs over the API). */
  EMAIL_CONTROLLER_ADMIN_ADDRESS: addressList,
  EMAIL_CONTROLLER_ALERTING_ADDRESS: addressList,
  EMAIL_CONTROLLER_REPORTING_ADDRESS: addressList,
  /** A route is failing after this many route faults in a row with no success between. */
  EMAIL_ALERT_FAILURE_THRESHOLD: int(3, 1, 1000),
  /** At most one alert email per route and direction (failing, recovered) within this many seconds. */
  EMAIL_ALERT_MIN_INTERVAL_SECONDS: int(900, 0, 604800),
  /** Delivery reports to the reporting addresses every period (`1h`, `1d`, …); off by default. */
  EMAIL_REPORT_INTERVAL: period,

  /**
   * Event intake over NATS JetStream: unset, no intake. Comma-separated server URLs (nats:// or tls://).
   * The worker pulls from a durable consumer on EVENTS_NATS_STREAM filtered to EVENTS_NATS_SUBJECT.
   */
  EVENTS_NATS_URL: optionalText.refine(
    (v) =>
      v === undefined ||
      v.split(',').every((part) => {
        try {
          return ['nats:', 'tls:'].includes(new URL(part.trim()).protocol);
        } catch {
          return false;
        }
      }),
    { message: 'must be a comma-separated list of nats:// or tls:// URLs' },
  ),
  EVENTS_NATS_STREAM: text('MAILSTRATA_EMAIL_EVENTS').pipe(
    z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a JetStream stream name (letters, digits, _ and -)'),
  ),
  EVENTS_NATS_SUBJECT: text('mailstrata.email.events').pipe(z.string().regex(NATS_SUBJECT, 'must be a NATS subject like a.b.c')),
  EVENTS_NATS_CONSUMER: text('mailstrata-email-intake').pipe(
    z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a durable consumer name (letters, digits, _ and -)'),
  ),
  EVENTS_NATS_DEAD_LETTER_SUBJECT: text('mailstrata.email.dead-letter').pipe(
    z.string().regex(NATS_SUBJECT, 'must be a NATS subject like a.b.c'),
  ),
  /** Create the stream (capturing the intake and dead-letter subjects) when it is missing; default: not in production. */
  EVENTS_NATS_CREATE_STREAM: optionalBool,
  EVENTS_NATS_USER: optionalText,
  EVENTS_NATS_PASSWORD: secretText,
  EVENTS_NATS_TOKEN: secretText,
  EVENTS_NATS_CREDS_FILE: optionalText,
  EVENTS_NATS_CA_FILE: optionalText,
  /** How long a delivered event may stay unacknowledged before JetStream redelivers it. */
  EVENTS_NATS_ACK_WAIT_MS: int(30000, 1000, 3600000),
  /** Events delivered and not yet acknowledged, across every replica of the consumer. */
  EVENTS_NATS_MAX_ACK_PENDING: int(1000, 1, 100000),
  /** Events one worker processes at once. */
  EVENTS_NATS_CONCURRENCY: int(16, 1, 256),
  /** After a transient failure (e.g. Postgres down) the event is redelivered after this delay. */
  EVENTS_NATS_RETRY_DELAY_MS: int(5000, 100, 600000),

  WORKER_IN_PROCESS: bool(true),
  /** The worker's ops listener (/healthz, /readyz, /metrics); the API serves those on PORT. */
  WORKER_HTTP_PORT: int(9464, 0, 65535),
  /** After SIGTERM: how long /readyz answers 503 while requests are still served, before the listener closes. */
  SHUTDOWN_DRAIN_DELAY_MS: int(0, 0, 120000),
  /** After SIGTERM: the deadline for a clean stop; past it the process exits with status 1. */
  SHUTDOWN_TIMEOUT_MS: int(25000, 1000, 600000),
});

export type RawEnv = z.input<typeof envSchema>;
export type ParsedEnv = z.output<typeof envSchema>;

/** Variables whose values must never be echoed, logged or returned. */
export const SECRET_VARIABLES: ReadonlySet<string> = new Set([
  'BOOTSTRAP_ADMIN_PASSWORD',
  'FW_EVENT_SMTP_SERVER_PASSWORD',
  'FW_EVENT_SMTP_SERVER_SECONDARY_PASSWORD',
  'ES_PASSWORD',
  'SECRETS_ENCRYPTION_KEYS',
  'DATABASE_URL',
  'EVENTS_NATS_PASSWORD',
  'EVENTS_NATS_TOKEN',
]);
