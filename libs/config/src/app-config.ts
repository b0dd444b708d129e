import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { envSchema, ParsedEnv, SECRET_VARIABLES } from './env.schema';

export type AccountCreationStrategy = 'AUTO' | 'VERIFY';

export interface HttpConfig {
  host: string;
  port: number;
  publicUrl: string;
  bodyLimitBytes: number;
  trustProxy: boolean;
  /** Origins besides PUBLIC_URL's that may send state-changing browser requests. */
  allowedOrigins: string[];
  cookieSecure: boolean;
}

export interface DatabaseConfig {
  /** Absent: an embedded Postgres under `dataDir`. */
  url: string | undefined;
  poolMax: number;
  migrateOnStart: boolean;
}

export interface IdentityConfig {
  sessionTtlSeconds: number;
  passwordHashCost: number;
  loginRateLimitPerMinute: number;
  bootstrapAdmin: { email: string; password: string } | undefined;
  accountCreationStrategy: AccountCreationStrategy;
  passwordSetupTtlHours: number;
  passwordReset: PasswordResetConfig;
}

export interface PasswordResetConfig {
  ttlMinutes: number;
  /** Reset requests allowed per hour for one address, and for one client address, across all replicas. */
  limitPerAddress: number;
  limitPerClient: number;
}

export interface ControllerSmtpConfig {
  host: string;
  port: number | undefined;
  username: string | undefined;
  password: string | undefined;
  /** FW_EVENT_SMTP_SERVER_PASSWORD_REF: a file name under `<SMTP_SECRET_REFS_DIR>/controller/`. */
  passwordRef?: string;
  useTls: boolean;
  useInsecure: boolean;
  /** PEM text of the CA(s) to trust for the controller SMTP server (FW_EVENT_SMTP_SERVER_CA_CERT, read if a path). */
  caCert: string | undefined;
  senderEmail: string | undefined;
  senderName: string | undefined;
  retries: number;
  /** The controller's secondary route (FW_EVENT_SMTP_SERVER_SECONDARY_*): same sender and retries, its own server. */
  secondary?: ControllerSecondarySmtpConfig;
}

export interface ControllerSecondarySmtpConfig {
  host: string;
  port: number | undefined;
  username: string | undefined;
  password: string | undefined;
  useTls: boolean;
  useInsecure: boolean;
}

/** The built-in development SMTP server (loopback only); undefined when it does not run. */
export interface MailCatcherConfig {
  /** 0: a free port chosen at start. */
  port: number;
  /** Messages kept; older ones are deleted. */
  keep: number;
}

export interface ElasticConfig {
  url: string;
  username: string | undefined;
  password: string | undefined;
  caCertFile: string | undefined;
  indexPrefix: string;
  /** ILM policy the audit index template names; created with a delete phase when retentionDays is set. */
  ilmPolicy: string | undefined;
  retentionDays: number | undefined;
}

export interface AuditConfig {
  /** Age after which events already in Elasticsearch are pruned from Postgres. */
  retentionDays: number;
  /** Without Elasticsearch: 0 keeps events forever, otherwise prune after this many days. */
  keepInPostgresDays: number;
  relay: { batchSize: number; intervalMs: number; maxBackoffMs: number };
  /** Largest page an audit query may ask for; more is a 400, not a silent cut. */
  queryMaxLimit: number;
}

export interface EgressConfig {
  allowedNetworks: string[];
  allowedPorts: number[];
  verificationRateLimitPerMinute: number;
}

/** Who hears about the controller's own route, and the alert and report settings (EMAIL_ALERT_*, EMAIL_REPORT_*). */
export interface EmailNotificationsConfig {
  controller: { admin: string[]; alerting: string[]; reporting: string[] };
  failureThreshold: number;
  alertMinIntervalMs: number;
  /** undefined: no periodic reports. */
  reportIntervalMs: number | undefined;
}

export interface EmailDeliveryConfig {
  retryBaseMs: number;
  pollIntervalMs: number;
  /** A dead worker's claimed jobs return to the queue about this long after its last renewal. */
  leaseMs: number;
  /** The send API's quotas per partner, in recipients (the controller's own sends share one). */
  sendQuotaPerMinute: number;
  sendQuotaPerHour: number;
  idempotencyTtlHours: number;
  /** Finished messages older than this leave the delivery log; 0 keeps them. */
  logRetentionDays: number;
  /** From which attempt a transient failure of the primary route hands the message to the secondary. */
  failoverAfterAttempts: number;
  /** How long a route-level failure of the primary (newer than its last success) sends messages straight to the secondary. */
  failoverHealthWindowMs: number;
}

/** The per-replica cache of SMTP profile resolution (organizations' and partners' entries). */
export interface EmailConfigCacheConfig {
  ttlMs: number;
  maxEntries: number;
}

/** Event intake over NATS JetStream (EVENTS_NATS_*); undefined when EVENTS_NATS_URL is unset. */
export interface NatsIntakeConfig {
  servers: string[];
  stream: string;
  subject: string;
  consumer: string;
  deadLetterSubject: string;
  createStream: boolean;
  auth: { user: string; password: string } | { token: string } | { credsFile: string } | undefined;
  caFile: string | undefined;
  ackWaitMs: number;
  maxAckPending: number;
  concurrency: number;
  retryDelayMs: number;
}

export interface AppConfig {
  env: 'development' | 'production' | 'test';
  logLevel: ParsedEnv['LOG_LEVEL'];
  dataDir: string;
  http: HttpConfig;
  database: DatabaseConfig;
  identity: IdentityConfig;
  controllerSmtp: ControllerSmtpConfig | undefined;
  mailCatcher: MailCatcherConfig | undefined;
  elastic: ElasticConfig | undefined;
  audit: AuditConfig;
  /** Raw keyring text (`id:base64,...`); undefined means a local development key under DATA_DIR. */
  secretsKeyring: string | undefined;
  egress: EgressConfig;
  /** SMTP_SECRET_REFS_DIR as an absolute path; undefined: secret references are refused. */
  secretRefsDir: string | undefined;
  emailDelivery: EmailDeliveryConfig;
  emailConfigCache: EmailConfigCacheConfig;
  emailNotifications: EmailNotificationsConfig;
  natsIntake: NatsIntakeConfig | undefined;
  worker: { inProcess: boolean; httpPort: number };
  /** SIGTERM handling: readiness off, serve for `drainDelayMs`, close; give up after `timeoutMs`. */
  shutdown: { drainDelayMs: number; timeoutMs: number };
}

export class ConfigValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigValidationError';
  }
}

type Env = Record<string, string | undefined>;

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** PEM text with only certificates that parse, or a reason why not. */
function parsePemCertificates(text: string): { pem: string } | { problem: string } {
  const blocks = text.match(CERT_BLOCK) ?? [];
  if (blocks.length === 0 || text.replace(CERT_BLOCK, '').trim() !== '')
    return { problem: 'holds no PEM certificate (or other text besides)' };
  try {
    for (const block of blocks) new X509Certificate(block);
  } catch {
    return { problem: 'holds a PEM certificate that does not parse' };
  }
  return { pem: `${blocks.join('\n')}\n` };
}

/**
 * A CA variable's value: PEM text as is, anything else the path of a PEM file. Read once at start, so a
 * missing file or bad certificate stops the process instead of failing the first TLS handshake.
 */
export function readCaCertificates(variable: string, value: string): { pem: string } | { problem: string } {
  if (value.startsWith('-----BEGIN')) {
    const parsed = parsePemCertificates(value);
    return 'pem' in parsed
      ? parsed
      : { problem: `${variable}: must be PEM certificates or the path of a PEM file; the text ${parsed.problem}` };
  }
  let text: string;
  try {
    text = readFileSync(value, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'unreadable';
    return { problem: `${variable}: must be PEM certificates or the path of a PEM file; cannot read "${value}" (${code})` };
  }
  const parsed = parsePemCertificates(text);
  return 'pem' in parsed ? parsed : { problem: `${variable}: the file "${value}" ${parsed.problem}` };
}

export function loadConfig(env: Env): AppConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const variable = String(issue.path[0] ?? '(environment)');
      const raw = env[variable];
      const shown = raw !== undefined && !SECRET_VARIABLES.has(variable) ? ` (got "${raw.slice(0, 80)}")` : '';
      return `${variable}: ${issue.message}${shown}`;
    });
    throw new ConfigValidationError(problems);
  }
  const e = parsed.data;
  const problems: string[] = [];
  const production = e.NODE_ENV === 'production';

  if ((e.BOOTSTRAP_ADMIN_EMAIL === undefined) !== (e.BOOTSTRAP_ADMIN_PASSWORD === undefined)) {
    problems.push('BOOTSTRAP_ADMIN_EMAIL and BOOTSTRAP_ADMIN_PASSWORD: set both or neither');
  }
  const smtpVars = [
    'FW_EVENT_SMTP_SERVER_PORT',
    'FW_EVENT_SMTP_SERVER_USERNAME',
    'FW_EVENT_SMTP_SERVER_PASSWORD',
    'FW_EVENT_SMTP_SERVER_PASSWORD_REF',
    'FW_EVENT_SMTP_SENDER_EMAIL',
    'FW_EVENT_SMTP_SERVER_CA_CERT',
  ] as const;
  if (e.FW_EVENT_SMTP_SERVER_ADDR === undefined) {
    const stray = smtpVars.filter((v) => e[v] !== undefined);
    if (stray.length > 0) problems.push(`FW_EVENT_SMTP_SERVER_ADDR: required when ${stray.join(', ')} is set`);
  } else if (e.FW_EVENT_SMTP_SERVER_PASSWORD !== undefined && e.FW_EVENT_SMTP_SERVER_PASSWORD_REF !== undefined) {
    problems.push('FW_EVENT_SMTP_SERVER_PASSWORD_REF: set either it or FW_EVENT_SMTP_SERVER_PASSWORD, not both');
  } else if (
    (e.FW_EVENT_SMTP_SERVER_PASSWORD !== undefined || e.FW_EVENT_SMTP_SERVER_PASSWORD_REF !== undefined) &&
    e.FW_EVENT_SMTP_SERVER_USERNAME === undefined
  ) {
    const which = e.FW_EVENT_SMTP_SERVER_PASSWORD !== undefined ? 'FW_EVENT_SMTP_SERVER_PASSWORD' : 'FW_EVENT_SMTP_SERVER_PASSWORD_REF';
    problems.push(`FW_EVENT_SMTP_SERVER_USERNAME: required when ${which} is set`);
  }
  if (e.FW_EVENT_SMTP_SERVER_PASSWORD_REF !== undefined && e.SMTP_SECRET_REFS_DIR === undefined) {
    problems.push('SMTP_SECRET_REFS_DIR: required when FW_EVENT_SMTP_SERVER_PASSWORD_REF is set (its file lives under <dir>/controller/)');
  }
  const secondaryVars = [
    'FW_EVENT_SMTP_SERVER_SECONDARY_PORT',
    'FW_EVENT_SMTP_SERVER_SECONDARY_USERNAME',
    'FW_EVENT_SMTP_SERVER_SECONDARY_PASSWORD',
  ] as const;
  if (e.FW_EVENT_SMTP_SERVER_SECONDARY_ADDR === undefined) {
    const stray = secondaryVars.filter((v) => e[v] !== undefined);
    if (stray.length > 0) problems.push(`FW_EVENT_SMTP_SERVER_SECONDARY_ADDR: required when ${stray.join(', ')} is set`);
  } else if (e.FW_EVENT_SMTP_SERVER_ADDR === undefined) {
    problems.push(
      'FW_EVENT_SMTP_SERVER_ADDR: required when FW_EVENT_SMTP_SERVER_SECONDARY_ADDR is set (a secondary route needs a primary)',
    );
  } else if (e.FW_EVENT_SMTP_SERVER_SECONDARY_PASSWORD !== undefined && e.FW_EVENT_SMTP_SERVER_SECONDARY_USERNAME === undefined) {
    problems.push('FW_EVENT_SMTP_SERVER_SECONDARY_USERNAME: required when FW_EVENT_SMTP_SERVER_SECONDARY_PASSWORD is set');
  }
  let controllerCa: string | undefined;
  if (e.FW_EVENT_SMTP_SERVER_CA_CERT !== undefined) {
    const ca = readCaCertificates('FW_EVENT_SMTP_SERVER_CA_CERT', e.FW_EVENT_SMTP_SERVER_CA_CERT);
    if ('pem' in ca) controllerCa = ca.pem;
    else problems.push(ca.problem);
  }
  if (e.MAIL_CATCHER === 'on' && production) problems.push('MAIL_CATCHER: "on" is not allowed when NODE_ENV=production');
  if (e.MAIL_CATCHER === 'on' && e.FW_EVENT_SMTP_SERVER_ADDR !== undefined) {
    problems.push('MAIL_CATCHER: "on" replaces the controller SMTP; unset FW_EVENT_SMTP_SERVER_ADDR or use MAIL_CATCHER=auto');
  }
  if (e.ELASTIC_SEARCH_FQDN === undefined && (e.ES_USER_NAME !== undefined || e.ES_PASSWORD !== undefined)) {
    problems.push('ELASTIC_SEARCH_FQDN: required when ES_USER_NAME or ES_PASSWORD is set');
  }
  if (e.ES_RETENTION_DAYS !== undefined && e.ES_ILM_POLICY === undefined) {
    problems.push('ES_ILM_POLICY: required when ES_RETENTION_DAYS is set (the policy that deletes old audit indices)');
  }
  problems.push(...natsProblems(e));
  if (production) {
    if (e.SECRETS_ENCRYPTION_KEYS === undefined) {
      problems.push('SECRETS_ENCRYPTION_KEYS: required when NODE_ENV=production (a keyring "id:base64-32-bytes")');
    }
    if (e.PUBLIC_URL === undefined) problems.push('PUBLIC_URL: required when NODE_ENV=production');
    if (e.DATABASE_URL === undefined) problems.push('DATABASE_URL: required when NODE_ENV=production');
  }
  if (problems.length > 0) throw new ConfigValidationError(problems);

  const port = e.PORT;
  const dataDir = isAbsolute(e.DATA_DIR) ? e.DATA_DIR : resolve(process.cwd(), e.DATA_DIR);
  return {
    env: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    dataDir,
    http: {
      host: e.HOST,
      port,
      publicUrl: (e.PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/+$/, ''),
      bodyLimitBytes: e.HTTP_BODY_LIMIT_BYTES,
      trustProxy: e.TRUST_PROXY,
      allowedOrigins: e.ALLOWED_ORIGINS,
      cookieSecure: e.COOKIE_SECURE,
    },
    database: {
      url: e.DATABASE_URL,
      poolMax: e.DATABASE_POOL_MAX,
      migrateOnStart: e.DATABASE_MIGRATE_ON_START,
    },
    identity: {
      sessionTtlSeconds: e.SESSION_TTL_SECONDS,
      passwordHashCost: e.PASSWORD_HASH_COST,
      loginRateLimitPerMinute: e.LOGIN_RATE_LIMIT_PER_MINUTE,
      bootstrapAdmin:
        e.BOOTSTRAP_ADMIN_EMAIL && e.BOOTSTRAP_ADMIN_PASSWORD
          ? { email: e.BOOTSTRAP_ADMIN_EMAIL, password: e.BOOTSTRAP_ADMIN_PASSWORD }
          : undefined,
      accountCreationStrategy: e.ACCOUNT_CREATION_STRATEGY,
      passwordSetupTtlHours: e.PASSWORD_SETUP_TTL_HOURS,
      passwordReset: {
        ttlMinutes: e.PASSWORD_RESET_TTL_MINUTES,
        limitPerAddress: e.PASSWORD_RESET_LIMIT_PER_ADDRESS,
        limitPerClient: e.PASSWORD_RESET_LIMIT_PER_CLIENT,
      },
    },
    controllerSmtp:
      e.FW_EVENT_SMTP_SERVER_ADDR === undefined
        ? undefined
        : {
            host: e.FW_EVENT_SMTP_SERVER_ADDR,
            port: e.FW_EVENT_SMTP_SERVER_PORT,
            username: e.FW_EVENT_SMTP_SERVER_USERNAME,
            password: e.FW_EVENT_SMTP_SERVER_PASSWORD,
            passwordRef: e.FW_EVENT_SMTP_SERVER_PASSWORD_REF,
            useTls: e.FW_EVENT_SMTP_SERVER_USE_TLS,
            useInsecure: e.FW_EVENT_SMTP_SERVER_USE_INSECURE,
            caCert: controllerCa,
            senderEmail: e.FW_EVENT_SMTP_SENDER_EMAIL,
            senderName: e.FW_EVENT_SMTP_SENDER_NAME,
            retries: e.FW_EVENT_SMTP_RETRIES,
            secondary:
              e.FW_EVENT_SMTP_SERVER_SECONDARY_ADDR === undefined
                ? undefined
                : {
                    host: e.FW_EVENT_SMTP_SERVER_SECONDARY_ADDR,
                    port: e.FW_EVENT_SMTP_SERVER_SECONDARY_PORT,
                    username: e.FW_EVENT_SMTP_SERVER_SECONDARY_USERNAME,
                    password: e.FW_EVENT_SMTP_SERVER_SECONDARY_PASSWORD,
                    useTls: e.FW_EVENT_SMTP_SERVER_SECONDARY_USE_TLS,
                    useInsecure: e.FW_EVENT_SMTP_SERVER_SECONDARY_USE_INSECURE,
                  },
          },
    // Never in production; in development only while no controller SMTP is configured.
    mailCatcher:
      e.MAIL_CATCHER === 'on' || (e.MAIL_CATCHER === 'auto' && e.NODE_ENV === 'development' && e.FW_EVENT_SMTP_SERVER_ADDR === undefined)
        ? { port: e.MAIL_CATCHER_PORT, keep: e.MAIL_CATCHER_KEEP }
        : undefined,
    elastic:
      e.ELASTIC_SEARCH_FQDN === undefined
        ? undefined
        : {
            url: e.ELASTIC_SEARCH_FQDN,
            username: e.ES_USER_NAME,
            password: e.ES_PASSWORD,
            caCertFile: e.ES_CA_CERT_FILE,
            indexPrefix: e.ES_INDEX_PREFIX,
            ilmPolicy: e.ES_ILM_POLICY,
            retentionDays: e.ES_RETENTION_DAYS,
          },
    audit: {
      retentionDays: e.AUDIT_RETENTION_DAYS,
      keepInPostgresDays: e.AUDIT_KEEP_IN_POSTGRES_DAYS,
      relay: {
        batchSize: e.AUDIT_RELAY_BATCH_SIZE,
        intervalMs: e.AUDIT_RELAY_INTERVAL_MS,
        maxBackoffMs: e.AUDIT_RELAY_MAX_BACKOFF_SECONDS * 1000,
      },
      queryMaxLimit: e.AUDIT_QUERY_MAX_LIMIT,
    },
    secretsKeyring: e.SECRETS_ENCRYPTION_KEYS,
    secretRefsDir:
      e.SMTP_SECRET_REFS_DIR === undefined
        ? undefined
        : isAbsolute(e.SMTP_SECRET_REFS_DIR)
          ? e.SMTP_SECRET_REFS_DIR
          : resolve(process.cwd(), e.SMTP_SECRET_REFS_DIR),
    egress: {
      allowedNetworks: e.SMTP_ALLOWED_NETWORKS,
      allowedPorts: e.SMTP_ALLOWED_PORTS.map(Number),
      verificationRateLimitPerMinute: e.VERIFICATION_RATE_LIMIT_PER_MINUTE,
    },
    emailDelivery: {
      retryBaseMs: e.EMAIL_RETRY_BASE_MS,
      pollIntervalMs: e.EMAIL_POLL_INTERVAL_MS,
      leaseMs: e.EMAIL_JOB_LEASE_MS,
      sendQuotaPerMinute: e.EMAIL_SEND_QUOTA_PER_MINUTE,
      sendQuotaPerHour: e.EMAIL_SEND_QUOTA_PER_HOUR,
      idempotencyTtlHours: e.EMAIL_IDEMPOTENCY_TTL_HOURS,
      logRetentionDays: e.EMAIL_LOG_RETENTION_DAYS,
      failoverAfterAttempts: e.EMAIL_FAILOVER_AFTER_ATTEMPTS,
      failoverHealthWindowMs: e.EMAIL_FAILOVER_HEALTH_WINDOW_SECONDS * 1000,
    },
    emailConfigCache: {
      ttlMs: e.EMAIL_CONFIG_CACHE_TTL_SECONDS * 1000,
      maxEntries: e.EMAIL_CONFIG_CACHE_MAX_ENTRIES,
    },
    emailNotifications: {
      controller: {
        admin: e.EMAIL_CONTROLLER_ADMIN_ADDRESS,
        alerting: e.EMAIL_CONTROLLER_ALERTING_ADDRESS,
        reporting: e.EMAIL_CONTROLLER_REPORTING_ADDRESS,
      },
      failureThreshold: e.EMAIL_ALERT_FAILURE_THRESHOLD,
      alertMinIntervalMs: e.EMAIL_ALERT_MIN_INTERVAL_SECONDS * 1000,
      reportIntervalMs: e.EMAIL_REPORT_INTERVAL,
    },
    natsIntake: natsIntakeConfig(e),
    worker: { inProcess: e.WORKER_IN_PROCESS, httpPort: e.WORKER_HTTP_PORT },
    shutdown: { drainDelayMs: e.SHUTDOWN_DRAIN_DELAY_MS, timeoutMs: e.SHUTDOWN_TIMEOUT_MS },
  };
}

const NATS_AUTH_VARS = [
  'EVENTS_NATS_USER',
  'EVENTS_NATS_PASSWORD',
  'EVENTS_NATS_TOKEN',
  'EVENTS_NATS_CREDS_FILE',
  'EVENTS_NATS_CA_FILE',
] as const;

function natsProblems(e: ParsedEnv): string[] {
  const problems: string[] = [];
  if (e.EVENTS_NATS_URL === undefined) {
    const stray = NATS_AUTH_VARS.filter((v) => e[v] !== undefined);
    if (stray.length > 0) problems.push(`EVENTS_NATS_URL: required when ${stray.join(', ')} is set`);
    return problems;
  }
  if ((e.EVENTS_NATS_USER === undefined) !== (e.EVENTS_NATS_PASSWORD === undefined)) {
    problems.push('EVENTS_NATS_USER and EVENTS_NATS_PASSWORD: set both or neither');
  }
  const methods = [e.EVENTS_NATS_USER !== undefined, e.EVENTS_NATS_TOKEN !== undefined, e.EVENTS_NATS_CREDS_FILE !== undefined];
  if (methods.filter(Boolean).length > 1) {
    problems.push('EVENTS_NATS_USER, EVENTS_NATS_TOKEN, EVENTS_NATS_CREDS_FILE: choose one way to authenticate');
  }
  for (const v of ['EVENTS_NATS_CREDS_FILE', 'EVENTS_NATS_CA_FILE'] as const) {
    const path = e[v];
    if (path !== undefined && !existsSync(path)) problems.push(`${v}: no such file (${path})`);
  }
  const subject = e.EVENTS_NATS_SUBJECT;
  const dead = e.EVENTS_NATS_DEAD_LETTER_SUBJECT;
  if (dead === subject) {
    problems.push('EVENTS_NATS_DEAD_LETTER_SUBJECT: must differ from EVENTS_NATS_SUBJECT (a rejected event would come back)');
  }
  return problems;
}

function natsIntakeConfig(e: ParsedEnv): NatsIntakeConfig | undefined {
  if (e.EVENTS_NATS_URL === undefined) return undefined;
  return {
    servers: e.EVENTS_NATS_URL.split(',').map((s) => s.trim()),
    stream: e.EVENTS_NATS_STREAM,
    subject: e.EVENTS_NATS_SUBJECT,
    consumer: e.EVENTS_NATS_CONSUMER,
    deadLetterSubject: e.EVENTS_NATS_DEAD_LETTER_SUBJECT,
    // An operator in production owns the stream's limits and replicas; elsewhere one command should just work.
    createStream: e.EVENTS_NATS_CREATE_STREAM ?? e.NODE_ENV !== 'production',
    auth:
      e.EVENTS_NATS_USER !== undefined && e.EVENTS_NATS_PASSWORD !== undefined
        ? { user: e.EVENTS_NATS_USER, password: e.EVENTS_NATS_PASSWORD }
        : e.EVENTS_NATS_TOKEN !== undefined
          ? { token: e.EVENTS_NATS_TOKEN }
          : e.EVENTS_NATS_CREDS_FILE !== undefined
            ? { credsFile: e.EVENTS_NATS_CREDS_FILE }
            : undefined,
    caFile: e.EVENTS_NATS_CA_FILE,
    ackWaitMs: e.EVENTS_NATS_ACK_WAIT_MS,
    maxAckPending: e.EVENTS_NATS_MAX_ACK_PENDING,
    concurrency: e.EVENTS_NATS_CONCURRENCY,
    retryDelayMs: e.EVENTS_NATS_RETRY_DELAY_MS,
  };
}
