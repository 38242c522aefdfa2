// The benches' databases: a fresh PostgreSQL database per run on the server named by the caller,
// BENCH_DATABASE_URL or the local default (dropped after the run), or PGlite (in memory, or in a
// directory a server child process can open once the bench has closed it).
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Db } from '../src/store/db.ts';
import { openPostgresDb } from '../src/store/postgres/pg-db.ts';
import { openPgliteDb } from '../src/store/postgres/pglite-db.ts';

export const defaultBenchDatabaseUrl = 'postgres://postgres@127.0.0.1:5432/postgres';

/** The PostgreSQL server a bench uses: `url`, else BENCH_DATABASE_URL, else the local default. */
export function benchServerUrl(url?: string | null): string {
  return url ?? process.env.BENCH_DATABASE_URL ?? defaultBenchDatabaseUrl;
}

export interface BenchDatabase {
  /** `envelope_bench_<random>`. */
  name: string;
  url: string;
  /** Drops it (FORCE: a server child process still connected does not hold it). */
  drop(): Promise<void>;
}

/** Creates `envelope_bench_<random>` on `serverUrl` (empty, not migrated). */
export async function createBenchDatabase(serverUrl: string): Promise<BenchDatabase> {
  const name = `envelope_bench_${randomBytes(6).toString('hex')}`;
  await adminQuery(serverUrl, `CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return { name, url: url.toString(), drop: () => adminQuery(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/**
 * A database for a bench running in this process: a fresh one on the PostgreSQL server `serverUrl`,
 * or PGlite when `serverUrl` is null (`pgliteDataDir`, default in memory). Not migrated.
 */
export async function openBenchDb(serverUrl: string | null, options: { pgliteDataDir?: string; max?: number } = {}): Promise<{ db: Db; database: BenchDatabase | null; drop(): Promise<void> }> {
  if (serverUrl === null) {
    return { db: await openPgliteDb(options.pgliteDataDir ? { dataDir: options.pgliteDataDir } : {}), database: null, drop: async () => undefined };
  }
  const database = await createBenchDatabase(serverUrl);
  return { db: openPostgresDb(database.url, options.max ? { max: options.max } : {}), database, drop: () => database.drop() };
}

async function adminQuery(serverUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
