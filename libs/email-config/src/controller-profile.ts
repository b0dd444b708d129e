/**
 * The controller level: FW_EVENT_SMTP_SERVER_* (seed names) plus our sender and retries variables,
 * validated at start by the same rules as the API so a bad deployment fails fast, naming the variable.
 * Read-only over the API. FW_EVENT_SMTP_SERVER_SECONDARY_* add a secondary route for failover: its own
 * server and credentials, the primary's sender and retries, and no custom CA (the system's roots).
 */
import { DomainError } from '@mailstrata/common';
import { AppConfig } from '@mailstrata/config';
import { readRefs, SecretRefReader, SecretRefs } from './secret-refs';
import { resolveCandidateCredentials } from './secret-rules';
import { validateSmtpConfig } from './smtp-config.validation';
import { SmtpSecrets, SmtpSettings } from './smtp-settings';

export interface ControllerProfile {
  settings: SmtpSettings;
  secrets: SmtpSecrets;
  /** Secrets read from `<SMTP_SECRET_REFS_DIR>/controller/` on every use (FW_EVENT_SMTP_SERVER_PASSWORD_REF). */
  refs?: SecretRefs;
  /** The secondary route (FW_EVENT_SMTP_SERVER_SECONDARY_*); absent: none. */
  secondary?: { settings: SmtpSettings; secrets: SmtpSecrets } | null;
}

const VARIABLES: Record<string, string> = {
  host: 'FW_EVENT_SMTP_SERVER_ADDR',
  port: 'FW_EVENT_SMTP_SERVER_PORT',
  username: 'FW_EVENT_SMTP_SERVER_USERNAME',
  password: 'FW_EVENT_SMTP_SERVER_PASSWORD',
  password_ref: 'FW_EVENT_SMTP_SERVER_PASSWORD_REF',
  use_tls: 'FW_EVENT_SMTP_SERVER_USE_TLS',
  use_insecure: 'FW_EVENT_SMTP_SERVER_USE_INSECURE',
  ca_cert: 'FW_EVENT_SMTP_SERVER_CA_CERT',
  sender_email: 'FW_EVENT_SMTP_SENDER_EMAIL',
  sender_name: 'FW_EVENT_SMTP_SENDER_NAME',
  retries: 'FW_EVENT_SMTP_RETRIES',
};

const SECONDARY_VARIABLES: Record<string, string> = {
  ...VARIABLES,
  host: 'FW_EVENT_SMTP_SERVER_SECONDARY_ADDR',
  port: 'FW_EVENT_SMTP_SERVER_SECONDARY_PORT',
  username: 'FW_EVENT_SMTP_SERVER_SECONDARY_USERNAME',
  password: 'FW_EVENT_SMTP_SERVER_SECONDARY_PASSWORD',
  use_tls: 'FW_EVENT_SMTP_SERVER_SECONDARY_USE_TLS',
  use_insecure: 'FW_EVENT_SMTP_SERVER_SECONDARY_USE_INSECURE',
};

export class ControllerProfileError extends Error {
  constructor(problems: string[]) {
    super(`Invalid controller SMTP configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ControllerProfileError';
  }
}

/**
 * The controller profile, or undefined when FW_EVENT_SMTP_SERVER_ADDR is unset. A password reference
 * must resolve at start to a readable file inside `<SMTP_SECRET_REFS_DIR>/controller/` (it is read again
 * on every use, so a rotation needs no restart).
 */
export function controllerProfileFrom(
  config: Pick<AppConfig, 'controllerSmtp'> & Partial<Pick<AppConfig, 'secretRefsDir'>>,
): ControllerProfile | undefined {
  const env = config.controllerSmtp;
  if (!env) return undefined;
  const refReader = new SecretRefReader(config.secretRefsDir);
  const primary = validated(rawProfile(env, env), VARIABLES, refReader);
  if (!env.secondary) return primary;
  // The secondary has its own server and credentials; sender and retries are the primary's.
  const { settings, secrets } = validated(rawProfile(env.secondary, env), SECONDARY_VARIABLES, refReader);
  return { ...primary, secondary: { settings, secrets } };
}

type ControllerSmtpEnv = NonNullable<AppConfig['controllerSmtp']>;

/** One route's variables as an `smtp_config` body (what is unset stays absent, so the defaults apply). */
function rawProfile(
  server: Pick<ControllerSmtpEnv, 'host' | 'useTls' | 'useInsecure' | 'port' | 'username' | 'password'> &
    Partial<Pick<ControllerSmtpEnv, 'passwordRef' | 'caCert'>>,
  shared: Pick<ControllerSmtpEnv, 'retries' | 'senderEmail' | 'senderName'>,
): Record<string, unknown> {
  const optional: Record<string, unknown> = {
    port: server.port,
    username: server.username,
    password: server.password,
    password_ref: server.passwordRef,
    ca_cert: server.caCert,
    sender_email: shared.senderEmail,
    sender_name: shared.senderName,
  };
  return {
    host: server.host,
    use_tls: server.useTls,
    use_insecure: server.useInsecure,
    retries: shared.retries,
    ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)),
  };
}

function validated(raw: Record<string, unknown>, variables: Record<string, string>, refReader: SecretRefReader): ControllerProfile {
  const problems = (errors: ReadonlyArray<{ field: string; message: string }>) =>
    errors.map((e) => `${variableOf(e.field, variables)}: ${e.message}`);
  try {
    const candidate = validateSmtpConfig(raw, 'env');
    const { secrets, refs } = resolveCandidateCredentials(candidate, null, 'env');
    const read = readRefs(refReader, { kind: 'controller' }, refs, 'env');
    if (read.errors.length > 0) throw new ControllerProfileError(problems(read.errors));
    return { settings: candidate.settings, secrets, refs };
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    throw new ControllerProfileError(problems(error.errors));
  }
}

function variableOf(field: string, variables: Record<string, string>): string {
  const name = field.replace(/^env\./, '');
  return variables[name] ?? name;
}
