import { REDACTED, redactSecrets, WITHHELD } from './redaction';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

describe('redactSecrets', () => {
  const password = 'S3cr3t-pässword!';
  const token = 'eyJhbGciOi.tok-123_abc';

  it.each([
    ['plain', `535 bad password ${password}`],
    ['AUTH PLAIN', `535 got ${b64(`\0mailer\0${password}`)}`],
    ['AUTH PLAIN with authzid', `535 got ${b64(`admin\0mailer\0${password}`)}`],
    ['AUTH LOGIN', `535 got ${b64(password)}`],
    ['XOAUTH2', `535 got ${b64(`user=mailer@x.test\x01auth=Bearer ${token}\x01\x01`)}`],
    ['base64url, glued to other text', `535 x${b64(`\0u\0${password}`).replace(/\+/g, '-').replace(/\//g, '_')}`],
    ['form-encoded', `400 client_secret=${encodeURIComponent(password)}`],
    ['JSON-escaped', `400 {"p":${JSON.stringify(`a"${password}`)}}`],
  ])('removes a secret sent %s', (_label, text) => {
    const out = redactSecrets(text, [password, token]);
    expect(out).toContain(REDACTED);
    expect(out).not.toContain(password);
    expect(out).not.toContain(token);
    for (const form of [b64(password), b64(`\0mailer\0${password}`)]) expect(out).not.toContain(form);
    expect(out.slice(0, 3)).toMatch(/^\d{3}$/);
  });

  it('leaves text without secrets alone', () => {
    const text = '535 5.7.8 Authentication credentials invalid (AHVzZXIAb3RoZXI=)';
    expect(redactSecrets(text, [password])).toBe(text);
    expect(redactSecrets(null, [password])).toBeNull();
  });

  it('withholds the whole text when a secret too short to search for piecewise appears', () => {
    expect(redactSecrets('535 bad pw abc', ['abc'])).toBe(WITHHELD);
    expect(redactSecrets(`535 ${b64('\0u\0abc')}`, ['abc'])).toBe(WITHHELD);
    expect(redactSecrets('535 nope', ['xyz'])).toBe('535 nope');
  });
});
