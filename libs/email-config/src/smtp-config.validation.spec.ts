import { DomainError } from '@mailstrata/common';
import { mergeSmtpPatch, validateSmtpConfig } from './smtp-config.validation';
import { resolveCandidateSecrets } from './secret-rules';

const base = { host: 'smtp.example.com', port: 587, use_tls: true, username: 'u', password: 'p' };

function errorsOf(raw: unknown): Array<{ field: string; rule: string }> {
  try {
    validateSmtpConfig(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    return (error as DomainError).errors.map(({ field, rule }) => ({ field: field.replace('email_config.smtp_config.', ''), rule }));
  }
  throw new Error('expected a validation error');
}

describe('validateSmtpConfig', () => {
  it('derives tls_mode, port and auth_type like the seed implies', () => {
    expect(validateSmtpConfig({ host: 'smtp.example.com', port: 465, use_tls: true }).settings).toMatchObject({
      tlsMode: 'implicit',
      authType: 'none',
    });
    expect(validateSmtpConfig({ host: 'smtp.example.com', use_tls: true }).settings).toMatchObject({ tlsMode: 'starttls', port: 587 });
    expect(validateSmtpConfig({ host: '10.0.0.5', use_tls: false }).settings).toMatchObject({ tlsMode: 'none', port: 25, retries: 3 });
    expect(validateSmtpConfig({ host: '2001:db8::1', tls_mode: 'implicit' }).settings).toMatchObject({ port: 465 });
    expect(validateSmtpConfig(base).settings).toMatchObject({ authType: 'basic', username: 'u' });
    expect(validateSmtpConfig(base).secrets).toEqual({ password: 'p', clientSecret: undefined, clientKey: undefined });
  });

  it.each<[string, Record<string, unknown>, { field: string; rule: string }]>([
    ['a bad host', { host: 'smtp_.example..com' }, { field: 'host', rule: 'isHost' }],
    ['a numeric non-IP host', { host: '1.2.3' }, { field: 'host', rule: 'isHost' }],
    ['a CR/LF in a header-bound field', { sender_name: 'Ops\r\nBcc: x@y.z' }, { field: 'sender_name', rule: 'noControlCharacters' }],
    ['port 0', { port: 0 }, { field: 'port', rule: 'min' }],
    ['port 65536', { port: 65536 }, { field: 'port', rule: 'max' }],
    ['a string port', { port: '587' }, { field: 'port', rule: 'isInt' }],
    ['retries 11', { retries: 11 }, { field: 'retries', rule: 'max' }],
    ['credentials without TLS', { use_tls: false }, { field: 'use_tls', rule: 'tlsRequired' }],
    ['tls_mode none with credentials', { use_tls: undefined, tls_mode: 'none' }, { field: 'tls_mode', rule: 'tlsRequired' }],
    [
      'use_tls contradicting tls_mode',
      { tls_mode: 'none', use_tls: true, username: undefined, password: undefined },
      { field: 'use_tls', rule: 'matchesTlsMode' },
    ],
    ['a bad sender', { sender_email: 'not-an-address' }, { field: 'sender_email', rule: 'isEmail' }],
    ['an unknown field', { colour: 'blue' }, { field: 'colour', rule: 'unknown_field' }],
    [
      'a bad CA',
      { ca_cert: '-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----' },
      { field: 'ca_cert', rule: 'isPemCertificate' },
    ],
    ['a bad key', { client_key: 'not a key' }, { field: 'client_key', rule: 'isPemPrivateKey' }],
    [
      'oauth2 without fields',
      { auth_type: 'oauth2', password: undefined, oauth2: {} },
      { field: 'oauth2.token_endpoint', rule: 'required' },
    ],
    [
      'oauth2 with a password',
      { oauth2: { token_endpoint: 'https://t.example/token', client_id: 'c' } },
      { field: 'password', rule: 'notAllowed' },
    ],
    [
      'an oauth2 endpoint with credentials',
      { password: undefined, oauth2: { token_endpoint: 'https://a:b@t.example/token', client_id: 'c' } },
      { field: 'oauth2.token_endpoint', rule: 'noCredentials' },
    ],
    [
      'a header with CR/LF',
      {
        password: undefined,
        oauth2: { token_endpoint: 'https://t.example/t', client_id: 'c', request_headers: [{ name: 'X-A', value: 'a\nb' }] },
      },
      { field: 'oauth2.request_headers.0.value', rule: 'noControlCharacters' },
    ],
    ['basic without username', { username: undefined }, { field: 'username', rule: 'required' }],
    ['auth none with a username', { auth_type: 'none', password: undefined }, { field: 'username', rule: 'notAllowed' }],
  ])('refuses %s', (_, change, expected) => {
    expect(errorsOf({ ...base, ...change })).toContainEqual(expected);
  });

  it('never echoes a submitted secret in errors', () => {
    try {
      validateSmtpConfig({ ...base, use_tls: false, password: 'do-not-echo-me' });
      throw new Error('expected failure');
    } catch (error) {
      expect(JSON.stringify(error)).not.toContain('do-not-echo-me');
      expect(String(error)).not.toContain('do-not-echo-me');
    }
  });
});

describe('mergeSmtpPatch + secret rules', () => {
  const stored = validateSmtpConfig(base);
  const storedSecrets = {
    settings: stored.settings,
    secrets: { password: 'p', clientSecret: null, clientKey: null, requestHeaders: null },
  };

  it('keeps omitted fields and re-derives tls_mode from use_tls', () => {
    const merged = validateSmtpConfig(mergeSmtpPatch(stored.settings, { retries: 9 }));
    expect(merged.settings).toEqual({ ...stored.settings, retries: 9 });
    expect(resolveCandidateSecrets(merged, storedSecrets).password).toBe('p');
    expect(validateSmtpConfig(mergeSmtpPatch(stored.settings, { use_tls: false, auth_type: 'none' })).settings).toMatchObject({
      tlsMode: 'none',
      authType: 'none',
      username: null,
    });
  });

  it('refuses to carry a stored password to a new host', () => {
    const moved = validateSmtpConfig(mergeSmtpPatch(stored.settings, { host: 'evil.example.net' }));
    expect(() => resolveCandidateSecrets(moved, storedSecrets)).toThrow(expect.objectContaining({ code: 'SECRET_REQUIRED' }));
  });
});
