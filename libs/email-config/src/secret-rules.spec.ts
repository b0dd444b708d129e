import { generate } from 'selfsigned';
import { DomainError } from '@mailstrata/common';
import { changedFields, resolveCandidateSecrets, StoredProfileSecrets } from './secret-rules';
import { NO_SECRETS, SecretInputs, SmtpSettings } from './smtp-settings';

const BASIC: SmtpSettings = {
  host: 'smtp.example.com',
  port: 587,
  tlsMode: 'starttls',
  useInsecure: false,
  retries: 3,
  authType: 'basic',
  username: 'mailer',
  senderEmail: 'noreply@example.com',
  senderName: null,
  caCert: null,
  clientCert: null,
  oauth2: null,
};
const OAUTH2: SmtpSettings = {
  ...BASIC,
  authType: 'oauth2',
  oauth2: {
    tokenEndpoint: 'https://idp.example.com/token',
    clientId: 'client',
    scope: null,
    audience: null,
    requestHeaderNames: ['x-api-key'],
  },
};
const STORED: StoredProfileSecrets = { settings: BASIC, secrets: { ...NO_SECRETS, password: 'stored-pw' } };

function refusal(run: () => unknown): DomainError {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a DomainError');
}

const candidate = (settings: SmtpSettings, secrets: SecretInputs = {}) => ({ settings, secrets });

describe('resolveCandidateSecrets', () => {
  it('keeps the stored password when the destination is unchanged (other fields may change)', () => {
    const secrets = resolveCandidateSecrets(candidate({ ...BASIC, retries: 5, senderName: 'Ops', host: 'SMTP.example.com' }), STORED);
    expect(secrets.password).toBe('stored-pw');
  });

  it.each([
    ['host', { host: 'evil.example.net' }],
    ['port', { port: 2525 }],
    ['tls_mode', { tlsMode: 'implicit' as const }],
    ['use_insecure', { useInsecure: true }],
    ['username', { username: 'someone-else' }],
    ['ca_cert', { caCert: 'another CA' }],
  ])('asks for the password again when %s changes', (_field, change) => {
    const error = refusal(() => resolveCandidateSecrets(candidate({ ...BASIC, ...change }), STORED));
    expect(error.code).toBe('SECRET_REQUIRED');
    expect(error.errors).toEqual([expect.objectContaining({ field: 'email_config.smtp_config.password', rule: 'secretRequired' })]);
    expect(error.errors[0].message).toMatch(/must be sent again/);
  });

  it('takes a password sent with the new destination, and null clears it (then it is required)', () => {
    expect(resolveCandidateSecrets(candidate({ ...BASIC, host: 'new.example.com' }, { password: 'new-pw' }), STORED).password).toBe(
      'new-pw',
    );
    const error = refusal(() => resolveCandidateSecrets(candidate(BASIC, { password: null }), STORED));
    expect(error.errors).toEqual([expect.objectContaining({ field: 'email_config.smtp_config.password', message: 'is required' })]);
  });

  it('requires the secrets the auth type uses, and drops the ones it does not', () => {
    expect(refusal(() => resolveCandidateSecrets(candidate(BASIC), null)).errors.map((e) => e.field)).toEqual([
      'email_config.smtp_config.password',
    ]);
    expect(refusal(() => resolveCandidateSecrets(candidate(OAUTH2), null)).errors.map((e) => e.field)).toEqual([
      'email_config.smtp_config.oauth2.client_secret',
    ]);
    const none = resolveCandidateSecrets(candidate({ ...BASIC, authType: 'none', username: null }, { password: 'ignored' }), STORED);
    expect(none).toEqual(NO_SECRETS);
  });

  it('lets optional request headers lapse only explicitly when the token endpoint changes', () => {
    const stored: StoredProfileSecrets = {
      settings: OAUTH2,
      secrets: { ...NO_SECRETS, clientSecret: 'cs', requestHeaders: [{ name: 'x-api-key', value: 'k' }] },
    };
    expect(resolveCandidateSecrets(candidate(OAUTH2), stored)).toMatchObject({
      clientSecret: 'cs',
      requestHeaders: [{ name: 'x-api-key' }],
    });
    const moved = { ...OAUTH2, oauth2: { ...OAUTH2.oauth2!, tokenEndpoint: 'https://other.example.com/token' } };
    const error = refusal(() => resolveCandidateSecrets(candidate(moved, { clientSecret: 'cs2' }), stored));
    expect(error.errors).toEqual([
      expect.objectContaining({
        field: 'email_config.smtp_config.oauth2.request_headers',
        message: expect.stringMatching(/or null to drop it/),
      }),
    ]);
    expect(resolveCandidateSecrets(candidate(moved, { clientSecret: 'cs2', requestHeaders: null }), stored).requestHeaders).toBeNull();
  });

  it('names fields under the path it is given', () => {
    expect(refusal(() => resolveCandidateSecrets(candidate(BASIC), null, 'smtp_config')).errors[0].field).toBe('smtp_config.password');
  });

  it('refuses a client key that does not belong to the client certificate', async () => {
    const attrs = [{ name: 'commonName', value: 'client' }];
    const [mine, other] = await Promise.all([generate(attrs, { keySize: 2048 }), generate(attrs, { keySize: 2048 })]);
    const settings = { ...BASIC, clientCert: mine.cert };
    expect(resolveCandidateSecrets(candidate(settings, { password: 'pw', clientKey: mine.private }), null).clientKey).toBe(mine.private);
    const error = refusal(() => resolveCandidateSecrets(candidate(settings, { password: 'pw', clientKey: other.private }), null));
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.errors).toEqual([expect.objectContaining({ field: 'email_config.smtp_config.client_key', rule: 'matchesClientCert' })]);
  });
});

describe('changedFields', () => {
  it('names every field of a new profile that is set, secrets by name only', () => {
    const fields = changedFields(null, STORED);
    expect(fields).toEqual(expect.arrayContaining(['host', 'port', 'username', 'password']));
    expect(fields.join()).not.toContain('stored-pw');
  });

  it('names the changed fields only, and a changed secret without its value', () => {
    expect(changedFields(STORED, STORED)).toEqual([]);
    const after: StoredProfileSecrets = {
      settings: { ...BASIC, port: 465, tlsMode: 'implicit' },
      secrets: { ...NO_SECRETS, password: 'new' },
    };
    expect(changedFields(STORED, after)).toEqual(['port', 'tls_mode', 'password']);
  });

  it('counts request header names with their secret values, not with the other oauth2 settings', () => {
    const before: StoredProfileSecrets = {
      settings: OAUTH2,
      secrets: { ...NO_SECRETS, clientSecret: 'cs', requestHeaders: [{ name: 'a', value: '1' }] },
    };
    const after: StoredProfileSecrets = {
      settings: { ...OAUTH2, oauth2: { ...OAUTH2.oauth2!, requestHeaderNames: ['b'] } },
      secrets: { ...before.secrets, requestHeaders: [{ name: 'b', value: '1' }] },
    };
    expect(changedFields(before, after)).toEqual(['oauth2.request_headers']);
  });

  it('does not count a secret that was sent again unchanged (a draft moved to another port with the same password)', () => {
    const moved: StoredProfileSecrets = { settings: { ...STORED.settings, port: 2525 }, secrets: { ...STORED.secrets } };
    expect(changedFields(STORED, moved)).toEqual(['port']);
  });

  it('names a dropped secret and the settings that dropped it', () => {
    const noAuth: StoredProfileSecrets = { settings: { ...STORED.settings, authType: 'none', username: null }, secrets: NO_SECRETS };
    expect(changedFields(STORED, noAuth)).toEqual(['auth_type', 'username', 'password']);
  });

  it('names oauth2 once for any of its non-secret settings, and the client secret apart', () => {
    const before: StoredProfileSecrets = { settings: OAUTH2, secrets: { ...NO_SECRETS, clientSecret: 'cs' } };
    const after: StoredProfileSecrets = {
      settings: { ...OAUTH2, oauth2: { ...OAUTH2.oauth2!, scope: 'other', audience: 'aud' } },
      secrets: { ...NO_SECRETS, clientSecret: 'cs-2' },
    };
    expect(changedFields(before, after)).toEqual(['oauth2', 'oauth2.client_secret']);
  });

  it('gives the same names in the same order either way round (a rollback compares a later version with an earlier one)', () => {
    const later: StoredProfileSecrets = {
      settings: { ...STORED.settings, senderName: 'Ops', retries: 7, host: 'smtp.other.test' },
      secrets: { ...STORED.secrets, password: 'other' },
    };
    expect(changedFields(STORED, later)).toEqual(['host', 'retries', 'sender_name', 'password']);
    expect(changedFields(later, STORED)).toEqual(changedFields(STORED, later));
  });
});
