/** What the database errors we classify carry: pg's SQLSTATE or socket code, and a message. */
export interface ErrorLink {
  code?: unknown;
  message?: unknown;
}

/**
 * An error and those it wraps (TypeORM's `driverError`, a `cause`), outermost first, at most three deep:
 * a Postgres error reaches callers bare from pg, or wrapped once or twice by TypeORM.
 */
export function* errorChain(error: unknown): Generator<ErrorLink> {
  for (let e: unknown = error, depth = 0; e && typeof e === 'object' && depth < 3; depth++) {
    yield e as ErrorLink;
    e = (e as { driverError?: unknown; cause?: unknown }).driverError ?? (e as { cause?: unknown }).cause;
  }
}
