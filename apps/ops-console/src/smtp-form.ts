/**
 * The SMTP profile form's model: the API's `smtp_config` view ⇄ form state, provider presets, the
 * payload for save and for an unsaved test, and which secrets must be typed again because a field
 * they are bound to changed (the API would answer SECRET_REQUIRED otherwise).
 */
import { keepSecret, SecretState } from './components/secret-field';

export type TlsMode = 'none' | 'starttls' | 'implicit';
export type AuthType = 'none' | 'basic' | 'oauth2';

export interface SmtpConfigView {
  host: string;
  port: number;
  use_tls: boolean;
  tls_mode: TlsMode;
  use_insecure: boolean;
  retries: number;
  auth_type: AuthType;
  username: string | null;
  sender_email: string | null;
  sender_name: string | null;
  ca_cert: string | null;
  client_cert: string | null;
  oauth2: {
    token_endpoint: string;
    client_id: string;
    scope: string | null;
    audience: string | null;
    request_headers: { name: string; value: string }[];
  } | null;
  password_set: boolean;
  client_secret_set: boolean;
  client_key_set: boolean;
}

export interface ProfileHealth {
  last_success_at: string | null;
  last_failure_at: string | null;
  last_failure: { stage: string | null; smtp_code: number | null; code: string | null } | null;
}

export interface ProfileView {
  email_config: {
    smtp_config: SmtpConfigView;
    health?: ProfileHealth;
    metadata: {
      id: string;
      scope: 'partner' | 'org';
      partner_id: string;
      org_id: string | null;
      version: number;
      etag: string;
      created_at: string;
      updated_at: string;
      updated_by: { id: string; email: string };
    };
  };
}

export interface EffectiveView {
  source: 'org' | 'partner' | 'controller';
  scope: { level: string; partner_id: string; org_id: string | null };
  profile: { id: string; partner_id: string; org_id: string | null; version: number } | null;
  email_config: { smtp_config: SmtpConfigView };
}

export interface SmtpForm {
  host: string;
  port: string;
  tlsMode: TlsMode;
  useInsecure: boolean;
  retries: string;
  authType: AuthType;
  username: string;
  senderEmail: string;
  senderName: string;
  caCert: string;
  clientCert: string;
  tokenEndpoint: string;
  clientId: string;
  scope: string;
  audience: string;
  requestHeaders: { name: string; value: string }[];
  password: SecretState;
  clientSecret: SecretState;
  clientKey: SecretState;
}

export const emptyForm = (): SmtpForm => ({
  host: '',
  port: '587',
  tlsMode: 'starttls',
  useInsecure: false,
  retries: '3',
  authType: 'basic',
  username: '',
  senderEmail: '',
  senderName: '',
  caCert: '',
  clientCert: '',
  tokenEndpoint: '',
  clientId: '',
  scope: '',
  audience: '',
  requestHeaders: [],
  password: keepSecret(),
  clientSecret: keepSecret(),
  clientKey: keepSecret(),
});

export function formOf(c: SmtpConfigView): SmtpForm {
  return {
    host: c.host,
    port: String(c.port),
    tlsMode: c.tls_mode,
    useInsecure: c.use_insecure,
    retries: String(c.retries),
    authType: c.auth_type,
    username: c.username ?? '',
    senderEmail: c.sender_email ?? '',
    senderName: c.sender_name ?? '',
    caCert: c.ca_cert ?? '',
    clientCert: c.client_cert ?? '',
    tokenEndpoint: c.oauth2?.token_endpoint ?? '',
    clientId: c.oauth2?.client_id ?? '',
    scope: c.oauth2?.scope ?? '',
    audience: c.oauth2?.audience ?? '',
    requestHeaders: c.oauth2?.request_headers.map((h) => ({ ...h })) ?? [],
    password: keepSecret(),
    clientSecret: keepSecret(),
    clientKey: keepSecret(),
  };
}

export interface Preset {
  id: string;
  label: string;
  host: string;
  port: number;
  tlsMode: TlsMode;
  authType: AuthType;
  username?: string;
  note: string;
}

export const PRESETS: readonly Preset[] = [
  {
    id: 'gmail',
    label: 'Gmail / Google Workspace',
    host: 'smtp.gmail.com',
    port: 587,
    tlsMode: 'starttls',
    authType: 'basic',
    note: 'Use the full address as username and an app password (or OAuth2 with XOAUTH2).',
  },
  {
    id: 'm365',
    label: 'Microsoft 365',
    host: 'smtp.office365.com',
    port: 587,
    tlsMode: 'starttls',
    authType: 'oauth2',
    note: 'Exchange Online wants OAuth2: token endpoint https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token, scope https://outlook.office365.com/.default, the mailbox as username.',
  },
  {
    id: 'ses',
    label: 'Amazon SES',
    host: 'email-smtp.us-east-1.amazonaws.com',
    port: 587,
    tlsMode: 'starttls',
    authType: 'basic',
    note: 'Change the region in the host; the username and password are SES SMTP credentials, not IAM keys.',
  },
  {
    id: 'sendgrid',
    label: 'SendGrid',
    host: 'smtp.sendgrid.net',
    port: 587,
    tlsMode: 'starttls',
    authType: 'basic',
    username: 'apikey',
    note: 'The username is literally "apikey"; the password is the API key.',
  },
  {
    id: 'mailgun',
    label: 'Mailgun',
    host: 'smtp.mailgun.org',
    port: 587,
    tlsMode: 'starttls',
    authType: 'basic',
    note: 'Use the domain’s SMTP login (postmaster@your-domain) and its password; smtp.eu.mailgun.org for EU domains.',
  },
];

export function applyPreset(form: SmtpForm, preset: Preset): SmtpForm {
  return {
    ...form,
    host: preset.host,
    port: String(preset.port),
    tlsMode: preset.tlsMode,
    authType: preset.authType,
    useInsecure: false,
    ...(preset.username ? { username: preset.username } : {}),
  };
}

export const DEFAULT_PORT: Record<TlsMode, string> = { none: '25', starttls: '587', implicit: '465' };

const trimmed = (v: string) => (v.trim() === '' ? null : v.trim());

/** Fields whose change unbinds each stored secret (the API's rule, plus what a CA or TLS change implies). */
const BINDINGS: Record<'password' | 'clientSecret' | 'clientKey', (keyof SmtpForm)[]> = {
  password: ['host', 'port', 'username', 'tlsMode', 'useInsecure', 'caCert', 'authType'],
  clientSecret: ['host', 'port', 'username', 'tlsMode', 'useInsecure', 'caCert', 'authType', 'tokenEndpoint', 'clientId'],
  clientKey: ['host', 'port', 'tlsMode', 'useInsecure', 'caCert', 'clientCert'],
};

const FIELD_WORDS: Partial<Record<keyof SmtpForm, string>> = {
  host: 'host',
  port: 'port',
  username: 'username',
  tlsMode: 'TLS mode',
  useInsecure: 'certificate checking',
  caCert: 'CA certificate',
  authType: 'authentication type',
  tokenEndpoint: 'token endpoint',
  clientId: 'client ID',
  clientCert: 'client certificate',
};

/**
 * Why `secret` must be typed again, or null. Only for a secret that is stored and in use: the saved
 * one is never sent to a destination other than the one it was saved for.
 */
export function secretRequiredBecause(
  secret: keyof typeof BINDINGS,
  form: SmtpForm,
  saved: SmtpForm | null,
  isSet: boolean,
): string | null {
  if (!saved || !isSet) return null;
  const changed = BINDINGS[secret].filter((k) => String(form[k]).trim() !== String(saved[k]).trim());
  if (changed.length === 0) return null;
  const words = changed.map((k) => FIELD_WORDS[k] ?? k).join(', ');
  return `You changed the ${words}: enter it again. A stored secret never follows a profile to another server.`;
}

/** The `smtp_config` body for POST and for an unsaved test. Stored secrets are omitted unless replaced. */
export function payloadOf(form: SmtpForm): Record<string, unknown> {
  const port = Number(form.port);
  const retries = Number(form.retries);
  const body: Record<string, unknown> = {
    host: form.host.trim(),
    port: form.port.trim() === '' || Number.isNaN(port) ? form.port : port,
    tls_mode: form.tlsMode,
    use_insecure: form.useInsecure,
    retries: form.retries.trim() === '' || Number.isNaN(retries) ? form.retries : retries,
    auth_type: form.authType,
    sender_email: trimmed(form.senderEmail),
    sender_name: trimmed(form.senderName),
    ca_cert: trimmed(form.caCert),
    client_cert: trimmed(form.clientCert),
  };
  if (form.clientCert.trim() && form.clientKey.replacing && form.clientKey.value.trim()) body.client_key = form.clientKey.value;
  if (form.authType !== 'none') body.username = trimmed(form.username);
  if (form.authType === 'basic' && form.password.replacing && form.password.value !== '') body.password = form.password.value;
  if (form.authType === 'oauth2') {
    const oauth2: Record<string, unknown> = {
      token_endpoint: form.tokenEndpoint.trim(),
      client_id: form.clientId.trim(),
      scope: trimmed(form.scope),
      audience: trimmed(form.audience),
      request_headers: form.requestHeaders
        .filter((h) => h.name.trim() || h.value.trim())
        .map((h) => ({ name: h.name.trim(), value: h.value })),
    };
    if (form.clientSecret.replacing && form.clientSecret.value !== '') oauth2.client_secret = form.clientSecret.value;
    body.oauth2 = oauth2;
  }
  return body;
}

/** Form keys for the API's field paths (after `email_config.smtp_config.` or `smtp_config.`). */
export const FIELD_OF_PATH: Record<string, string> = {
  host: 'host',
  port: 'port',
  tls_mode: 'tlsMode',
  use_tls: 'tlsMode',
  use_insecure: 'useInsecure',
  retries: 'retries',
  auth_type: 'authType',
  username: 'username',
  password: 'password',
  sender_email: 'senderEmail',
  sender_name: 'senderName',
  ca_cert: 'caCert',
  client_cert: 'clientCert',
  client_key: 'clientKey',
  oauth2: 'tokenEndpoint',
  'oauth2.token_endpoint': 'tokenEndpoint',
  'oauth2.client_id': 'clientId',
  'oauth2.client_secret': 'clientSecret',
  'oauth2.scope': 'scope',
  'oauth2.audience': 'audience',
  'oauth2.request_headers': 'requestHeaders',
};

export function formErrorsOf(apiErrors: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [path, message] of Object.entries(apiErrors)) {
    const key = FIELD_OF_PATH[path] ?? (path.startsWith('oauth2.request_headers') ? 'requestHeaders' : '_form');
    out[key] ??= message;
  }
  return out;
}
