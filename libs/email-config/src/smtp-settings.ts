/**
 * The SMTP profile as the domain sees it: non-secret settings, and secrets kept apart so that nothing
 * built from `SmtpSettings` (views, audit details, logs) can ever carry one.
 */
import type { SecretRefInputs } from './secret-refs';

export const TLS_MODES = ['none', 'starttls', 'implicit'] as const;
export type TlsMode = (typeof TLS_MODES)[number];
export const AUTH_TYPES = ['none', 'basic', 'oauth2'] as const;
export type AuthType = (typeof AUTH_TYPES)[number];

export interface OAuth2Settings {
  tokenEndpoint: string;
  clientId: string;
  scope: string | null;
  audience: string | null;
  /**
   * Names of the extra token-request headers. Their values are secrets (often API keys): they live in
   * `SmtpSecrets.requestHeaders`, encrypted, write-only, bound to the token endpoint like client_secret.
   */
  requestHeaderNames: string[];
}

/** One extra header of the token request (its value is a secret). */
export interface RequestHeader {
  name: string;
  value: string;
}

export interface SmtpSettings {
  host: string;
  port: number;
  tlsMode: TlsMode;
  /** Skip certificate verification (the seed's `use_insecure`). */
  useInsecure: boolean;
  retries: number;
  authType: AuthType;
  username: string | null;
  senderEmail: string | null;
  senderName: string | null;
  caCert: string | null;
  clientCert: string | null;
  oauth2: OAuth2Settings | null;
}

export const SECRET_FIELDS = ['password', 'client_secret', 'client_key', 'request_headers'] as const;
export type SecretField = (typeof SECRET_FIELDS)[number];

/** Decrypted secrets, for internal use only (delivery and verification). */
export interface SmtpSecrets {
  password: string | null;
  clientSecret: string | null;
  clientKey: string | null;
  /** The OAuth2 token request's extra headers, names and values; null when there are none. */
  requestHeaders: RequestHeader[] | null;
}

/** Secrets as a request gives them: omitted (undefined) keeps the stored one if allowed, null clears. */
export interface SecretInputs {
  password?: string | null;
  clientSecret?: string | null;
  clientKey?: string | null;
  requestHeaders?: RequestHeader[] | null;
}

/** A validated but not yet saved `smtp_config`. */
export interface SmtpCandidate {
  settings: SmtpSettings;
  secrets: SecretInputs;
  /** Secret references as given (`password_ref`…): omitted keeps the stored one if allowed, null clears. */
  refs?: SecretRefInputs;
}

export const NO_SECRETS: SmtpSecrets = Object.freeze({ password: null, clientSecret: null, clientKey: null, requestHeaders: null });

export function useTlsOf(settings: Pick<SmtpSettings, 'tlsMode'>): boolean {
  return settings.tlsMode !== 'none';
}

export function defaultPortFor(tlsMode: TlsMode): number {
  return tlsMode === 'implicit' ? 465 : tlsMode === 'starttls' ? 587 : 25;
}

/**
 * The fields a stored secret is tied to: if any differs, the secret does not follow the profile. They are
 * everything that decides who receives a secret (host, port, token endpoint, the account it is for) and
 * how that peer is checked before it gets it (TLS mode, certificate checks, trusted CA, our client
 * certificate): turning `use_insecure` on or trusting another CA would otherwise let a stored password
 * be handed to an impostor without the admin ever knowing it.
 */
export const DESTINATION_FIELDS = [
  'host',
  'port',
  'tls_mode',
  'use_insecure',
  'ca_cert',
  'client_cert',
  'auth_type',
  'username',
  'oauth2.token_endpoint',
  'oauth2.client_id',
] as const;

export function destinationOf(s: SmtpSettings): string {
  return JSON.stringify([
    s.host.toLowerCase(),
    s.port,
    s.tlsMode,
    s.useInsecure,
    s.caCert,
    s.clientCert,
    s.authType,
    s.username,
    s.oauth2?.tokenEndpoint ?? null,
    s.oauth2?.clientId ?? null,
  ]);
}
