/**
 * Password hashing with Node's built-in scrypt (no native add-on to build or approve). The cost is in
 * the stored string, so PASSWORD_HASH_COST can rise later without breaking existing hashes.
 */
import { randomBytes, scrypt as scryptCb, ScryptOptions, timingSafeEqual } from 'node:crypto';
import { FieldError, fieldError } from '@mailstrata/common';

const KEY_LENGTH = 32;
const R = 8;
const P = 1;

function scrypt(password: string, salt: Buffer, cost: number): Promise<Buffer> {
  const N = 2 ** cost;
  const options: ScryptOptions = { N, r: R, p: P, maxmem: 256 * N * R + 1024 * 1024 };
  return new Promise((resolve, reject) =>
    scryptCb(password.normalize('NFKC'), salt, KEY_LENGTH, options, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export class PasswordHasher {
  /** A hash of nothing in particular, verified against when the email is unknown, to equalise timing. */
  private dummy: Promise<string> | undefined;

  constructor(private readonly cost: number) {}

  async hash(password: string): Promise<string> {
    const salt = randomBytes(16);
    const key = await scrypt(password, salt, this.cost);
    return `$scrypt$ln=${this.cost},r=${R},p=${P}$${salt.toString('base64')}$${key.toString('base64')}`;
  }

  async verify(stored: string | null | undefined, password: string): Promise<boolean> {
    const target = stored ?? (await (this.dummy ??= this.hash(randomBytes(16).toString('hex'))));
    const match = /^\$scrypt\$ln=(\d+),r=8,p=1\$([^$]+)\$([^$]+)$/.exec(target);
    if (!match) return false;
    const key = await scrypt(password, Buffer.from(match[2]!, 'base64'), Number(match[1]));
    const expected = Buffer.from(match[3]!, 'base64');
    return stored != null && key.length === expected.length && timingSafeEqual(key, expected);
  }
}

const COMMON = new Set([
  'password',
  'password123',
  'password1234',
  '123456789012',
  'qwertyuiopas',
  'letmeinplease',
  'administrator',
  'changeme1234',
  'welcome12345',
  'iloveyou1234',
  'passw0rd1234',
  'mailstrata123',
]);

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 256;

/** NIST 800-63B style: length over composition rules, and no obvious choices. */
export function checkPasswordPolicy(password: string, email: string, field = 'password'): FieldError[] {
  const errors: FieldError[] = [];
  if (password.length < PASSWORD_MIN_LENGTH) {
    errors.push(fieldError(field, 'minLength', `must be at least ${PASSWORD_MIN_LENGTH} characters`));
  } else if (password.length > PASSWORD_MAX_LENGTH) {
    errors.push(fieldError(field, 'maxLength', `must be at most ${PASSWORD_MAX_LENGTH} characters`));
  } else if (new Set(password).size < 5) {
    errors.push(fieldError(field, 'weak', 'must use at least 5 different characters'));
  } else if (COMMON.has(password.toLowerCase())) {
    errors.push(fieldError(field, 'common', 'is too common'));
  } else {
    const local = email.split('@')[0]?.toLowerCase() ?? '';
    if (local.length >= 4 && password.toLowerCase().includes(local)) {
      errors.push(fieldError(field, 'containsEmail', 'must not contain the email address'));
    }
  }
  return errors;
}
