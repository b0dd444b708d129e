/**
 * The mailer's own description of where and how to send. The delivery library maps a resolved profile
 * (with decrypted secrets) into this shape, so the mailer never depends on how profiles are stored, and
 * a profile from any level looks the same here.
 */
export type TlsMode = 'none' | 'starttls' | 'implicit';

export interface OAuth2ClientCredentials {
  tokenEndpoint: string;
  clientId: string;
  clientSecret: string;
  scope?: string;
  audience?: string;
  requestHeaders?: { name: string; value: string }[];
}

export type SmtpAuth =
  | { type: 'none' }
  | { type: 'basic'; username: string; password: string }
  /** XOAUTH2 as `username` (the sender account when absent) with a client-credentials token. */
  | ({ type: 'oauth2'; username?: string } & OAuth2ClientCredentials);

export interface SmtpTarget {
  /** Identifies the profile (e.g. `partner:<id>`); one pooled transport per key. */
  cacheKey: string;
  /** Changes whenever the profile changes; a new version closes the previous pooled transport. */
  version: string;
  /**
   * A digest of secrets read from files (secret references), which change without a new version when
   * the file is rotated: a new digest also closes the previous pooled transport. Never shown.
   */
  secretsDigest?: string;
  host: string;
  port: number;
  tlsMode: TlsMode;
  /** Certificate checks off (`use_insecure`): visible in the profile and in audit events. */
  insecure: boolean;
  caCert?: string;
  clientCert?: string;
  clientKey?: string;
  auth: SmtpAuth;
  sender: { email: string; name?: string };
  /** Further attempts after the first for durable delivery (0–10). */
  retries: number;
  /**
   * Whether the egress guard applies. False only for the operator's own env profile, which is
   * trusted; partner and org profiles are always guarded.
   */
  guarded: boolean;
}

export function authUsername(target: SmtpTarget): string | undefined {
  const auth = target.auth;
  if (auth.type === 'basic') return auth.username;
  if (auth.type === 'oauth2') return auth.username ?? target.sender.email;
  return undefined;
}
