/**
 * Validation of an `smtp_config` object, shared by POST, PATCH (after merging) and the verification
 * endpoint's unsaved candidate, so all three accept exactly the same thing. Errors are collected (not
 * thrown one at a time) and name the dotted field and the rule; they never echo a submitted value.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { FieldError, validationFailed } from '@mailstrata/common';
import { isEmail } from 'class-validator';
import {
  AUTH_TYPES,
  AuthType,
  defaultPortFor,
  OAuth2Settings,
  RequestHeader,
  SecretInputs,
  SmtpCandidate,
  SmtpSettings,
  TLS_MODES,
  TlsMode,
} from './smtp-settings';

export const SMTP_CONFIG_PATH = 'email_config.smtp_config';

const TOP_FIELDS = new Set([
  'username',
  'password',
  'host',
  'port',
  'use_tls',
  'use_insecure',
  'retries',
  'sender_email',
  'sender_name',
  'tls_mode',
  'ca_cert',
  'client_cert',
  'client_key',
  'auth_type',
  'oauth2',
]);
const OAUTH2_FIELDS = new Set(['token_endpoint', 'client_id', 'client_secret', 'scope', 'audience', 'request_headers']);
const HEADER_FIELDS = new Set(['name', 'value']);

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;
const HOST_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/;
const PEM_MAX = 64 * 1024;
const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

export function isHostname(value: string): boolean {
  if (isIP(value) !== 0) return true;
  if (value.length > 253) return false;
  const labels = value.split('.');
  // A bare number is not a hostname (and "1.2.3" must not pass as one).
  if (labels.every((l) => /^\d+$/.test(l))) return false;
  return labels.every((l) => HOST_LABEL.test(l));
}

/** The certificates in a PEM text, or undefined if it is not a clean sequence of parseable certificates. */
export function parseCertificates(pem: string): X509Certificate[] | undefined {
  const blocks = pem.match(CERT_BLOCK) ?? [];
  if (blocks.length === 0 || pem.replace(CERT_BLOCK, '').trim() !== '') return undefined;
  try {
    return blocks.map((b) => new X509Certificate(b));
  } catch {
    return undefined;
  }
}

function isPrivateKeyPem(pem: string): boolean {
  if (!/^\s*-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) return false;
  try {
    createPrivateKey(pem);
    return true;
  } catch {
    return false;
  }
}

type Raw = Record<string, unknown>;

class Checker {
  readonly errors: FieldError[] = [];
  constructor(private readonly base: string) {}

  fail(field: string, rule: string, message: string): undefined {
    this.errors.push({ field: `${this.base}.${field}`, rule, message });
    return undefined;
  }

  object(raw: unknown, field: string, allowed: Set<string>): Raw | undefined {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return this.fail(field, 'isObject', 'must be an object');
    for (const key of Object.keys(raw))
      if (!allowed.has(key)) this.fail(field ? `${field}.${key}` : key, 'unknown_field', 'is not a known field');
    return raw as Raw;
  }

  /** A single-line string (no control characters: these fields end up in SMTP commands or headers). */
  line(raw: Raw, key: string, field: string, max: number, required: boolean): string | null | undefined {
    const v = raw[key];
    if (v === undefined || v === null) return required ? this.fail(field, 'required', 'is required') : null;
    if (typeof v !== 'string') return this.fail(field, 'isString', 'must be a string');
    const t = v.trim();
    if (t === '') return required ? this.fail(field, 'required', 'must not be empty') : null;
    if (t.length > max) return this.fail(field, 'maxLength', `must be at most ${max} characters`);
    if (CONTROL.test(t)) return this.fail(field, 'noControlCharacters', 'must not contain line breaks or control characters');
    return t;
  }

  bool(raw: Raw, key: string, field: string): boolean | undefined {
    const v = raw[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') return this.fail(field, 'isBoolean', 'must be true or false');
    return v;
  }

  int(raw: Raw, key: string, field: string, min: number, max: number): number | undefined {
    const v = raw[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v)) return this.fail(field, 'isInt', 'must be an integer');
    if (v < min) return this.fail(field, 'min', `must be at least ${min}`);
    if (v > max) return this.fail(field, 'max', `must be at most ${max}`);
    return v;
  }

  oneOf<T extends string>(raw: Raw, key: string, field: string, values: readonly T[]): T | undefined {
    const v = raw[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string' || !(values as readonly string[]).includes(v))
      return this.fail(field, 'isIn', `must be one of ${values.join(', ')}`);
    return v as T;
  }

  /** A secret: string (set), null (clear) or absent (keep if allowed). Never trimmed, never echoed. */
  secret(raw: Raw, key: string, field: string, max: number): string | null | undefined {
    const v = raw[key];
    if (v === undefined || v === null) return v;
    if (typeof v !== 'string') return this.fail(field, 'isString', 'must be a string or null');
    if (v === '') return this.fail(field, 'required', 'must not be empty (send null to clear it)');
    if (v.length > max) return this.fail(field, 'maxLength', `must be at most ${max} characters`);
    if (v.includes('\u0000')) return this.fail(field, 'noControlCharacters', 'must not contain NUL characters');
    return v;
  }

  pem(raw: Raw, key: string, field: string): string | null | undefined {
    const v = raw[key];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'string') return this.fail(field, 'isString', 'must be a string');
    if (v.length > PEM_MAX) return this.fail(field, 'maxLength', `must be at most ${PEM_MAX} characters`);
    if (!parseCertificates(v)) return this.fail(field, 'isPemCertificate', 'must be one or more PEM certificates that parse');
    return v.trim();
  }
}

interface ParsedOAuth2 {
  settings: OAuth2Settings | undefined;
  clientSecret: string | null | undefined;
  /** A secret like client_secret: absent keeps the stored headers (if allowed), null or [] clears them. */
  requestHeaders: RequestHeader[] | null | undefined;
}

function parseOAuth2(c: Checker, raw: unknown): ParsedOAuth2 {
  const o = c.object(raw, 'oauth2', OAUTH2_FIELDS);
  if (!o) return { settings: undefined, clientSecret: undefined, requestHeaders: undefined };
  const tokenEndpoint = c.line(o, 'token_endpoint', 'oauth2.token_endpoint', 2048, true);
  if (tokenEndpoint) {
    let url: URL | undefined;
    try {
      url = new URL(tokenEndpoint);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
      c.fail('oauth2.token_endpoint', 'isUrl', 'must be an http or https URL');
    } else if (url.username || url.password) {
      c.fail('oauth2.token_endpoint', 'noCredentials', 'must not contain credentials; use client_id and client_secret');
    }
  }
  const clientId = c.line(o, 'client_id', 'oauth2.client_id', 512, true);
  const clientSecret = c.secret(o, 'client_secret', 'oauth2.client_secret', 4096);
  const scope = c.line(o, 'scope', 'oauth2.scope', 1024, false);
  const audience = c.line(o, 'audience', 'oauth2.audience', 1024, false);
  let requestHeaders: RequestHeader[] | null | undefined = o.request_headers === null ? null : undefined;
  const rh = o.request_headers;
  if (rh !== undefined && rh !== null) {
    if (!Array.isArray(rh)) c.fail('oauth2.request_headers', 'isArray', 'must be an array of {name, value}');
    else if (rh.length > 20) c.fail('oauth2.request_headers', 'maxItems', 'must have at most 20 entries');
    else {
      const list: RequestHeader[] = [];
      rh.forEach((item, i) => {
        const field = `oauth2.request_headers.${i}`;
        const h = c.object(item, field, HEADER_FIELDS);
        if (!h) return;
        const name =
          typeof h.name === 'string' && HEADER_NAME.test(h.name)
            ? h.name
            : c.fail(`${field}.name`, 'isHeaderName', 'must be an HTTP header name');
        const value = c.line(h, 'value', `${field}.value`, 2048, true);
        if (name && value) list.push({ name, value });
      });
      requestHeaders = list.length > 0 ? list : null;
    }
  }
  if (tokenEndpoint && clientId && !c.errors.some((e) => e.field.includes('.oauth2.'))) {
    const requestHeaderNames = (requestHeaders ?? []).map((h) => h.name);
    return {
      settings: { tokenEndpoint, clientId, scope: scope ?? null, audience: audience ?? null, requestHeaderNames },
      clientSecret,
      requestHeaders,
    };
  }
  return { settings: undefined, clientSecret, requestHeaders };
}

/**
 * Validates a complete `smtp_config` (POST, a merged PATCH, or a verification candidate). Throws
 * `VALIDATION_FAILED` with every field error; returns settings plus the secrets as given.
 */
export function validateSmtpConfig(raw: unknown, path: string = SMTP_CONFIG_PATH): SmtpCandidate {
  const c = new Checker(path);
  const input = raw === null || typeof raw !== 'object' || Array.isArray(raw) ? undefined : (raw as Raw);
  if (!input) {
    throw validationFailed([{ field: path, rule: 'isObject', message: 'must be an object' }]);
  }
  for (const key of Object.keys(input)) if (!TOP_FIELDS.has(key)) c.fail(key, 'unknown_field', 'is not a known field');

  const host = c.line(input, 'host', 'host', 253, true);
  if (host && !isHostname(host)) c.fail('host', 'isHost', 'must be a hostname or an IP address');
  const useTls = c.bool(input, 'use_tls', 'use_tls');
  const useInsecure = c.bool(input, 'use_insecure', 'use_insecure') ?? false;
  const givenTls = c.oneOf(input, 'tls_mode', 'tls_mode', TLS_MODES);
  const givenPort = c.int(input, 'port', 'port', 1, 65535);
  const retries = c.int(input, 'retries', 'retries', 0, 10) ?? 3;

  let tlsMode: TlsMode;
  if (givenTls !== undefined) {
    tlsMode = givenTls;
    if (useTls !== undefined && useTls !== (givenTls !== 'none')) {
      c.fail('use_tls', 'matchesTlsMode', `contradicts tls_mode "${givenTls}"`);
    }
  } else if (useTls === false) tlsMode = 'none';
  else tlsMode = givenPort === 465 ? 'implicit' : 'starttls';
  const port = givenPort ?? defaultPortFor(tlsMode);

  const username = c.line(input, 'username', 'username', 512, false);
  const password = c.secret(input, 'password', 'password', 1024);
  const senderEmail = c.line(input, 'sender_email', 'sender_email', 254, false);
  if (senderEmail && !isEmail(senderEmail)) c.fail('sender_email', 'isEmail', 'must be an email address');
  const senderName = c.line(input, 'sender_name', 'sender_name', 200, false);
  const caCert = c.pem(input, 'ca_cert', 'ca_cert');
  const clientCert = c.pem(input, 'client_cert', 'client_cert');
  let clientKey = c.secret(input, 'client_key', 'client_key', PEM_MAX);
  if (typeof clientKey === 'string' && !isPrivateKeyPem(clientKey)) {
    clientKey = c.fail('client_key', 'isPemPrivateKey', 'must be a PEM private key that parses');
  }
  if (typeof clientKey === 'string' && input.client_cert == null) c.fail('client_key', 'notAllowed', 'needs client_cert');

  const hasOAuth2 = input.oauth2 !== undefined && input.oauth2 !== null;
  const oauth2: ParsedOAuth2 = hasOAuth2
    ? parseOAuth2(c, input.oauth2)
    : { settings: undefined, clientSecret: undefined, requestHeaders: undefined };
  const givenAuth = c.oneOf(input, 'auth_type', 'auth_type', AUTH_TYPES);
  const authType: AuthType = givenAuth ?? (hasOAuth2 ? 'oauth2' : username || typeof password === 'string' ? 'basic' : 'none');

  if (authType === 'none') {
    if (username) c.fail('username', 'notAllowed', 'must be absent when auth_type is none');
    if (typeof password === 'string') c.fail('password', 'notAllowed', 'must be absent when auth_type is none');
    if (hasOAuth2) c.fail('oauth2', 'notAllowed', 'must be absent when auth_type is none');
  } else {
    if (!username && input.username == null) c.fail('username', 'required', `is required when auth_type is ${authType}`);
    if (tlsMode === 'none') {
      c.fail(
        givenTls !== undefined ? 'tls_mode' : 'use_tls',
        'tlsRequired',
        'must enable TLS: without TLS, SMTP authentication does not work',
      );
    }
  }
  if (authType === 'basic' && hasOAuth2) c.fail('oauth2', 'notAllowed', 'must be absent when auth_type is basic');
  if (authType === 'oauth2') {
    if (!hasOAuth2) c.fail('oauth2', 'required', 'is required when auth_type is oauth2');
    if (typeof password === 'string') c.fail('password', 'notAllowed', 'must be absent when auth_type is oauth2');
  }

  if (c.errors.length > 0 || !host) throw validationFailed(c.errors, 'The SMTP configuration has invalid fields.');

  const settings: SmtpSettings = {
    host: host.toLowerCase(),
    port,
    tlsMode,
    useInsecure,
    retries,
    authType,
    username: authType === 'none' ? null : (username ?? null),
    senderEmail: senderEmail ?? null,
    senderName: senderName ?? null,
    caCert: caCert ?? null,
    clientCert: clientCert ?? null,
    oauth2: authType === 'oauth2' ? (oauth2.settings ?? null) : null,
  };
  const secrets: SecretInputs = {
    password: authType === 'basic' ? password : password === null ? null : undefined,
    clientSecret: oauth2.clientSecret,
    clientKey,
    requestHeaders: oauth2.requestHeaders,
  };
  return { settings, secrets };
}

/** The stored settings in request shape (no secrets), the base a PATCH is merged onto. */
export function settingsToInput(s: SmtpSettings): Raw {
  const out: Raw = {
    host: s.host,
    port: s.port,
    tls_mode: s.tlsMode,
    use_insecure: s.useInsecure,
    retries: s.retries,
    auth_type: s.authType,
  };
  if (s.username !== null) out.username = s.username;
  if (s.senderEmail !== null) out.sender_email = s.senderEmail;
  if (s.senderName !== null) out.sender_name = s.senderName;
  if (s.caCert !== null) out.ca_cert = s.caCert;
  if (s.clientCert !== null) out.client_cert = s.clientCert;
  if (s.oauth2) {
    const o: Raw = { token_endpoint: s.oauth2.tokenEndpoint, client_id: s.oauth2.clientId };
    if (s.oauth2.scope !== null) o.scope = s.oauth2.scope;
    if (s.oauth2.audience !== null) o.audience = s.oauth2.audience;
    // request_headers are secrets: a PATCH that omits them keeps the stored ones (if allowed), like client_secret.
    out.oauth2 = o;
  }
  return out;
}

/**
 * JSON-merge-patch of a PATCH body onto the stored settings: given fields replace, `null` removes (a
 * removed setting falls back to its default; a `null` secret clears it), omitted fields stay. Fields
 * that are derived from others are re-derived when their inputs change: `use_tls` without `tls_mode`
 * re-derives the mode; switching `auth_type` drops the credentials of the previous type.
 */
export function mergeSmtpPatch(stored: SmtpSettings, patch: unknown, path: string = SMTP_CONFIG_PATH): Raw {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) {
    throw validationFailed([{ field: path, rule: 'isObject', message: 'must be an object' }]);
  }
  const p = patch as Raw;
  const base = settingsToInput(stored);
  if ('use_tls' in p && !('tls_mode' in p)) delete base.tls_mode;
  if ('auth_type' in p) {
    if (p.auth_type === 'none') {
      delete base.username;
      delete base.oauth2;
    } else if (p.auth_type === 'basic') delete base.oauth2;
  }
  if ('oauth2' in p && p.oauth2 !== null && typeof p.oauth2 === 'object' && !Array.isArray(p.oauth2) && base.oauth2) {
    const merged: Raw = { ...(base.oauth2 as Raw) };
    for (const [k, v] of Object.entries(p.oauth2 as Raw)) {
      // null on a secret means "clear it", so it stays in the merged input; elsewhere it removes the setting.
      if (v === null && k !== 'client_secret' && k !== 'request_headers') delete merged[k];
      else merged[k] = v;
    }
    base.oauth2 = merged;
  } else if ('oauth2' in p) {
    if (p.oauth2 === null) delete base.oauth2;
    else base.oauth2 = p.oauth2;
  }
  for (const [k, v] of Object.entries(p)) {
    if (k === 'oauth2') continue;
    if (v === null && k !== 'password' && k !== 'client_key') delete base[k];
    else base[k] = v;
  }
  if ('auth_type' in p === false && 'oauth2' in p && p.oauth2 === null && base.auth_type === 'oauth2') delete base.auth_type;
  return base;
}
