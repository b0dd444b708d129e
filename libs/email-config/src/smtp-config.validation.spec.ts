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

describe('validateSmtpConfig on class-validator DTOs', () => {
  it('names each field once, with the first rule it breaks', () => {
    expect(errorsOf({ host: 7, port: 70000.5, oauth2: 'x', auth_type: 'none' })).toEqual([
      { field: 'host', rule: 'isString' },
      { field: 'port', rule: 'isInt' },
      { field: 'oauth2', rule: 'isObject' },
    ]);
  });

  it('checks the fields of a refused oauth2 object too, and refuses unknown fields at every level', () => {
    expect(
      errorsOf({
        ...base,
        password: undefined,
        auth_type: 'basic',
        constructor: 1,
        oauth2: { token_endpoint: 'ftp://t.example', client_id: 'c', colour: 1, request_headers: [1, { name: 'bad name', value: 'v' }] },
      }),
    ).toEqual(
      expect.arrayContaining([
        { field: 'constructor', rule: 'unknown_field' },
        { field: 'oauth2', rule: 'notAllowed' },
        { field: 'oauth2.colour', rule: 'unknown_field' },
        { field: 'oauth2.token_endpoint', rule: 'isUrl' },
        { field: 'oauth2.request_headers.0', rule: 'isObject' },
        { field: 'oauth2.request_headers.1.name', rule: 'isHeaderName' },
      ]),
    );
  });

  it('keeps the messages the API documents', () => {
    try {
      validateSmtpConfig({ host: 'smtp.example.com', tls_mode: 'none', use_tls: true, port: 0 });
      throw new Error('expected failure');
    } catch (error) {
      expect((error as DomainError).detail).toBe('The SMTP configuration has invalid fields.');
      expect((error as DomainError).errors).toEqual([
        { field: 'email_config.smtp_config.port', rule: 'min', message: 'must be at least 1' },
        { field: 'email_config.smtp_config.use_tls', rule: 'matchesTlsMode', message: 'contradicts tls_mode "none"' },
      ]);
    }
  });

  it('reads an oauth2 profile with its request headers; null or [] clears them, absent keeps them', () => {
    const oauth2 = { token_endpoint: ' https://t.example/token ', client_id: 'c', request_headers: [{ name: 'X-Key', value: ' k ' }] };
    const candidate = validateSmtpConfig({ host: 'smtp.example.com', username: 'u', oauth2 });
    expect(candidate.settings).toMatchObject({
      authType: 'oauth2',
      oauth2: { tokenEndpoint: 'https://t.example/token', clientId: 'c', scope: null, requestHeaderNames: ['X-Key'] },
    });
    expect(candidate.secrets.requestHeaders).toEqual([{ name: 'X-Key', value: 'k' }]);
    for (const [headers, expected] of [
      [null, null],
      [[], null],
      [undefined, undefined],
    ] as const) {
      const c = validateSmtpConfig({ host: 'smtp.example.com', username: 'u', oauth2: { ...oauth2, request_headers: headers } });
      expect(c.secrets.requestHeaders).toEqual(expected);
    }
  });
});
