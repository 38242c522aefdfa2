import { PGlite } from '@electric-sql/pglite';
import type { Db, Queryable } from '../db.ts';
import { translateDriverError } from './pg-errors.ts';

/**
 * Embedded PostgreSQL (PGlite, WASM, in-process). `dataDir` persists to disk; `undefined` keeps the
 * database in memory. `loadDataDir` starts from a dump (how tests clone an already-migrated database).
 */
export async function openPgliteDb(options: { dataDir?: string; loadDataDir?: Blob } = {}): Promise<PgliteDb> {
  const pg = await PGlite.create({ dataDir: options.dataDir, loadDataDir: options.loadDataDir });
  return new PgliteDb(pg);
}

export class PgliteDb implements Db {
  readonly kind = 'pglite' as const;
  readonly #pg: PGlite;
  /** PGlite is one connection: transactions must not interleave with other statements. */
  #queue: Promise<unknown> = Promise.resolve();
  #closing: Promise<void> | undefined;

  constructor(pg: PGlite) {
    this.#pg = pg;
  }

  query<R>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
    return this.#serialised(async () => (await this.#pg.query<R>(sql, params as unknown[])).rows);
  }

  exec(sql: string): Promise<void> {
    return this.#serialised(async () => {
      await this.#pg.exec(sql);
    });
  }

  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.#serialised(() =>
      this.#pg.transaction(async (tx) =>
        fn({
          query: async <R>(sql: string, params: readonly unknown[] = []) => (await tx.query<R>(sql, params as unknown[])).rows,
          exec: async (sql: string) => {
            await tx.exec(sql);
          },
        }),
      ),
    );
  }

  /** A compressed copy of the data directory (used to clone a migrated template in tests). */
  dump(): Promise<Blob> {
    return this.#serialised(() => this.#pg.dumpDataDir('none'));
  }

  /** Closes the database once pending statements ran; later ones fail with a 503. Calling it again is harmless. */
  close(): Promise<void> {
    this.#closing ??= this.#serialised(() => this.#pg.close());
    return this.#closing;
  }

  /** Runs `task` after every earlier one; a closed database fails it with a 503 (`translateDriverError`). */
  #serialised<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task, task);
    this.#queue = run.catch(() => undefined);
    return run.catch((error: unknown) => {
      throw translateDriverError(error);
    });
  }
}
