import pg from 'pg';
import type { Db, Queryable } from '../db.ts';

/** A pooled connection to a PostgreSQL server (`DATABASE_URL`). */
export function openPostgresDb(connectionString: string, options: { max?: number } = {}): PostgresDb {
  return new PostgresDb(new pg.Pool({ connectionString, max: options.max ?? 10 }));
}

export class PostgresDb implements Db {
  readonly kind = 'postgres' as const;
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async query<R>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
    const result = await this.#pool.query(sql, params as unknown[]);
    return result.rows as R[];
  }

  async exec(sql: string): Promise<void> {
    await this.#pool.query(sql);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn({
        query: async <R>(sql: string, params: readonly unknown[] = []) =>
          (await client.query(sql, params as unknown[])).rows as R[],
        exec: async (sql: string) => {
          await client.query(sql);
        },
      });
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  close(): Promise<void> {
    return this.#pool.end();
  }
}
