/**
 * The `smtp_config` object as class-validator DTOs: the one definition of what POST, a merged PATCH and
 * the verification endpoint's unsaved candidate accept, and (through the swagger decorators beside the
 * rules) what the OpenAPI document says they accept.
 *
 * Rules run from the bottom decorator up, and a field reports only its first failure (the nested
 * fields of an object are checked even when the object itself is refused, as a form shows both). Every rule names itself and says what is wrong without echoing the value, since a
 * value may be a secret. Cross-field rules (tls_mode against use_tls, auth_type against the credentials)
 * sit on the field they report and derive the mode and auth type from the object the way the profile is
 * built from it, so a value another rule refuses never counts.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { isEmail, ValidateBy, ValidateIf, ValidateNested } from 'class-validator';
import { SECRET_REF_MAX_CHARS, secretRefNameProblem } from './secret-refs';
import { AUTH_TYPES, AuthType, TLS_MODES, TlsMode } from './smtp-settings';

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;
const HOST_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/;
const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
export const PEM_MAX = 64 * 1024;
const MAX_REQUEST_HEADERS = 20;

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

const absent = (v: unknown): v is null | undefined => v === undefined || v === null;
const isText = (v: unknown): v is string => typeof v === 'string';

/** A single-line text field's value as stored: trimmed, or null when absent or blank. */
export function lineOf(v: unknown): string | null {
  return isText(v) && v.trim() !== '' ? v.trim() : null;
}

/** The value a single-line field contributes once it passes its rules (used by the cross-field rules). */
function validLine(v: unknown, max: number): string | null {
  const t = lineOf(v);
  return t !== null && t.length <= max && !CONTROL.test(t) ? t : null;
}

function validSecret(v: unknown, max: number): string | null {
  return isText(v) && v !== '' && v.length <= max && !v.includes('\u0000') ? v : null;
}

function validInt(v: unknown, min: number, max: number): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? v : undefined;
}

function oneOf<T extends string>(v: unknown, values: readonly T[]): T | undefined {
  return isText(v) && (values as readonly string[]).includes(v) ? (v as T) : undefined;
}

/** A rule of its own name; `message` may depend on the value and the object (never echoing the value). */
function Rule(
  name: string,
  message: string | ((value: unknown, object: Record<string, unknown>) => string),
  test: (value: unknown, object: Record<string, unknown>) => boolean,
): PropertyDecorator {
  return ValidateBy({
    name,
    validator: {
      validate: (value, args) => test(value, (args?.object ?? {}) as Record<string, unknown>),
      defaultMessage: (args) =>
        typeof message === 'string' ? message : message(args?.value, (args?.object ?? {}) as Record<string, unknown>),
    },
  });
}

/** Several rules as one decorator, run in the order given (a rule registered earlier runs earlier). */
function Rules(...rules: PropertyDecorator[]): PropertyDecorator {
  return (target, key) => rules.forEach((rule) => rule(target, key));
}

// ---- single-field rules -------------------------------------------------------------------------

/** Present and, for a text, not blank. */
const Required = () =>
  Rule(
    'required',
    (v) => (absent(v) ? 'is required' : 'must not be empty'),
    (v) => !absent(v) && !(isText(v) && v.trim() === ''),
  );
const IsText = (message = 'must be a string') => Rule('isString', message, (v) => absent(v) || isText(v));
/** Measured on the trimmed text for single-line fields (what is stored), on the raw text for secrets. */
const MaxChars = (max: number, trimmed = true) =>
  Rule('maxLength', `must be at most ${max} characters`, (v) => !isText(v) || (trimmed ? v.trim() : v).length <= max);
/** These values end up in SMTP commands or headers, where a line break would start a command of its own. */
const SingleLine = () =>
  Rule('noControlCharacters', 'must not contain line breaks or control characters', (v) => !isText(v) || !CONTROL.test(v.trim()));
const IsInteger = (min: number, max: number): PropertyDecorator => {
  const isInt = Rule('isInt', 'must be an integer', (v) => absent(v) || (typeof v === 'number' && Number.isInteger(v)));
  const atLeast = Rule('min', `must be at least ${min}`, (v) => typeof v !== 'number' || v >= min);
  const atMost = Rule('max', `must be at most ${max}`, (v) => typeof v !== 'number' || v <= max);
  return Rules(isInt, atLeast, atMost);
};
const IsFlag = () => Rule('isBoolean', 'must be true or false', (v) => absent(v) || typeof v === 'boolean');
const IsOneOf = (values: readonly string[]) =>
  Rule('isIn', `must be one of ${values.join(', ')}`, (v) => absent(v) || oneOf(v, values) !== undefined);
/** A secret: a string sets it, null clears it, absent keeps it (where allowed). Never trimmed. */
const Secret = (max: number): PropertyDecorator => {
  const isString = IsText('must be a string or null');
  const notEmpty = Rule('required', 'must not be empty (send null to clear it)', (v) => v !== '');
  const maxChars = MaxChars(max, false);
  const noNul = Rule('noControlCharacters', 'must not contain NUL characters', (v) => !isText(v) || !v.includes('\u0000'));
  return Rules(isString, notEmpty, maxChars, noNul);
};
/**
 * A secret reference: the name of a file in the tenant's secrets directory, instead of the secret
 * itself (exactly one of the two). A string sets it, null clears it, absent keeps it (where allowed).
 */
const SecretRef = (literal: string): PropertyDecorator => {
  const isString = IsText('must be a string or null');
  const name = Rule(
    'secretRefName',
    (v) => (isText(v) ? (secretRefNameProblem(v) ?? '') : ''),
    (v) => !isText(v) || secretRefNameProblem(v) === null,
  );
  const exclusive = Rule(
    'exclusiveWithSecret',
    `must not be given together with ${literal}: send the secret or a reference to it, not both`,
    (v, o) => !isText(v) || !isText(o[literal.split('.').pop()!]),
  );
  return Rules(isString, name, exclusive);
};
const hasRef = (v: unknown) => isText(v) && v !== '';

const PemCertificates = (): PropertyDecorator => {
  const isString = IsText();
  const maxChars = MaxChars(PEM_MAX, false);
  const parses = Rule(
    'isPemCertificate',
    'must be one or more PEM certificates that parse',
    (v) => !isText(v) || parseCertificates(v) !== undefined,
  );
  return Rules(isString, maxChars, parses);
};

// ---- what the cross-field rules derive from the object ---------------------------------------------

/** The TLS mode the profile gets: tls_mode if given, else from use_tls, else from the port. */
export function tlsModeOf(o: Record<string, unknown>): TlsMode {
  const given = oneOf(o.tls_mode, TLS_MODES);
  if (given !== undefined) return given;
  if (o.use_tls === false) return 'none';
  return validInt(o.port, 1, 65535) === 465 ? 'implicit' : 'starttls';
}

const hasOAuth2 = (o: Record<string, unknown>) => !absent(o.oauth2);

/** The auth type the profile gets: auth_type if given, else from the credentials that are there. */
export function authTypeOf(o: Record<string, unknown>): AuthType {
  const given = oneOf(o.auth_type, AUTH_TYPES);
  if (given !== undefined) return given;
  if (hasOAuth2(o)) return 'oauth2';
  return validLine(o.username, 512) !== null || validSecret(o.password, 1024) !== null || hasRef(o.password_ref) ? 'basic' : 'none';
}

/** Credentials only travel encrypted: the field that switched TLS off (tls_mode if given, else use_tls) reports it. */
const TlsRequired = (field: 'tls_mode' | 'use_tls') =>
  Rule(
    'tlsRequired',
    'must enable TLS: without TLS, SMTP authentication does not work',
    (_v, o) =>
      (oneOf(o.tls_mode, TLS_MODES) !== undefined) !== (field === 'tls_mode') || tlsModeOf(o) !== 'none' || authTypeOf(o) === 'none',
  );

/** Absent under the auth types that do not use the field. */
const AbsentUnless = (present: (v: unknown) => boolean, ...authTypes: AuthType[]) =>
  Rule(
    'notAllowed',
    (_v, o) => `must be absent when auth_type is ${authTypeOf(o)}`,
    (v, o) => !present(v) || !authTypes.includes(authTypeOf(o)),
  );

// ---- the DTOs ---------------------------------------------------------------------------------------

/** One extra header of the OAuth2 token request; its value is a secret (write-only). */
export class RequestHeaderDto {
  @ApiProperty({ type: 'string', pattern: HEADER_NAME.source })
  @Rule('isHeaderName', 'must be an HTTP header name', (v) => isText(v) && HEADER_NAME.test(v))
  name: string;

  @ApiProperty({ type: 'string', maxLength: 2048, writeOnly: true })
  @SingleLine()
  @MaxChars(2048)
  @IsText()
  @Required()
  value: string;
}

export class OAuth2ConfigDto {
  @ApiProperty({ type: 'string', format: 'uri', maxLength: 2048, description: 'http or https, without credentials' })
  @Rule('noCredentials', 'must not contain credentials; use client_id and client_secret', (v) => {
    const url = urlOf(v);
    return !url || (!url.username && !url.password);
  })
  @Rule('isUrl', 'must be an http or https URL', (v) => lineOf(v) === null || urlOf(v) !== undefined)
  @SingleLine()
  @MaxChars(2048)
  @IsText()
  @Required()
  token_endpoint: string;

  @ApiProperty({ type: 'string', maxLength: 512 })
  @SingleLine()
  @MaxChars(512)
  @IsText()
  @Required()
  client_id: string;

  @ApiPropertyOptional({ type: 'string', nullable: true, maxLength: 4096, writeOnly: true, description: 'Secret; null clears it' })
  @Secret(4096)
  client_secret?: string | null;

  @ApiPropertyOptional({
    type: 'string',
    nullable: true,
    maxLength: SECRET_REF_MAX_CHARS,
    description: 'Instead of client_secret: a file name in the tenant’s secrets directory (SMTP_SECRET_REFS_DIR); null clears it',
  })
  @SecretRef('oauth2.client_secret')
  client_secret_ref?: string | null;

  @ApiPropertyOptional({ type: 'string', nullable: true, maxLength: 1024 })
  @SingleLine()
  @MaxChars(1024)
  @IsText()
  scope?: string | null;

  @ApiPropertyOptional({ type: 'string', nullable: true, maxLength: 1024 })
  @SingleLine()
  @MaxChars(1024)
  @IsText()
  audience?: string | null;

  @ApiPropertyOptional({
    type: [RequestHeaderDto],
    nullable: true,
    maxItems: MAX_REQUEST_HEADERS,
    description: 'Extra token-request headers; their values are secrets, bound to the token endpoint. null or [] clears them',
  })
  @ValidateNested({ each: true, message: 'must be an object' })
  @Type(() => RequestHeaderDto)
  @ValidateIf((_o, v) => v !== null) // null clears the headers: nothing to check
  @Rule('maxItems', `must have at most ${MAX_REQUEST_HEADERS} entries`, (v) => !Array.isArray(v) || v.length <= MAX_REQUEST_HEADERS)
  @Rule('isArray', 'must be an array of {name, value}', (v) => absent(v) || Array.isArray(v))
  request_headers?: RequestHeaderDto[] | null;
}

function urlOf(v: unknown): URL | undefined {
  const text = lineOf(v);
  if (text === null) return undefined;
  try {
    const url = new URL(text);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `email_config.smtp_config`: the seed's fields (username, password, host, port, use_tls, use_insecure,
 * retries) and ours. Secrets are write-only; null clears one.
 */
export class SmtpConfigDto {
  @ApiProperty({ type: 'string', maxLength: 253, description: 'A hostname or an IP address', example: 'smtp.example.com' })
  @Rule('isHost', 'must be a hostname or an IP address', (v) => {
    const host = validLine(v, 253);
    return host === null || isHostname(host);
  })
  @SingleLine()
  @MaxChars(253)
  @IsText()
  @Required()
  host: string;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: 65535,
    description: 'Defaults by TLS mode: 25, 587 (starttls) or 465 (implicit)',
    example: 587,
  })
  @IsInteger(1, 65535)
  port?: number | null;

  @ApiPropertyOptional({
    type: 'boolean',
    nullable: true,
    description: 'The seed’s switch: false is tls_mode none; true is starttls, or implicit on port 465',
  })
  @TlsRequired('use_tls')
  @Rule(
    'matchesTlsMode',
    (_v, o) => `contradicts tls_mode "${String(o.tls_mode)}"`,
    (v, o) => {
      const given = oneOf(o.tls_mode, TLS_MODES);
      return typeof v !== 'boolean' || given === undefined || v === (given !== 'none');
    },
  )
  @IsFlag()
  use_tls?: boolean | null;

  @ApiPropertyOptional({ type: 'boolean', nullable: true, default: false, description: 'Skip certificate verification' })
  @IsFlag()
  use_insecure?: boolean | null;

  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: 10, default: 3 })
  @IsInteger(0, 10)
  retries?: number | null;

  @ApiPropertyOptional({ type: 'string', nullable: true, maxLength: 512 })
  @Rule('required', (_v, o) => `is required when auth_type is ${authTypeOf(o)}`, (v, o) => !absent(v) || authTypeOf(o) === 'none')
  @AbsentUnless((v) => validLine(v, 512) !== null, 'none')
  @SingleLine()
  @MaxChars(512)
  @IsText()
  username?: string | null;

  @ApiPropertyOptional({ type: 'string', nullable: true, maxLength: 1024, writeOnly: true, description: 'Secret; null clears it' })
  @AbsentUnless((v) => validSecret(v, 1024) !== null, 'none', 'oauth2')
  @Secret(1024)
  password?: string | null;

  @ApiPropertyOptional({
    type: 'string',
    nullable: true,
    maxLength: SECRET_REF_MAX_CHARS,
    description: 'Instead of password: a file name in the tenant’s secrets directory (SMTP_SECRET_REFS_DIR); null clears it',
  })
  @AbsentUnless(hasRef, 'none', 'oauth2')
  @SecretRef('password')
  password_ref?: string | null;

  @ApiPropertyOptional({ type: 'string', nullable: true, format: 'email', maxLength: 254 })
  @Rule('isEmail', 'must be an email address', (v) => {
    const address = validLine(v, 254);
    return address === null || isEmail(address);
  })
  @SingleLine()
  @MaxChars(254)
  @IsText()
  sender_email?: string | null;

  @ApiPropertyOptional({ type: 'string', nullable: true, maxLength: 200 })
  @SingleLine()
  @MaxChars(200)
  @IsText()
  sender_name?: string | null;

  @ApiPropertyOptional({ enum: TLS_MODES, nullable: true, description: 'Derived from use_tls and port when left out' })
  @TlsRequired('tls_mode')
  @IsOneOf(TLS_MODES)
  tls_mode?: TlsMode | null;

  @ApiPropertyOptional({ type: 'string', nullable: true, maxLength: PEM_MAX, description: 'PEM certificates to trust' })
  @PemCertificates()
  ca_cert?: string | null;

  @ApiPropertyOptional({ type: 'string', nullable: true, maxLength: PEM_MAX, description: 'PEM client certificate (mutual TLS)' })
  @PemCertificates()
  client_cert?: string | null;

  @ApiPropertyOptional({
    type: 'string',
    nullable: true,
    maxLength: PEM_MAX,
    writeOnly: true,
    description: 'Secret: the PEM private key of client_cert; null clears it',
  })
  @Rule('notAllowed', 'needs client_cert', (v, o) => !isText(v) || !absent(o.client_cert))
  @Rule('isPemPrivateKey', 'must be a PEM private key that parses', (v) => validSecret(v, PEM_MAX) === null || isPrivateKeyPem(v as string))
  @Secret(PEM_MAX)
  client_key?: string | null;

  @ApiPropertyOptional({
    type: 'string',
    nullable: true,
    maxLength: SECRET_REF_MAX_CHARS,
    description: 'Instead of client_key: a file name in the tenant’s secrets directory (SMTP_SECRET_REFS_DIR); null clears it',
  })
  @Rule('notAllowed', 'needs client_cert', (v, o) => !isText(v) || !absent(o.client_cert))
  @SecretRef('client_key')
  client_key_ref?: string | null;

  @ApiPropertyOptional({ enum: AUTH_TYPES, nullable: true, description: 'Derived from the credentials given when left out' })
  @IsOneOf(AUTH_TYPES)
  auth_type?: AuthType | null;

  @ApiPropertyOptional({ type: OAuth2ConfigDto, nullable: true, description: 'Required when auth_type is oauth2' })
  @ValidateNested()
  // Null is the same as absent here (no OAuth2), and nested validation would refuse it as a non-object.
  @Transform(({ value }: { value: unknown }) => (value === null ? undefined : value))
  @Type(() => OAuth2ConfigDto)
  @Rule('required', 'is required when auth_type is oauth2', (v, o) => !absent(v) || authTypeOf(o) !== 'oauth2')
  @AbsentUnless((v) => !absent(v), 'none', 'basic')
  @Rule('isObject', 'must be an object', (v) => absent(v) || (typeof v === 'object' && !Array.isArray(v)))
  oauth2?: OAuth2ConfigDto | null;
}
