import { readdirSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Db } from '../db.ts';

const migrationsDir = join(import.meta.dirname, 'migrations');

export interface Migration {
  version: number;
  name: string;
  /** `NNNN_name.sql`, how admins see it. */
  file: string;
  sql: string;
}

/** The numbered SQL files (`NNNN_name.sql`) in order. */
export function listMigrations(): Migration[] {
  return readdirSync(migrationsDir)
    .filter((file) => /^\d{4}_[a-z0-9_]+\.sql$/.test(file))
    .sort()
    .map((file) => ({
      version: Number(file.slice(0, 4)),
      name: file.slice(5, -4),
      file,
      sql: readFileSync(join(migrationsDir, file), 'utf8'),
    }));
}

/** A fingerprint of all migrations: test templates built from an older set are not reused. */
export function migrationsFingerprint(): string {
  const hash = createHash('sha256');
  for (const m of listMigrations()) hash.update(`${m.version}:${m.sql}\n`);
  return hash.digest('hex').slice(0, 16);
}

/**
 * Applies every migration not yet recorded in `schema_migrations`, each in its own transaction, and
 * returns the files it applied (`NNNN_name.sql`, in order; empty when the database was up to date).
 * Safe when several server processes start at once on one PostgreSQL: a transaction-scoped advisory
 * lock serialises them, and each re-reads what is applied after taking it.
 */
export async function migrate(db: Db): Promise<string[]> {
  await db.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer PRIMARY KEY,
    name text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`);
  const applied: string[] = [];
  for (const migration of listMigrations()) {
    const didApply = await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(4242001)');
      const done = await tx.query('SELECT 1 FROM schema_migrations WHERE version = $1', [migration.version]);
      if (done.length > 0) return false;
      await tx.exec(migration.sql);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
      return true;
    });
    if (didApply) applied.push(migration.file);
  }
  return applied;
}

/** The migrations recorded in `schema_migrations`, as `NNNN_name.sql`, in order. */
export async function appliedMigrations(db: Db): Promise<string[]> {
  const rows = await db.query<{ version: number; name: string }>('SELECT version, name FROM schema_migrations ORDER BY version');
  return rows.map((row) => `${String(row.version).padStart(4, '0')}_${row.name}.sql`);
}
