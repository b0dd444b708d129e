/**
 * OAuth2 client-credentials tokens for XOAUTH2. Tokens are cached per credential set until shortly
 * before they expire, and concurrent requests for the same credentials share one fetch, so a burst of
 * sends costs one token request. For guarded profiles the token endpoint goes through the egress guard
 * too (it is a URL an admin typed), and the request connects to the checked address.
 *
 * Never logged or returned: the client secret and the tokens. Errors carry the endpoint's HTTP status
 * and its OAuth2 `error` code only.
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

interface CachedToken {
  token: string;
  expiresAt: number;
}

export class OAuth2TokenClient {
  private readonly cache = new Map<string, CachedToken>();
  private readonly inflight = new Map<string, Promise<CachedToken>>();

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
    return fresh.token;
  }

  clear(): void {
    this.cache.clear();
  }

  private async fetchToken(credentials: OAuth2ClientCredentials, egress: EgressPolicy | undefined): Promise<CachedToken> {
    let url: URL;
    try {
      url = new URL(credentials.tokenEndpoint);
    } catch {
      throw tokenError(null, 'the token endpoint is not a URL');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw tokenError(null, 'the token endpoint must be an https URL');
    const pinned = egress ? await egress.checkUrl(url) : undefined;

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
      const oauthError = typeof json.error === 'string' && /^[\w.-]{1,64}$/.test(json.error) ? json.error : null;
      throw tokenError(
        status,
        oauthError ? `the token endpoint answered ${status} ${oauthError}` : `the token endpoint answered ${status}`,
      );
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

function tokenError(status: number | null, text: string): SmtpDeliveryError {
  // 5xx and 429 from the identity provider are worth retrying; 4xx (bad client, bad scope) is not.
  const transient = status === null ? false : status >= 500 || status === 429;
  return new SmtpDeliveryError(failure('OAUTH_TOKEN', null, text, transient));
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
          if (size > MAX_RESPONSE_BYTES) req.destroy(new Error('token response too large'));
          else chunks.push(chunk);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', () => reject(tokenError(null, 'the token endpoint connection failed')));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error: Error) => {
      const transient = true;
      const text = /timeout/i.test(error.message) ? 'the token endpoint did not answer in time' : 'the token endpoint could not be reached';
      reject(new SmtpDeliveryError(failure('OAUTH_TOKEN', null, text, transient)));
    });
    req.end(body);
  });
}
