/**
 * OAuth2 client-credentials tokens for XOAUTH2. Tokens are cached per credential set until shortly
 * before they expire, and concurrent requests for the same credentials share one fetch, so a burst of
 * sends costs one token request. For guarded profiles the token endpoint goes through the egress guard
 * too (it is a URL an admin typed), and the request connects to the checked address.
 *
 * Never logged or returned: the client secret, the request header values and the tokens. Errors carry
 * the endpoint's HTTP status and its OAuth2 `error` code only, and only when that code is one of RFC 6749
 * §5.2's: an endpoint (or a proxy in front of it) may put anything in `error`, including what it was
 * sent. `error_description` is never repeated.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { EgressPolicy } from './egress-guard';
import { failure, SmtpDeliveryError } from './smtp-failure';
import { OAuth2ClientCredentials } from './smtp-target';

const DEFAULT_LIFETIME_S = 3600;
/** Renew this long before expiry (at most), so a token never expires mid-conversation. */
const EARLY_RENEW_MS = 60_000;
const REQUEST_TIMEOUT_MS = 10_000;
const MAX_RESPONSE_BYTES = 64 * 1024;
const TOO_LARGE = 'token response too large';

/** RFC 6749 §5.2: the only `error` values passed on; anything else becomes `unrecognized_error`. */
export const OAUTH2_ERROR_CODES: ReadonlySet<string> = new Set([
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
]);

/** Hints by what went wrong: the fix for an endpoint nobody reaches is not the fix for refused credentials. */
export const TOKEN_HINTS = {
  config: 'token_endpoint is not a usable http(s) URL; check the OAuth2 settings.',
  unreachable:
    "The token endpoint could not be reached (name lookup, connection, timeout or TLS); check token_endpoint's host and port, and that this installation can reach it.",
  refused:
    'The token endpoint refused the client credentials request; check client_id, client_secret, scope, audience and request_headers.',
  unavailable: 'The token endpoint had a temporary problem (HTTP 5xx or 429); a later attempt may succeed.',
  badAnswer:
    'The token endpoint answered without an access token; check that token_endpoint is the OAuth2 token URL of the identity provider.',
} as const;

/** Tokens remembered per credential set after they leave the cache, so a reply that echoes one can be redacted. */
const TOKEN_HISTORY = 3;

interface CachedToken {
  token: string;
  expiresAt: number;
}

export class OAuth2TokenClient {
  private readonly cache = new Map<string, CachedToken>();
  private readonly inflight = new Map<string, Promise<CachedToken>>();
  private readonly recent = new Map<string, string[]>();

  constructor(private readonly now: () => number = Date.now) {}

  /** A valid access token; `renew` forces a new one (the SMTP server refused the cached token). */
  async getToken(credentials: OAuth2ClientCredentials, egress: EgressPolicy | undefined, renew = false): Promise<string> {
    const key = cacheKey(credentials);
    if (!renew) {
      const cached = this.cache.get(key);
      if (cached && cached.expiresAt > this.now()) return cached.token;
    } else {
      this.cache.delete(key);
    }
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = this.fetchToken(credentials, egress).finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    const fresh = await pending;
    this.cache.set(key, fresh);
    const history = this.recent.get(key) ?? [];
    if (!history.includes(fresh.token)) this.recent.set(key, [fresh.token, ...history].slice(0, TOKEN_HISTORY));
    return fresh.token;
  }

  /**
   * The last tokens issued for these credentials (for redaction only: an SMTP server that echoes what it
   * received on a failed XOAUTH2 hands the token back).
   */
  recentTokens(credentials: OAuth2ClientCredentials): readonly string[] {
    return this.recent.get(cacheKey(credentials)) ?? [];
  }

  clear(): void {
    this.cache.clear();
    this.recent.clear();
  }

  private async fetchToken(credentials: OAuth2ClientCredentials, egress: EgressPolicy | undefined): Promise<CachedToken> {
    let url: URL;
    try {
      url = new URL(credentials.tokenEndpoint);
    } catch {
      throw tokenError(null, 'the token endpoint is not a URL', TOKEN_HINTS.config);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw tokenError(null, 'the token endpoint must be an https URL', TOKEN_HINTS.config);
    }
    let pinned: Awaited<ReturnType<EgressPolicy['checkUrl']>> | undefined;
    try {
      pinned = egress ? await egress.checkUrl(url) : undefined;
    } catch (error) {
      // The guard's DNS failure speaks of "the SMTP host"; here it is the token endpoint's name.
      if (error instanceof SmtpDeliveryError && error.stage === 'DNS') {
        throw new SmtpDeliveryError(
          failure('OAUTH_TOKEN', null, 'the token endpoint host name does not resolve', error.failure.transient, TOKEN_HINTS.unreachable),
        );
      }
      throw error;
    }

    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: credentials.clientId,
      client_secret: credentials.clientSecret,
    });
    if (credentials.scope) form.set('scope', credentials.scope);
    if (credentials.audience) form.set('audience', credentials.audience);
    const headers: Record<string, string> = {};
    for (const h of credentials.requestHeaders ?? []) headers[h.name] = h.value;
    headers['content-type'] = 'application/x-www-form-urlencoded';
    headers.accept = 'application/json';

    const started = this.now();
    const { status, body } = await post(url, form.toString(), headers, pinned?.address);
    let json: { access_token?: unknown; expires_in?: unknown; error?: unknown } = {};
    try {
      json = JSON.parse(body) as typeof json;
    } catch {
      // handled below: no token
    }
    if (status < 200 || status >= 300 || typeof json.access_token !== 'string' || json.access_token === '') {
      const given = typeof json === 'object' && json !== null && typeof json.error === 'string' ? json.error : null;
      const oauthError = given === null ? null : OAUTH2_ERROR_CODES.has(given) ? given : 'unrecognized_error';
      const text = oauthError ? `the token endpoint answered ${status} ${oauthError}` : `the token endpoint answered ${status}`;
      const hint =
        status >= 500 || status === 429
          ? TOKEN_HINTS.unavailable
          : status >= 400 && oauthError
            ? TOKEN_HINTS.refused
            : TOKEN_HINTS.badAnswer;
      throw tokenError(status, text, hint);
    }
    const lifetimeMs = (typeof json.expires_in === 'number' && json.expires_in > 0 ? json.expires_in : DEFAULT_LIFETIME_S) * 1000;
    const early = Math.min(EARLY_RENEW_MS, lifetimeMs / 10);
    return { token: json.access_token, expiresAt: started + lifetimeMs - early };
  }
}

function cacheKey(c: OAuth2ClientCredentials): string {
  // The secret is part of the key (a changed secret must not reuse a token) but only as a hash.
  return createHash('sha256')
    .update(JSON.stringify([c.tokenEndpoint, c.clientId, c.clientSecret, c.scope ?? '', c.audience ?? '', c.requestHeaders ?? []]))
    .digest('base64url');
}

function tokenError(status: number | null, text: string, hint: string): SmtpDeliveryError {
  // 5xx and 429 from the identity provider are worth retrying; 4xx (bad client, bad scope) is not.
  const transient = status === null ? false : status >= 500 || status === 429;
  return new SmtpDeliveryError(failure('OAUTH_TOKEN', null, text, transient, hint));
}

function post(
  url: URL,
  body: string,
  headers: Record<string, string>,
  address: string | undefined,
): Promise<{ status: number; body: string }> {
  const lookup: LookupFunction | undefined = address
    ? (_host, options, callback) => {
        const family = address.includes(':') ? 6 : 4;
        if ((options as { all?: boolean }).all)
          (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address, family }]);
        else callback(null, address, family);
      }
    : undefined;
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(
      url,
      { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, lookup, timeout: REQUEST_TIMEOUT_MS },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) req.destroy(new Error(TOO_LARGE));
          else chunks.push(chunk);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', () =>
          reject(
            new SmtpDeliveryError(failure('OAUTH_TOKEN', null, 'the token endpoint connection failed', true, TOKEN_HINTS.unreachable)),
          ),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error: Error) => {
      if (error.message === TOO_LARGE) {
        reject(new SmtpDeliveryError(failure('OAUTH_TOKEN', null, 'the token endpoint answer is too large', false, TOKEN_HINTS.badAnswer)));
        return;
      }
      const text = /timeout/i.test(error.message) ? 'the token endpoint did not answer in time' : 'the token endpoint could not be reached';
      reject(new SmtpDeliveryError(failure('OAUTH_TOKEN', null, text, true, TOKEN_HINTS.unreachable)));
    });
    req.end(body);
  });
}
