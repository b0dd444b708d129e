/**
 * Password hashing with Node's built-in scrypt (no native add-on to build or approve). The cost is in
 * the stored string, so PASSWORD_HASH_COST can rise later without breaking existing hashes.
 */
import { randomBytes, scrypt as scryptCb, ScryptOptions, timingSafeEqual } from 'node:crypto';
import { FieldError, fieldError } from '@mailstrata/common';
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as zxcvbnCommon from '@zxcvbn-ts/language-common';
import * as zxcvbnEn from '@zxcvbn-ts/language-en';

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

/**
 * Strength is estimated by zxcvbn (common passwords, dictionary words, keyboard walks, dates, repeats,
 * l33t), built once on first use (~250 ms). Only the first 32 characters are analysed: the estimate's
 * cost grows fast with length (adversarial 64-character inputs take ~0.7 s), and a password whose first
 * 32 characters are hard to guess is hard to guess.
 */
let estimator: ZxcvbnFactory | undefined;
function strength(password: string, userInputs: string[]) {
  estimator ??= new ZxcvbnFactory({
    translations: zxcvbnEn.translations,
    graphs: zxcvbnCommon.adjacencyGraphs,
    dictionary: { ...zxcvbnCommon.dictionary, ...zxcvbnEn.dictionary, userInputs },
    maxLength: STRENGTH_ANALYSED_LENGTH,
  });
  return estimator.check(password, userInputs);
}

const STRENGTH_ANALYSED_LENGTH = 32;
/** zxcvbn's 0–4 scale; 3 is "safely unguessable: moderate protection from offline slow-hash attacks". */
export const PASSWORD_MIN_SCORE = 3;

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 256;

/** NIST 800-63B style: length over composition rules, and nothing a guesser tries early (zxcvbn score ≥ 3). */
export function checkPasswordPolicy(password: string, email: string, field = 'password'): FieldError[] {
  const errors: FieldError[] = [];
  if (password.length < PASSWORD_MIN_LENGTH) {
    errors.push(fieldError(field, 'minLength', `must be at least ${PASSWORD_MIN_LENGTH} characters`));
  } else if (password.length > PASSWORD_MAX_LENGTH) {
    errors.push(fieldError(field, 'maxLength', `must be at most ${PASSWORD_MAX_LENGTH} characters`));
  } else if (new Set(password).size < 5) {
    errors.push(fieldError(field, 'weak', 'must use at least 5 different characters'));
  } else {
    const local = email.split('@')[0]?.toLowerCase() ?? '';
    if (local.length >= 4 && password.toLowerCase().includes(local)) {
      errors.push(fieldError(field, 'containsEmail', 'must not contain the email address'));
    } else {
      const result = strength(password, [email, local]);
      if (result.score < PASSWORD_MIN_SCORE) {
        // The estimator's feedback talks about patterns, never repeats the password.
        const advice = [result.feedback.warning, ...result.feedback.suggestions].filter((s): s is string => !!s).join(' ');
        errors.push(fieldError(field, 'strength', `is too easy to guess${advice ? `: ${advice}` : ''}`));
      }
    }
  }
  return errors;
}
