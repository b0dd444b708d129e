/**
 * Validation of an `smtp_config` object, shared by POST, PATCH (after merging) and the verification
 * endpoint's unsaved candidate, so all three accept exactly the same thing: the DTOs of
 * smtp-config.dto.ts, checked by class-validator with unknown fields refused. Every failing field is
 * named with its rule; no error echoes a submitted value.
 */
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { FieldError, fieldErrorsOf, STRICT_VALIDATION, validationFailed } from '@mailstrata/common';
import { authTypeOf, lineOf, SmtpConfigDto, tlsModeOf } from './smtp-config.dto';
import type { SecretRefInputs } from './secret-refs';
import { defaultPortFor, OAuth2Settings, RequestHeader, SecretInputs, SmtpCandidate, SmtpSettings } from './smtp-settings';

export { isHostname, parseCertificates } from './smtp-config.dto';

export const SMTP_CONFIG_PATH = 'email_config.smtp_config';

type Raw = Record<string, unknown>;

/**
 * Validates a complete `smtp_config` (POST, a merged PATCH, or a verification candidate). Throws
 * `VALIDATION_FAILED` with every field error under `path`; returns settings plus the secrets as given.
 */
export function validateSmtpConfig(raw: unknown, path: string = SMTP_CONFIG_PATH): SmtpCandidate {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw validationFailed([{ field: path, rule: 'isObject', message: 'must be an object' }]);
  }
  const dto = plainToInstance(SmtpConfigDto, raw);
  // One failure per field, the first rule it breaks: later rules assume the earlier ones held.
  const errors = [...prototypeKeys(raw, path), ...fieldErrorsOf(validateSync(dto, STRICT_VALIDATION), path, { firstRuleOnly: true })];
  if (errors.length > 0) throw validationFailed(errors, 'The SMTP configuration has invalid fields.');
  return candidateOf(dto);
}

/**
 * Keys named like members of every object (`constructor`, `toString`): class-transformer drops them
 * silently, so the whitelist never sees them; they are unknown fields like any other.
 */
function prototypeKeys(value: unknown, path: string): FieldError[] {
  if (value === null || typeof value !== 'object') return [];
  return Object.keys(value).flatMap((key) => [
    ...(key in Object.prototype ? [{ field: `${path}.${key}`, rule: 'unknown_field', message: 'is not a known field' }] : []),
    ...prototypeKeys((value as Raw)[key], `${path}.${key}`),
  ]);
}

/** The profile a valid DTO describes: texts trimmed, defaults and derived modes filled in, secrets as given. */
function candidateOf(dto: SmtpConfigDto): SmtpCandidate {
  const input = dto as unknown as Raw;
  const tlsMode = tlsModeOf(input);
  const authType = authTypeOf(input);
  const oauth2 = dto.oauth2 ?? undefined;
  // Like a secret: absent keeps the stored headers (if allowed), null or [] clears them.
  const requestHeaders: RequestHeader[] | null | undefined =
    oauth2?.request_headers === undefined
      ? undefined
      : oauth2.request_headers?.length
        ? oauth2.request_headers.map((h) => ({ name: h.name, value: h.value.trim() }))
        : null;
  const oauth2Settings: OAuth2Settings | null =
    authType === 'oauth2' && oauth2
      ? {
          tokenEndpoint: oauth2.token_endpoint.trim(),
          clientId: oauth2.client_id.trim(),
          scope: lineOf(oauth2.scope),
          audience: lineOf(oauth2.audience),
          requestHeaderNames: (requestHeaders ?? []).map((h) => h.name),
        }
      : null;
  const settings: SmtpSettings = {
    host: dto.host.trim().toLowerCase(),
    port: dto.port ?? defaultPortFor(tlsMode),
    tlsMode,
    useInsecure: dto.use_insecure ?? false,
    retries: dto.retries ?? 3,
    authType,
    username: authType === 'none' ? null : lineOf(dto.username),
    senderEmail: lineOf(dto.sender_email),
    senderName: lineOf(dto.sender_name),
    caCert: dto.ca_cert?.trim() ?? null,
    clientCert: dto.client_cert?.trim() ?? null,
    oauth2: oauth2Settings,
  };
  const password = dto.password;
  const secrets: SecretInputs = {
    password: authType === 'basic' ? password : password === null ? null : undefined,
    clientSecret: oauth2?.client_secret,
    clientKey: dto.client_key,
    requestHeaders: oauth2 ? requestHeaders : undefined,
  };
  const passwordRef = dto.password_ref;
  const refs: SecretRefInputs = {
    password: authType === 'basic' ? passwordRef : passwordRef === null ? null : undefined,
    clientSecret: oauth2?.client_secret_ref,
    clientKey: dto.client_key_ref,
  };
  return { settings, secrets, refs };
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
      if (v === null && k !== 'client_secret' && k !== 'client_secret_ref' && k !== 'request_headers') delete merged[k];
      else merged[k] = v;
    }
    base.oauth2 = merged;
  } else if ('oauth2' in p) {
    if (p.oauth2 === null) delete base.oauth2;
    else base.oauth2 = p.oauth2;
  }
  for (const [k, v] of Object.entries(p)) {
    if (k === 'oauth2') continue;
    // null on a secret or a secret reference means "clear it" (see above).
    if (v === null && !['password', 'password_ref', 'client_key', 'client_key_ref'].includes(k)) delete base[k];
    else base[k] = v;
  }
  if ('auth_type' in p === false && 'oauth2' in p && p.oauth2 === null && base.auth_type === 'oauth2') delete base.auth_type;
  return base;
}
