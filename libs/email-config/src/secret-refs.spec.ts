import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mergeSmtpPatch, validateSmtpConfig } from './smtp-config.validation';
import { NO_REFS, ownerDirOf, readRefs, SecretRefError, secretRefNameProblem, SecretRefOwner, SecretRefReader } from './secret-refs';
import { resolveCandidateCredentials, StoredProfileSecrets } from './secret-rules';
import { NO_SECRETS } from './smtp-settings';

const PARTNER_A = '0b9f3c1e-1111-4a4a-8a8a-aaaaaaaaaaaa';
const PARTNER_B = '0b9f3c1e-2222-4b4b-8b8b-bbbbbbbbbbbb';
const ORG = '0b9f3c1e-3333-4c4c-8c8c-cccccccccccc';
const A: SecretRefOwner = { kind: 'partner', partnerId: PARTNER_A };
const SECRET = 'the-secret-content-Z9';

function failureOf(run: () => unknown): SecretRefError {
  try {
    run();
  } catch (error) {
    if (error instanceof SecretRefError) return error;
    throw error;
  }
  throw new Error('expected a SecretRefError');
}

describe('secret reference names', () => {
  it.each(['password', 'smtp/password', '..data/password', 'client.key', 'a_b-c.d'])('accepts %s', (name) => {
    expect(secretRefNameProblem(name)).toBeNull();
  });

  it.each<[string, RegExp]>([
    ['../x', /"\.\."/],
    ['a/../../b', /"\.\."/],
    ['./password', /"\.\."/],
    ['..', /"\.\."/],
    ['/etc/passwd', /relative/],
    ['\\\\host\\share', /relative/],
    ['C:password', /relative/],
    ['a//b', /empty path segments/],
    ['a/', /empty path segments/],
    ['pass word', /only letters/],
    ['pass\nword', /only letters/],
    ['', /empty/],
    ['x'.repeat(256), /at most 255/],
  ])('refuses %j', (name, message) => {
    expect(secretRefNameProblem(name)).toMatch(message);
  });

  it('gives each owner a directory of its own, none inside another', () => {
    expect(ownerDirOf(A)).toBe(`partners/${PARTNER_A}`);
    expect(ownerDirOf({ kind: 'org', orgId: ORG })).toBe(`orgs/${ORG}`);
    expect(ownerDirOf({ kind: 'controller' })).toBe('controller');
    expect(() => ownerDirOf({ kind: 'partner', partnerId: '../controller' })).toThrow(/not a UUID/);
  });
});

describe('SecretRefReader', () => {
  let root: string;
  let reader: SecretRefReader;
  const dirOf = (owner: SecretRefOwner) => join(root, ownerDirOf(owner));
  const aDir = () => dirOf(A);

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'mailstrata-refs-'));
    reader = new SecretRefReader(root);
    mkdirSync(aDir(), { recursive: true });
    mkdirSync(dirOf({ kind: 'partner', partnerId: PARTNER_B }), { recursive: true });
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('reads a file in the owner’s directory, without its trailing line break, and re-reads it after a rewrite', () => {
    writeFileSync(join(aDir(), 'password'), `${SECRET}\n`);
    const first = reader.read(A, 'password', 1024);
    expect(first.value).toBe(SECRET);
    writeFileSync(join(aDir(), 'password'), 'rotated-secret-2\r\n');
    const second = reader.read(A, 'password', 1024);
    expect(second.value).toBe('rotated-secret-2');
    expect(second.digest).not.toBe(first.digest);
    expect(second.digest).not.toContain('rotated');
  });

  it('follows a Kubernetes Secret volume’s ..data symlinks inside the directory, through an atomic swap', () => {
    const dir = aDir();
    mkdirSync(join(dir, '..2026_11_30_a'));
    writeFileSync(join(dir, '..2026_11_30_a', 'password'), 'first-version');
    symlinkSync('..2026_11_30_a', join(dir, '..data'));
    symlinkSync('..data/password', join(dir, 'password'));
    expect(reader.read(A, 'password', 1024).value).toBe('first-version');
    // What the kubelet does: a new timestamped directory, a temporary link to it renamed over ..data.
    mkdirSync(join(dir, '..2026_11_30_b'));
    writeFileSync(join(dir, '..2026_11_30_b', 'password'), 'second-version');
    symlinkSync('..2026_11_30_b', join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
    rmSync(join(dir, '..2026_11_30_a'), { recursive: true });
    expect(reader.read(A, 'password', 1024).value).toBe('second-version');
  });

  it('refuses a symlink to a file outside the directory, another tenant’s file included', () => {
    writeFileSync(join(root, 'outside'), SECRET);
    writeFileSync(join(dirOf({ kind: 'partner', partnerId: PARTNER_B }), 'password'), SECRET);
    symlinkSync(join(root, 'outside'), join(aDir(), 'absolute-link'));
    symlinkSync('../../outside', join(aDir(), 'relative-link'));
    symlinkSync(`../${PARTNER_B}/password`, join(aDir(), 'neighbour'));
    symlinkSync(root, join(aDir(), 'dir-link'));
    for (const ref of ['absolute-link', 'relative-link', 'neighbour', 'dir-link/outside']) {
      expect([ref, failureOf(() => reader.read(A, ref, 1024)).reason]).toEqual([ref, 'outside']);
    }
  });

  it('refuses names that climb out before looking at any file', () => {
    writeFileSync(join(root, 'outside'), SECRET);
    expect(failureOf(() => reader.read(A, '../../outside', 1024)).reason).toBe('invalid_name');
    expect(failureOf(() => reader.read(A, join(root, 'outside'), 1024)).reason).toBe('invalid_name');
    expect(failureOf(() => reader.read(A, `../${PARTNER_B}/password`, 1024)).reason).toBe('invalid_name');
  });

  it('names what is wrong with a file, never its content', () => {
    writeFileSync(join(aDir(), 'empty'), '\n');
    writeFileSync(join(aDir(), 'big'), `${SECRET}${'x'.repeat(2000)}`);
    mkdirSync(join(aDir(), 'a-dir'));
    execFileSync('mkfifo', [join(aDir(), 'fifo')]);
    symlinkSync('nowhere', join(aDir(), 'dangling'));
    const cases: Array<[string, string]> = [
      ['missing', 'missing'],
      ['dangling', 'missing'],
      ['empty', 'empty'],
      ['big', 'too_large'],
      ['a-dir', 'not_file'],
      ['fifo', 'not_file'],
    ];
    for (const [ref, reason] of cases) {
      const error = failureOf(() => reader.read(A, ref, 1024));
      expect([ref, error.reason]).toEqual([ref, reason]);
      expect(error.message).not.toContain(SECRET);
    }
    // The owner's directory itself not mounted yet: the same as a missing file.
    expect(failureOf(() => reader.read({ kind: 'org', orgId: ORG }, 'password', 1024)).reason).toBe('missing');
  });

  it('refuses every reference when no directory is configured', () => {
    expect(failureOf(() => new SecretRefReader(undefined).read(A, 'password', 1024)).reason).toBe('disabled');
  });

  it('reads a profile’s references into values and field errors', () => {
    writeFileSync(join(aDir(), 'password'), SECRET);
    const ok = readRefs(reader, A, { ...NO_REFS, password: 'password' }, 'email_config.smtp_config');
    expect(ok).toEqual({ values: { password: SECRET }, digest: expect.stringMatching(/^password:/), errors: [] });
    const bad = readRefs(reader, A, { password: 'password', clientSecret: 'gone', clientKey: '../x' }, 'smtp_config');
    expect(bad.errors).toEqual([
      { field: 'smtp_config.oauth2.client_secret_ref', rule: 'secretRefExists', message: expect.any(String) },
      { field: 'smtp_config.client_key_ref', rule: 'secretRefName', message: expect.any(String) },
    ]);
    expect(JSON.stringify(bad.errors)).not.toContain(SECRET);
  });
});

describe('secret references in smtp_config', () => {
  const base = { host: 'smtp.example.com', port: 587, use_tls: true, username: 'u' };
  const errorsOf = (raw: Record<string, unknown>) => {
    try {
      validateSmtpConfig(raw, 'c');
    } catch (error) {
      return (error as { errors: Array<{ field: string; rule: string }> }).errors.map(({ field, rule }) => ({ field, rule }));
    }
    throw new Error('expected a validation error');
  };

  it('accepts a reference instead of a secret, and refuses both at once or a bad name', () => {
    expect(validateSmtpConfig({ ...base, password_ref: 'password' }).refs).toEqual({
      password: 'password',
      clientSecret: undefined,
      clientKey: undefined,
    });
    expect(errorsOf({ ...base, password: 'p', password_ref: 'password' })).toEqual([
      { field: 'c.password_ref', rule: 'exclusiveWithSecret' },
    ]);
    expect(errorsOf({ ...base, password_ref: '../password' })).toEqual([{ field: 'c.password_ref', rule: 'secretRefName' }]);
    expect(errorsOf({ ...base, password_ref: '/run/secrets/password' })).toEqual([{ field: 'c.password_ref', rule: 'secretRefName' }]);
    expect(errorsOf({ ...base, client_key_ref: 'client.key', password_ref: 'p' })).toEqual([
      { field: 'c.client_key_ref', rule: 'notAllowed' },
    ]);
    expect(errorsOf({ ...base, auth_type: 'none', username: undefined, password_ref: 'p' })).toEqual([
      { field: 'c.password_ref', rule: 'notAllowed' },
    ]);
  });

  it('keeps a stored reference only for an unchanged destination, like a stored secret', () => {
    const stored: StoredProfileSecrets = {
      ...validateSmtpConfig({ ...base, password_ref: 'password' }),
      secrets: NO_SECRETS,
      refs: { ...NO_REFS, password: 'password' },
    };
    const same = resolveCandidateCredentials(validateSmtpConfig({ ...base, sender_name: 'Ops' }), stored);
    expect(same).toEqual({ secrets: NO_SECRETS, refs: { ...NO_REFS, password: 'password' } });
    expect(() => resolveCandidateCredentials(validateSmtpConfig({ ...base, host: 'elsewhere.example.com' }), stored)).toThrow(
      expect.objectContaining({ code: 'SECRET_REQUIRED' }),
    );
    const resent = resolveCandidateCredentials(
      validateSmtpConfig({ ...base, host: 'elsewhere.example.com', password_ref: 'password' }),
      stored,
    );
    expect(resent.refs.password).toBe('password');
    // A literal replaces the reference, and the other way round.
    const literal = resolveCandidateCredentials(validateSmtpConfig({ ...base, password: 'lit' }), stored);
    expect([literal.secrets.password, literal.refs.password]).toEqual(['lit', null]);
    const backToRef = resolveCandidateCredentials(validateSmtpConfig({ ...base, password_ref: 'other' }), {
      ...stored,
      secrets: { ...NO_SECRETS, password: 'lit' },
      refs: NO_REFS,
    });
    expect([backToRef.secrets.password, backToRef.refs.password]).toEqual([null, 'other']);
  });

  it('PATCH: null clears a reference, a secret replaces it, a reference replaces a secret', () => {
    const settings = validateSmtpConfig({ ...base, password_ref: 'password' }).settings;
    const stored: StoredProfileSecrets = { settings, secrets: NO_SECRETS, refs: { ...NO_REFS, password: 'password' } };
    const patched = (patch: Record<string, unknown>) =>
      resolveCandidateCredentials(validateSmtpConfig(mergeSmtpPatch(settings, patch)), stored);
    expect(() => patched({ password_ref: null })).toThrow(expect.objectContaining({ code: 'SECRET_REQUIRED' }));
    expect(patched({ password: 'lit' })).toEqual({ secrets: { ...NO_SECRETS, password: 'lit' }, refs: NO_REFS });
    expect(patched({ password_ref: 'rotated/password' }).refs.password).toBe('rotated/password');
    expect(patched({ sender_name: 'Ops' }).refs.password).toBe('password');
  });
});
