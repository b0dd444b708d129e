/**
 * The single-use, expiring links of password setup and password reset: 256 random bits in the link,
 * only their SHA-256 stored, spent by one conditional UPDATE so that two uses of one link can never
 * both succeed. The two flows differ in their table, in the account status they accept and in what
 * they do with the user once the token is spent; the token handling itself is this one piece.
 */
import { createHash, randomBytes } from 'node:crypto';
import { DomainError } from '@mailstrata/common';
import { checkPasswordPolicy, IdentityErrors, PasswordHasher } from '@mailstrata/identity';
import { DataSource, EntityManager } from 'typeorm';

/** A closed set: the table name goes into SQL text. */
export type OneTimeTokenTable = 'password_setup_tokens' | 'password_reset_tokens';

export interface OneTimeTokenKind {
  table: OneTimeTokenTable;
  /** The status the account must have for its link to work. */
  userStatus: 'pending' | 'active';
  /** The one answer for every unusable link (unknown, spent, superseded, expired), so none is told apart. */
  invalid: () => DomainError;
}

const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export const tokenHash = (token: string): Buffer => createHash('sha256').update(token).digest();

/** A new token for a link; store `tokenHash(token)`, send `token`. */
export const newToken = (): string => randomBytes(32).toString('base64url');

/**
 * Checks a link and the password chosen with it before anything is spent (so a weak choice does not
 * burn the link) and hashes the password; the token is spent later, in the caller's transaction.
 */
export async function prepareRedemption(
  dataSource: DataSource,
  hasher: PasswordHasher,
  kind: OneTimeTokenKind,
  token: string,
  password: string,
): Promise<{ hash: Buffer; passwordHash: string }> {
  if (!TOKEN_PATTERN.test(token)) throw kind.invalid();
  const hash = tokenHash(token);
  const [candidate] = await dataSource.query<Array<{ email: string }>>(
    `SELECT u.email FROM ${kind.table} t JOIN users u ON u.id = t.user_id
      WHERE t.token_hash = $1 AND t.consumed_at IS NULL AND t.superseded_at IS NULL AND t.expires_at > now() AND u.status = $2`,
    [hash, kind.userStatus],
  );
  if (!candidate) throw kind.invalid();
  const problems = checkPasswordPolicy(password, candidate.email, 'password');
  if (problems.length > 0) throw IdentityErrors.PASSWORD_POLICY(undefined, { errors: problems });
  return { hash, passwordHash: await hasher.hash(password) };
}

/** Spends the token in the caller's transaction and returns its user; a link used meanwhile is refused. */
export async function spendToken(manager: EntityManager, kind: OneTimeTokenKind, hash: Buffer): Promise<string> {
  const [consumed, count]: [Array<{ user_id: string }>, number] = await manager.query(
    `UPDATE ${kind.table} SET consumed_at = now()
      WHERE token_hash = $1 AND consumed_at IS NULL AND superseded_at IS NULL AND expires_at > now()
      RETURNING user_id`,
    [hash],
  );
  if (count !== 1) throw kind.invalid();
  return consumed[0]!.user_id;
}
