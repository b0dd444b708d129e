/**
 * "Stored secrets follow their destination only." A secret omitted from a replace, patch or
 * verification candidate is borrowed from the stored profile only when every field of its destination
 * (`DESTINATION_FIELDS`: who receives it and how that peer is checked) is unchanged; otherwise the caller
 * must send it again (SECRET_REQUIRED), so credentials can never be redirected to a server of someone's
 * choosing, nor handed to the same server over a connection whose certificate is no longer checked.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { FieldError, validationFailed } from '@mailstrata/common';
import { EmailConfigErrors } from './errors';
import { SMTP_CONFIG_PATH, parseCertificates } from './smtp-config.validation';
import { NO_REFS, SECRET_REF_FIELDS, SecretRefName, SecretRefs } from './secret-refs';
import { DESTINATION_FIELDS, destinationOf, OAuth2Settings, SmtpCandidate, SmtpSecrets, SmtpSettings } from './smtp-settings';

export interface StoredProfileSecrets {
  settings: SmtpSettings;
  secrets: SmtpSecrets;
  /** The stored secret references (none when absent). */
  refs?: SecretRefs;
}

/** A candidate's secrets after the rules: literal values, and the references that stand in for others. */
export interface ResolvedCredentials {
  secrets: SmtpSecrets;
  refs: SecretRefs;
}

const FIELDS = {
  password: 'password',
  clientSecret: 'oauth2.client_secret',
  clientKey: 'client_key',
  requestHeaders: 'oauth2.request_headers',
} as const;

type SecretName = keyof SmtpSecrets;

const isRefName = (name: SecretName): name is SecretRefName => name in SECRET_REF_FIELDS;

/** The secrets only (for callers that have no references to keep); see `resolveCandidateCredentials`. */
export function resolveCandidateSecrets(
  candidate: SmtpCandidate,
  stored: StoredProfileSecrets | null,
  path: string = SMTP_CONFIG_PATH,
): SmtpSecrets {
  return resolveCandidateCredentials(candidate, stored, path).secrets;
}

/**
 * Each secret is given as a value, as a reference (`password_ref`…: the value lives in a file), or
 * omitted. A reference is a name, not a credential, but what it names is one: so an omitted reference
 * follows the profile only to an unchanged destination, exactly like a stored secret, and a new
 * destination needs the reference sent again (the caller can read it back in GET; resending it is the
 * caller's explicit word that this file's secret may go there). Giving one form clears the other.
 */
export function resolveCandidateCredentials(
  candidate: SmtpCandidate,
  stored: StoredProfileSecrets | null,
  path: string = SMTP_CONFIG_PATH,
): ResolvedCredentials {
  const { settings } = candidate;
  const sameDestination = stored !== null && destinationOf(stored.settings) === destinationOf(settings);
  // Which secrets this profile uses at all, and which of those it cannot do without.
  const applies: Record<SecretName, boolean> = {
    password: settings.authType === 'basic',
    clientSecret: settings.authType === 'oauth2',
    clientKey: settings.clientCert !== null,
    requestHeaders: settings.authType === 'oauth2',
  };
  const required: Record<SecretName, boolean> = { password: true, clientSecret: true, clientKey: true, requestHeaders: false };
  const errors: FieldError[] = [];
  const out: Record<SecretName, unknown> = { password: null, clientSecret: null, clientKey: null, requestHeaders: null };
  const refs: SecretRefs = { ...NO_REFS };
  for (const name of Object.keys(FIELDS) as SecretName[]) {
    const given = candidate.secrets[name];
    const givenRef = isRefName(name) ? candidate.refs?.[name] : undefined;
    const storedValue = stored?.secrets[name] ?? null;
    const storedRef = isRefName(name) ? (stored?.refs?.[name] ?? null) : null;
    if (!applies[name]) continue;
    if (isRefName(name) && typeof givenRef === 'string') {
      refs[name] = givenRef;
      continue;
    }
    const value = given === undefined ? (sameDestination ? storedValue : null) : given;
    const ref = isRefName(name) && given === undefined && givenRef === undefined && sameDestination ? storedRef : null;
    if (value === null && ref === null) {
      const field = `${path}.${FIELDS[name]}`;
      const orRef = isRefName(name) ? ` (or ${SECRET_REF_FIELDS[name].field})` : '';
      // An optional secret (request headers) is not required, but it never follows a new destination
      // silently either: the caller resends it or clears it explicitly (null).
      if (given === undefined && givenRef === undefined && (storedValue !== null || storedRef !== null)) {
        errors.push({
          field,
          rule: 'secretRequired',
          message: `must be sent again${orRef}${required[name] ? '' : ' (or null to drop it)'}: the stored secret is kept only while ${DESTINATION_FIELDS.join(', ')} stay the same`,
        });
      } else if (required[name]) errors.push({ field, rule: 'secretRequired', message: 'is required' });
      continue;
    }
    if (ref !== null && isRefName(name)) refs[name] = ref;
    else out[name] = value;
  }
  if (errors.length > 0) {
    throw EmailConfigErrors.SECRET_REQUIRED(undefined, { errors });
  }
  if (settings.clientCert && typeof out.clientKey === 'string') checkClientKey(settings.clientCert, out.clientKey, `${path}.client_key`);
  return { secrets: out as unknown as SmtpSecrets, refs };
}

/** The client key must be the private key of the client certificate (a literal, or a referenced file's content). */
export function checkClientKey(clientCert: string, clientKey: string, field: string): void {
  const first = parseCertificates(clientCert)?.[0] as X509Certificate | undefined;
  let matches: boolean;
  try {
    matches = first?.checkPrivateKey(createPrivateKey(clientKey)) ?? false;
  } catch {
    matches = false;
  }
  if (!matches) {
    throw validationFailed(
      [{ field, rule: 'matchesClientCert', message: 'must be the private key of client_cert' }],
      'The client key does not belong to the client certificate.',
    );
  }
}

/** Names of the fields that differ between two versions of a profile (secrets by whether they changed). */
export function changedFields(before: StoredProfileSecrets | null, after: StoredProfileSecrets): string[] {
  const b = before?.settings;
  const a = after.settings;
  const pairs: Array<[string, unknown, unknown]> = [
    ['host', b?.host, a.host],
    ['port', b?.port, a.port],
    ['tls_mode', b?.tlsMode, a.tlsMode],
    ['use_insecure', b?.useInsecure, a.useInsecure],
    ['retries', b?.retries, a.retries],
    ['auth_type', b?.authType, a.authType],
    ['username', b?.username, a.username],
    ['sender_email', b?.senderEmail, a.senderEmail],
    ['sender_name', b?.senderName, a.senderName],
    ['ca_cert', b?.caCert, a.caCert],
    ['client_cert', b?.clientCert, a.clientCert],
    // Header names travel with their (secret) values: compared below, as one secret field.
    ['oauth2', JSON.stringify(withoutHeaderNames(b?.oauth2 ?? null)), JSON.stringify(withoutHeaderNames(a.oauth2))],
    ['password', before?.secrets.password ?? null, after.secrets.password],
    ['oauth2.client_secret', before?.secrets.clientSecret ?? null, after.secrets.clientSecret],
    ['client_key', before?.secrets.clientKey ?? null, after.secrets.clientKey],
    ['oauth2.request_headers', JSON.stringify(before?.secrets.requestHeaders ?? null), JSON.stringify(after.secrets.requestHeaders)],
    ['password_ref', before?.refs?.password ?? null, after.refs?.password ?? null],
    ['oauth2.client_secret_ref', before?.refs?.clientSecret ?? null, after.refs?.clientSecret ?? null],
    ['client_key_ref', before?.refs?.clientKey ?? null, after.refs?.clientKey ?? null],
  ];
  return pairs.filter(([, x, y]) => (x ?? null) !== (y ?? null)).map(([name]) => name);
}

function withoutHeaderNames(o: OAuth2Settings | null): Omit<OAuth2Settings, 'requestHeaderNames'> | null {
  if (!o) return null;
  const { requestHeaderNames: _names, ...rest } = o;
  return rest;
}
