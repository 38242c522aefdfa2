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

export interface TransactionOptions {
  /**
   * The commit does not wait for the WAL flush (`synchronous_commit = off` for this transaction):
   * device transactions on a PostgreSQL server (decision 0015). Set in the same round trip as
   * `BEGIN`. PGlite ignores it: it lives in the server's process, so a killed server would lose it.
   */
  asyncCommit?: boolean;
}

export interface Db extends Queryable {
  /** Runs `fn` in a transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>, options?: TransactionOptions): Promise<T>;
  close(): Promise<void>;
  /** `pglite` or `postgres`, for logs and /healthz. */
  readonly kind: 'pglite' | 'postgres';
}
