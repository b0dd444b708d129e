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
import { DESTINATION_FIELDS, destinationOf, OAuth2Settings, SmtpCandidate, SmtpSecrets, SmtpSettings } from './smtp-settings';

export interface StoredProfileSecrets {
  settings: SmtpSettings;
  secrets: SmtpSecrets;
}

const FIELDS = {
  password: 'password',
  clientSecret: 'oauth2.client_secret',
  clientKey: 'client_key',
  requestHeaders: 'oauth2.request_headers',
} as const;

type SecretName = keyof SmtpSecrets;

export function resolveCandidateSecrets(
  candidate: SmtpCandidate,
  stored: StoredProfileSecrets | null,
  path: string = SMTP_CONFIG_PATH,
): SmtpSecrets {
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
  for (const name of Object.keys(FIELDS) as SecretName[]) {
    const given = candidate.secrets[name];
    const storedValue = stored?.secrets[name] ?? null;
    const value = given === undefined ? (sameDestination ? storedValue : null) : given;
    if (!applies[name]) continue;
    if (value === null) {
      const field = `${path}.${FIELDS[name]}`;
      // An optional secret (request headers) is not required, but it never follows a new destination
      // silently either: the caller resends it or clears it explicitly (null).
      if (given === undefined && storedValue !== null) {
        errors.push({
          field,
          rule: 'secretRequired',
          message: `must be sent again${required[name] ? '' : ' (or null to drop it)'}: the stored secret is kept only while ${DESTINATION_FIELDS.join(', ')} stay the same`,
        });
      } else if (required[name]) errors.push({ field, rule: 'secretRequired', message: 'is required' });
      continue;
    }
    out[name] = value;
  }
  if (errors.length > 0) {
    throw EmailConfigErrors.SECRET_REQUIRED(undefined, { errors });
  }
  if (settings.clientCert && typeof out.clientKey === 'string') {
    const first = parseCertificates(settings.clientCert)?.[0] as X509Certificate | undefined;
    let matches: boolean;
    try {
      matches = first?.checkPrivateKey(createPrivateKey(out.clientKey)) ?? false;
    } catch {
      matches = false;
    }
    if (!matches) {
      throw validationFailed(
        [{ field: `${path}.client_key`, rule: 'matchesClientCert', message: 'must be the private key of client_cert' }],
        'The client key does not belong to the client certificate.',
      );
    }
  }
  return out as unknown as SmtpSecrets;
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
  ];
  return pairs.filter(([, x, y]) => (x ?? null) !== (y ?? null)).map(([name]) => name);
}

function withoutHeaderNames(o: OAuth2Settings | null): Omit<OAuth2Settings, 'requestHeaderNames'> | null {
  if (!o) return null;
  const { requestHeaderNames: _names, ...rest } = o;
  return rest;
}
