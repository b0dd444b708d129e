import { checkPasswordPolicy, PasswordHasher } from './password';

describe('PasswordHasher', () => {
  const hasher = new PasswordHasher(10);

  it('verifies the right password and refuses a wrong one', async () => {
    const hash = await hasher.hash('a long enough passphrase');
    expect(hash).toMatch(/^\$scrypt\$ln=10,r=8,p=1\$/);
    expect(await hasher.verify(hash, 'a long enough passphrase')).toBe(true);
    expect(await hasher.verify(hash, 'a long enough passphrasE')).toBe(false);
  });

  it('salts every hash', async () => {
    expect(await hasher.hash('same input here')).not.toBe(await hasher.hash('same input here'));
  });

  it('keeps verifying hashes made at another cost', async () => {
    const old = await new PasswordHasher(11).hash('older passphrase');
    expect(await hasher.verify(old, 'older passphrase')).toBe(true);
  });

  it('never accepts a missing hash, even with the dummy hash’s input shape', async () => {
    expect(await hasher.verify(null, '')).toBe(false);
    expect(await hasher.verify(undefined, 'anything at all')).toBe(false);
    expect(await hasher.verify('garbage', 'anything at all')).toBe(false);
  });
});

describe('checkPasswordPolicy', () => {
  it.each([
    ['short', 'minLength'],
    ['aaaaaaaaaaaaaaaa', 'weak'],
    ['password1234', 'strength'],
    ['password123456', 'strength'],
    ['qwertyuiop1234', 'strength'],
    ['alice-is-the-best-2026', 'containsEmail'],
  ])('refuses %s (%s)', (password, rule) => {
    expect(checkPasswordPolicy(password, 'alice@example.com')).toEqual([expect.objectContaining({ field: 'password', rule })]);
  });

  it('explains a weak password with the estimator’s feedback, without repeating it', () => {
    const [error] = checkPasswordPolicy('password123456', 'alice@example.com', 'admin.password');
    expect(error).toMatchObject({ field: 'admin.password', rule: 'strength' });
    expect(error!.message).toMatch(/^is too easy to guess: .*common/i);
    expect(error!.message).not.toContain('password123456');
  });

  it.each([
    'correct horse battery staple',
    'tenant-passphrase-2026',
    'controller-secret-9000',
    'a long passphrase',
    'mailstrata-admin-dev',
  ])('accepts %s (the passphrases the tests and README use)', (password) => {
    expect(checkPasswordPolicy(password, 'alice@example.com')).toEqual([]);
  });
});
