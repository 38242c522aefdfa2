import { AsyncLocalStorage } from 'node:async_hooks';
import type { Db, Queryable, TransactionOptions } from '../db.ts';
import { translateDriverError } from './pg-errors.ts';

/** The open transaction of one request, shared by every statement of its async context. */
interface Scope {
  tx: Queryable;
  /** The request's statements run one after another on its one transaction. */
  queue: Promise<unknown>;
  savepoints: { n: number };
  /** True inside a statement or nested transaction the scope is running: calls there use `tx` directly. */
  held: boolean;
  /** Set once committed or rolled back: later statements of the context (a timer it started) use the database as usual. */
  closed: { value: boolean };
  afterCommit: (() => void)[];
}

/** One request's transaction: statements of `run`'s async context go into it until `commit` or `rollback`. */
export interface RequestTransaction {
  run<T>(fn: () => T): T;
  /** One statement in the transaction, after those already sent. */
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /** Commits; rejects (translated: a 503 when the database is gone, 409 on a serialization failure) when COMMIT fails. */
  commit(): Promise<void>;
  rollback(): Promise<void>;
  readonly open: boolean;
}

const rollbackSignal = new Error('request transaction rolled back');

/**
 * A `Db` whose statements can join a request's transaction (decision 0032): `begin()` opens one
 * transaction; inside `run`, every `query`/`exec` of the async context goes into it (each in a
 * savepoint, so a failing statement that the caller catches — a unique violation turned into a 409 —
 * leaves the transaction usable, as it left autocommit before) and every `transaction(fn)` becomes a
 * savepoint of it (committed with the request, rolled back alone when `fn` throws). Outside a
 * request's context it is the database as before. The audit trail uses it to insert a write's audit
 * event in the write's transaction; services need no change.
 */
export class RequestTransactionDb implements Db {
  readonly #base: Db;
  readonly #als = new AsyncLocalStorage<Scope>();

  constructor(base: Db) {
    this.#base = base;
  }

  get kind(): Db['kind'] {
    return this.#base.kind;
  }

  /** The database without any request's transaction. */
  get base(): Db {
    return this.#base;
  }

  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]> {
    const scope = this.#open();
    if (!scope) return this.#base.query<R>(sql, params);
    if (scope.held) return scope.tx.query<R>(sql, params);
    return this.#queued(scope, () => this.#base.query<R>(sql, params), () => this.#savepoint(scope, (tx) => tx.query<R>(sql, params)));
  }

  exec(sql: string): Promise<void> {
    const scope = this.#open();
    if (!scope) return this.#base.exec(sql);
    if (scope.held) return scope.tx.exec(sql);
    return this.#queued(scope, () => this.#base.exec(sql), () => this.#savepoint(scope, (tx) => tx.exec(sql)));
  }

  transaction<T>(fn: (tx: Queryable) => Promise<T>, options?: TransactionOptions): Promise<T> {
    const scope = this.#open();
    if (!scope) return this.#base.transaction(fn, options);
    if (scope.held) return this.#savepoint(scope, fn);
    return this.#queued(scope, () => this.#base.transaction(fn, options), () => this.#savepoint(scope, fn));
  }

  /**
   * Runs `fn` once the current request's transaction has committed (never if it rolls back), outside
   * its context; at once when there is none. For nudging workers: a worker woken inside the request
   * would read through it, and a device it pushes could ask before the change is visible.
   */
  afterCommit(fn: () => void): void {
    const scope = this.#open();
    if (scope) scope.afterCommit.push(fn);
    else this.#als.exit(fn);
  }

  close(): Promise<void> {
    return this.#base.close();
  }

  /** Opens a transaction for one request. Rejects (translated) when the database cannot begin one. */
  async begin(): Promise<RequestTransaction> {
    let ready!: (tx: Queryable) => void;
    let decide!: (commit: boolean) => void;
    const began = new Promise<Queryable>((resolve) => {
      ready = resolve;
    });
    const decided = new Promise<boolean>((resolve) => {
      decide = resolve;
    });
    const done = this.#base.transaction(async (tx) => {
      ready(tx);
      if (!(await decided)) throw rollbackSignal;
    });
    done.catch(() => undefined);
    const tx = await Promise.race([began, done.then(() => Promise.reject(new Error('request transaction ended before it began')))]);
    const scope: Scope = { tx, queue: Promise.resolve(), savepoints: { n: 0 }, held: false, closed: { value: false }, afterCommit: [] };
    const finish = async (commit: boolean): Promise<void> => {
      if (scope.closed.value) return;
      await scope.queue;
      scope.closed.value = true;
      decide(commit);
      try {
        await done;
      } catch (error) {
        if (error === rollbackSignal) return;
        throw translateDriverError(error);
      }
      if (commit) for (const fn of scope.afterCommit) this.#als.exit(fn);
    };
    return {
      run: (fn) => this.#als.run(scope, fn),
      query: <R>(sql: string, params?: readonly unknown[]) => this.#als.run(scope, () => this.query<R>(sql, params)),
      commit: () => finish(true),
      rollback: () => finish(false),
      get open() {
        return !scope.closed.value;
      },
    };
  }

  #open(): Scope | undefined {
    const scope = this.#als.getStore();
    return scope && !scope.closed.value ? scope : undefined;
  }

  /** After the request's earlier statements; on the plain database if the request's transaction ended meanwhile. */
  #queued<T>(scope: Scope, outside: () => Promise<T>, inside: () => Promise<T>): Promise<T> {
    const run = scope.queue.then(() => (scope.closed.value ? this.#als.exit(outside) : inside()));
    scope.queue = run.catch(() => undefined);
    return run;
  }

  async #savepoint<T>(scope: Scope, fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const name = `envelope_request_${++scope.savepoints.n}`;
    await scope.tx.query(`SAVEPOINT ${name}`);
    try {
      const result = await this.#als.run({ ...scope, held: true }, () => fn(scope.tx));
      await scope.tx.query(`RELEASE SAVEPOINT ${name}`);
      return result;
    } catch (error) {
      await scope.tx.query(`ROLLBACK TO SAVEPOINT ${name}`).catch(() => undefined);
      throw translateDriverError(error);
    }
  }
}
