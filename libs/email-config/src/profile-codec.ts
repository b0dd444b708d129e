/** Entity ↔ domain, and the only place that encrypts or decrypts profile secrets. */
import { SecretCipher } from '@mailstrata/secrets';
import { ConfigScope, etagOf, SecretFlags, StoredProfile } from './profile.model';
import { SmtpProfileEntity } from './smtp-profile.entity';
import { RequestHeader, SmtpSecrets, SmtpSettings } from './smtp-settings';

export const PROFILE_TABLE = 'smtp_profiles';

/** Column ↔ associated-data field name of each secret. */
const SECRET_COLUMNS = [
  { secret: 'password', column: 'passwordEnc', field: 'password' },
  { secret: 'clientSecret', column: 'oauth2ClientSecretEnc', field: 'oauth2.client_secret' },
  { secret: 'clientKey', column: 'clientKeyEnc', field: 'client_key' },
] as const;

/** The request headers (a list) are stored as one JSON ciphertext. */
const HEADERS_FIELD = 'oauth2.request_headers';

export function scopeOfEntity(e: SmtpProfileEntity): ConfigScope {
  return e.orgId ? { level: 'org', partnerId: e.partnerId, orgId: e.orgId } : { level: 'partner', partnerId: e.partnerId, orgId: null };
}

export function settingsOfEntity(e: SmtpProfileEntity): SmtpSettings {
  return {
    host: e.host,
    port: e.port,
    tlsMode: e.tlsMode,
    useInsecure: e.useInsecure,
    retries: e.retries,
    authType: e.authType,
    username: e.username,
    senderEmail: e.senderEmail,
    senderName: e.senderName,
    caCert: e.caCert,
    clientCert: e.clientCert,
    oauth2: e.oauth2
      ? {
          tokenEndpoint: e.oauth2.token_endpoint,
          clientId: e.oauth2.client_id,
          scope: e.oauth2.scope,
          audience: e.oauth2.audience,
          requestHeaderNames: (e.oauth2.request_headers ?? []).map((h) => h.name),
        }
      : null,
  };
}

export function secretFlagsOfEntity(e: SmtpProfileEntity): SecretFlags {
  return { passwordSet: e.passwordEnc !== null, clientSecretSet: e.oauth2ClientSecretEnc !== null, clientKeySet: e.clientKeyEnc !== null };
}

export function storedProfileOf(e: SmtpProfileEntity): StoredProfile {
  return {
    id: e.id,
    scope: scopeOfEntity(e),
    route: e.route,
    settings: settingsOfEntity(e),
    secretsSet: secretFlagsOfEntity(e),
    version: e.version,
    etag: etagOf(e.id, e.version),
    createdAt: e.createdAt,
    updatedAt: e.updatedAt,
    updatedBy: { id: e.updatedById, email: e.updatedByEmail },
  };
}

export function decryptSecrets(cipher: SecretCipher, e: SmtpProfileEntity): SmtpSecrets {
  const out: SmtpSecrets = { password: null, clientSecret: null, clientKey: null, requestHeaders: null };
  for (const { secret, column, field } of SECRET_COLUMNS) {
    const ct = e[column];
    if (ct !== null) out[secret] = cipher.decrypt(ct, { table: PROFILE_TABLE, rowId: e.id, field });
  }
  const headersCt = e.oauth2RequestHeadersEnc;
  if (headersCt !== null) {
    out.requestHeaders = JSON.parse(
      cipher.decrypt(headersCt, { table: PROFILE_TABLE, rowId: e.id, field: HEADERS_FIELD }),
    ) as RequestHeader[];
  } else {
    out.requestHeaders = legacyPlaintextHeaders(e);
  }
  return out;
}

/** Header values of a row written before they were secrets (until `sealLegacyHeaders` has run on it). */
export function legacyPlaintextHeaders(e: SmtpProfileEntity): RequestHeader[] | null {
  const list = e.oauth2?.request_headers ?? [];
  if (!list.some((h) => typeof h.value === 'string')) return null;
  return list.map((h) => ({ name: h.name, value: h.value ?? '' }));
}

/** Moves plaintext header values of an old row into the encrypted column; returns whether it changed. */
export function sealLegacyHeaders(cipher: SecretCipher, e: SmtpProfileEntity): boolean {
  const legacy = legacyPlaintextHeaders(e);
  if (!legacy || !e.oauth2) return false;
  // An encrypted list, if a row somehow has both, is the newer one: keep it and only drop the plaintext.
  if (e.oauth2RequestHeadersEnc === null) {
    e.oauth2RequestHeadersEnc = cipher.encrypt(JSON.stringify(legacy), { table: PROFILE_TABLE, rowId: e.id, field: HEADERS_FIELD });
  }
  e.oauth2 = { ...e.oauth2, request_headers: legacy.map((h) => ({ name: h.name })) };
  return true;
}

/** Writes settings and encrypted secrets onto an entity (whose id must already be set). */
export function applyToEntity(cipher: SecretCipher, e: SmtpProfileEntity, settings: SmtpSettings, secrets: SmtpSecrets): void {
  e.host = settings.host;
  e.port = settings.port;
  e.tlsMode = settings.tlsMode;
  e.useInsecure = settings.useInsecure;
  e.retries = settings.retries;
  e.authType = settings.authType;
  e.username = settings.username;
  e.senderEmail = settings.senderEmail;
  e.senderName = settings.senderName;
  e.caCert = settings.caCert;
  e.clientCert = settings.clientCert;
  e.oauth2 = settings.oauth2
    ? {
        token_endpoint: settings.oauth2.tokenEndpoint,
        client_id: settings.oauth2.clientId,
        scope: settings.oauth2.scope,
        audience: settings.oauth2.audience,
        // Names only, taken from the secrets so they always describe the stored values.
        request_headers: (secrets.requestHeaders ?? []).map((h) => ({ name: h.name })),
      }
    : null;
  for (const { secret, column, field } of SECRET_COLUMNS) {
    const value = secrets[secret];
    e[column] = value === null ? null : cipher.encrypt(value, { table: PROFILE_TABLE, rowId: e.id, field });
  }
  const headers = settings.oauth2 && secrets.requestHeaders && secrets.requestHeaders.length > 0 ? secrets.requestHeaders : null;
  e.oauth2RequestHeadersEnc = headers
    ? cipher.encrypt(JSON.stringify(headers), { table: PROFILE_TABLE, rowId: e.id, field: HEADERS_FIELD })
    : null;
}

/** Re-encrypts one row's secrets under the current key; returns whether anything changed. */
export function reencryptEntity(cipher: SecretCipher, e: SmtpProfileEntity): boolean {
  let changed = sealLegacyHeaders(cipher, e);
  const columns = [...SECRET_COLUMNS, { column: 'oauth2RequestHeadersEnc', field: HEADERS_FIELD } as const];
  for (const { column, field } of columns) {
    const ct = e[column];
    if (ct === null || !cipher.isStale(ct)) continue;
    const context = { table: PROFILE_TABLE, rowId: e.id, field };
    e[column] = cipher.encrypt(cipher.decrypt(ct, context), context);
    changed = true;
  }
  return changed;
}
