import { mkdirSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import type { Db, Queryable } from '../db.ts';
import { translateDriverError } from './pg-errors.ts';

/**
 * How old (ms) the data directory's lock may grow before another process may take it over: a
 * process killed with SIGKILL leaves a lock that expires after at most this long. The holder
 * refreshes the lock's mtime every lockRefreshMs from a worker thread, whose event loop PGlite's
 * WASM does not block.
 */
export const pgliteLockStaleMs = 10_000;
const lockRefreshMs = 2_000;

/** The PGlite data directory is locked by another process (a running server, or a CLI command). */
export class DataDirLockedError extends Error {
  readonly dataDir: string;

  constructor(dataDir: string) {
    super(`The database in ${dataDir} is in use by another process.`);
    this.name = 'DataDirLockedError';
    this.dataDir = dataDir;
  }
}

/**
 * Embedded PostgreSQL (PGlite, WASM, in-process). `dataDir` persists to disk; `undefined` keeps the
 * database in memory. `loadDataDir` starts from a dump (how tests clone an already-migrated database).
 *
 * PGlite is a single-process database: two processes opening one data directory corrupt it. So a
 * `dataDir` is first locked (`<dataDir>.lock`, proper-lockfile) for as long as the database is
 * open; when another live process holds the lock this throws DataDirLockedError without touching
 * the data. Losing the lock while open (another process took it over) throws from an event
 * handler, ending the process rather than writing alongside another.
 */
export async function openPgliteDb(options: { dataDir?: string; loadDataDir?: Blob } = {}): Promise<PgliteDb> {
  const { dataDir } = options;
  const release = dataDir ? await lockDataDir(dataDir) : null;
  try {
    const pg = await PGlite.create({ dataDir, loadDataDir: options.loadDataDir });
    return new PgliteDb(pg, release);
  } catch (error) {
    await release?.();
    throw error;
  }
}

/**
 * Takes the lock in a worker thread that then keeps it fresh (see pglite-lock-worker.ts) and
 * returns its release. A lost lock throws from the message handler: the process ends.
 */
async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  mkdirSync(dataDir, { recursive: true });
  const worker = new Worker(new URL('./pglite-lock-worker.ts', import.meta.url), {
    workerData: { dataDir, stale: pgliteLockStaleMs, update: lockRefreshMs },
  });
  const reply = (): Promise<LockWorkerMessage> => new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  const first = await reply();
  if (first.lockedBy) throw new DataDirLockedError(dataDir);
  if (!first.locked) throw new Error(`Cannot lock ${dataDir}: ${first.failed ?? 'the lock worker ended'}.`);
  worker.on('message', (message: LockWorkerMessage) => {
    if (message.compromised) {
      throw new Error(`Lost the lock on ${dataDir} (${message.compromised}); stopping so that two processes never write one database.`);
    }
  });
  return async () => {
    const released = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage('release');
    await released;
  };
}

interface LockWorkerMessage {
  locked?: true;
  lockedBy?: string;
  failed?: string;
  compromised?: string;
  released?: true;
}

export class PgliteDb implements Db {
  readonly kind = 'pglite' as const;
  readonly #pg: PGlite;
  readonly #releaseLock: (() => Promise<void>) | null;
  /** PGlite is one connection: transactions must not interleave with other statements. */
  #queue: Promise<unknown> = Promise.resolve();
  #closing: Promise<void> | undefined;

  constructor(pg: PGlite, releaseLock: (() => Promise<void>) | null = null) {
    this.#pg = pg;
    this.#releaseLock = releaseLock;
  }

  query<R>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
    return this.#serialised(async () => (await this.#pg.query<R>(sql, params as unknown[])).rows);
  }

  exec(sql: string): Promise<void> {
    return this.#serialised(async () => {
      await this.#pg.exec(sql);
    });
  }

  /** `TransactionOptions.asyncCommit` does not apply: PGlite dies with the server's process (decision 0015). */
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

  /**
   * A copy of the data directory as a tar (`gzip`: a .tar.gz), taken between statements — never
   * inside a transaction — so it is consistent: the backup command's source, and how tests clone a
   * migrated template. `openPgliteDb({ loadDataDir })` starts a database from it.
   */
  dump(compression: 'none' | 'gzip' = 'none'): Promise<Blob> {
    return this.#serialised(() => this.#pg.dumpDataDir(compression));
  }

  /**
   * Closes the database once pending statements ran, then releases the data directory's lock; later
   * statements fail with a 503. Calling it again is harmless.
   */
  close(): Promise<void> {
    this.#closing ??= this.#serialised(async () => {
      await this.#pg.close();
      await this.#releaseLock?.();
    });
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
