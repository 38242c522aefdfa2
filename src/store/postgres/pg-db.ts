import { createHash } from 'node:crypto';
import pg from 'pg';
import { isEnvelopeError } from '../../domain/errors.ts';
import type { Db, Queryable } from '../db.ts';
import { isConnectionFailure, translateDriverError } from './pg-errors.ts';

export interface PostgresDbOptions {
  /** Pool size (default 10). */
  max?: number;
  /** How long a request waits for a connection before it fails with a 503 (default 10 s). */
  connectionTimeoutMillis?: number;
  /**
   * Told about connection errors no request is waiting for (an idle pooled connection dropped by a
   * restarting server or a proxy). The pool discards that connection and opens a new one on demand.
   */
  onConnectionError?: (error: Error) => void;
}

/** A pooled connection to a PostgreSQL server (`DATABASE_URL`). */
export function openPostgresDb(connectionString: string, options: PostgresDbOptions = {}): PostgresDb {
  const pool = new pg.Pool({
    connectionString,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 10_000,
  });
  return new PostgresDb(pool, options.onConnectionError);
}

/**
 * PostgreSQL through a `pg` pool. Survives the server going away: idle connections that fail are
 * reported to `onConnectionError` and dropped (without a pool `'error'` listener Node would crash the
 * process), statements fail with a 503 while the server is unreachable, and the pool reconnects by
 * itself when it is back. See `translateDriverError` for what callers receive.
 */
/** Statement texts prepared per connection at most; later distinct texts run unprepared. */
const maxPreparedStatements = 500;
const preparedNames = new Map<string, string>();

/**
 * A parameterised statement as a named (prepared) query, so each connection parses and plans it once:
 * the delivery path runs the same few dozen statements for every device, and parse and plan were a
 * large part of PostgreSQL's CPU per request in the fleet benchmark. Statements without parameters
 * (DDL, SET, BEGIN) and texts beyond the first `maxPreparedStatements` run as before.
 */
function statement(sql: string, params: readonly unknown[]): pg.QueryConfig {
  if (params.length === 0) return { text: sql };
  let name = preparedNames.get(sql);
  if (name === undefined) {
    if (preparedNames.size >= maxPreparedStatements) return { text: sql, values: params as unknown[] };
    name = `envelope_${createHash('sha1').update(sql).digest('hex').slice(0, 20)}`;
    preparedNames.set(sql, name);
  }
  return { name, text: sql, values: params as unknown[] };
}

export class PostgresDb implements Db {
  readonly kind = 'postgres' as const;
  readonly #pool: pg.Pool;
  readonly #onConnectionError: (error: Error) => void;
  #closing: Promise<void> | undefined;

  constructor(pool: pg.Pool, onConnectionError: (error: Error) => void = () => undefined) {
    this.#pool = pool;
    this.#onConnectionError = onConnectionError;
    pool.on('error', (error) => this.#onConnectionError(error));
  }

  async query<R>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
    try {
      const result = await this.#pool.query(statement(sql, params));
      return result.rows as R[];
    } catch (error) {
      throw translateDriverError(error);
    }
  }

  async exec(sql: string): Promise<void> {
    await this.query(sql);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (error) {
      throw translateDriverError(error);
    }
    // A checked-out client has no pool listener: a connection error between two statements of this
    // transaction would otherwise be an unhandled 'error' event. The next statement fails instead.
    let broken: Error | undefined;
    const onError = (error: Error) => {
      broken = error;
      this.#onConnectionError(error);
    };
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const result = await fn({
        query: async <R>(sql: string, params: readonly unknown[] = []) =>
          (await client.query(statement(sql, params))).rows as R[],
        exec: async (sql: string) => {
          await client.query(sql);
        },
      });
      await client.query('COMMIT');
      return result;
    } catch (error) {
      if (!isEnvelopeError(error) && isConnectionFailure(error)) broken ??= error as Error;
      await client.query('ROLLBACK').catch((rollbackError: unknown) => {
        broken ??= rollbackError as Error;
      });
      throw translateDriverError(error);
    } finally {
      client.removeListener('error', onError);
      // Passing an error makes the pool discard the connection instead of reusing a broken one.
      client.release(broken);
    }
  }

  /** Ends the pool; later statements fail with a 503. Calling it again is harmless. */
  close(): Promise<void> {
    this.#closing ??= this.#pool.end();
    return this.#closing;
  }
}
