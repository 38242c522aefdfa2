/**
 * The one database seam. Everything above `store/postgres/` talks to PostgreSQL through this narrow
 * interface, so the same SQL runs on embedded PGlite and on a PostgreSQL server.
 */
export interface Queryable {
  /** Runs one parameterised statement (`$1`, `$2`, …) and returns its rows. */
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Db extends Queryable {
  /** Runs `fn` in a transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  /** `pglite` or `postgres`, for logs and /healthz. */
  readonly kind: 'pglite' | 'postgres';
}
