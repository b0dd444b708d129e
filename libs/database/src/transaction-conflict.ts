import { errorChain } from './error-chain';

/**
 * Postgres aborts a transaction it cannot order against another one: a deadlock (40P01) or, under
 * serializable isolation, a serialization failure (40001). Nothing of the aborted statement was
 * written, so a statement whose WHERE clause still holds can simply run again.
 */
const CONFLICT_SQLSTATES: ReadonlySet<string> = new Set(['40P01', '40001']);

/** True when `error` (or the driver error TypeORM wraps) is a deadlock or serialization failure. */
export function isTransactionConflict(error: unknown): boolean {
  for (const { code } of errorChain(error)) if (typeof code === 'string' && CONFLICT_SQLSTATES.has(code)) return true;
  return false;
}

/**
 * Runs `run` (one statement or transaction that is safe to repeat) again when Postgres aborted it as a
 * transaction conflict, up to `attempts` times in all, after a short random pause so that the two
 * sides of a deadlock do not meet again at once. Any other error, or the last conflict, is thrown.
 */
export async function retryOnConflict<T>(run: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await run();
    } catch (error) {
      if (attempt >= attempts || !isTransactionConflict(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));
    }
  }
}
