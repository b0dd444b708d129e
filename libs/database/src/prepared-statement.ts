/**
 * Statements on the email hot path (enqueue, claim, booking) run as named prepared statements: pg
 * parses and plans them once per pooled connection instead of on every call, because planning a
 * short statement such as the enqueue's two-insert CTE costs Postgres more than executing it.
 *
 * TypeORM passes the query through to `pg` untouched, and `pg` takes a `{ name, text }` config in a
 * query's place, so the statement keeps running on the caller's connection and transaction, with
 * TypeORM's result shapes and `QueryFailedError`. Behind PgBouncer in transaction mode this needs
 * PgBouncer 1.21 or later with `max_prepared_statements` set (see the README).
 */
import { DataSource, EntityManager } from 'typeorm';

export class PreparedStatement {
  private static readonly names = new Set<string>();

  /** `name` must be unique in the process: pg refuses one name for two texts on a connection. */
  constructor(
    readonly name: string,
    readonly text: string,
  ) {
    if (PreparedStatement.names.has(name)) throw new Error(`prepared statement ${name} is defined twice`);
    PreparedStatement.names.add(name);
  }

  /** Same result as `executor.query(text, values)`. */
  run<T = unknown>(executor: EntityManager | DataSource, values: unknown[]): Promise<T> {
    return executor.query(this.config() as unknown as string, values) as Promise<T>;
  }

  private config(): { name: string; text: string } {
    return { name: this.name, text: this.text };
  }
}
