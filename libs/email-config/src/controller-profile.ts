/**
 * The controller level: FW_EVENT_SMTP_SERVER_* (seed names) plus our sender and retries variables,
 * validated at start by the same rules as the API so a bad deployment fails fast, naming the variable.
 * Read-only over the API.
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
  const raw: Record<string, unknown> = {
    host: env.host,
    use_tls: env.useTls,
    use_insecure: env.useInsecure,
    retries: env.retries,
  };
  if (env.port !== undefined) raw.port = env.port;
  if (env.username !== undefined) raw.username = env.username;
  if (env.password !== undefined) raw.password = env.password;
  if (env.passwordRef !== undefined) raw.password_ref = env.passwordRef;
  if (env.caCert !== undefined) raw.ca_cert = env.caCert;
  if (env.senderEmail !== undefined) raw.sender_email = env.senderEmail;
  if (env.senderName !== undefined) raw.sender_name = env.senderName;
  try {
    const candidate = validateSmtpConfig(raw, 'env');
    const { secrets, refs } = resolveCandidateCredentials(candidate, null, 'env');
    const read = readRefs(new SecretRefReader(config.secretRefsDir), { kind: 'controller' }, refs, 'env');
    if (read.errors.length > 0) throw new ControllerProfileError(read.errors.map((e) => `${variableOf(e.field)}: ${e.message}`));
    return { settings: candidate.settings, secrets, refs };
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    throw new ControllerProfileError(error.errors.map((e) => `${variableOf(e.field)}: ${e.message}`));
  }
}

function variableOf(field: string): string {
  const name = field.replace(/^env\./, '');
  return VARIABLES[name] ?? name;
}
