import { existsSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config } from '../config.ts';
import { appliedMigrations } from '../store/postgres/migrate.ts';
import { DataDirLockedError, openPgliteDb } from '../store/postgres/pglite-db.ts';
import { CliError } from './cli-error.ts';
import { ControlClient, ControlSocketUnreachableError } from './control-client.ts';
import { controlSocketPath } from './control-operations.ts';
import { withOperations } from './database-commands.ts';

const out = (text: string) => process.stdout.write(text);
const err = (text: string) => process.stderr.write(text);

const postgresHint =
  'With DATABASE_URL the data is in PostgreSQL: back it up with pg_dump and restore with pg_restore (docs/operations.md).';

/**
 * `envelope backup FILE`: a consistent copy of the embedded database, taken by the running server
 * between statements (over its control socket) or by this process when none runs. The secret key
 * is not in it; the command says where it is, to be kept separately.
 */
export async function backupCommand(config: Readonly<Config>, file: string): Promise<void> {
  if (config.databaseUrl) throw new CliError(postgresHint, 2);
  const path = resolve(file);
  await withOperations(config, async (operations) => {
    const written = await operations.backupTo(path);
    out(`Wrote ${written.path} (${written.bytes} bytes, ${written.migrations.length} migrations, latest ${written.migrations.at(-1) ?? 'none'}).\n`);
    err(
      config.secretKey
        ? 'The sealed secrets in it open only with ENVELOPE_SECRET_KEY: keep that key with the backup, stored apart from it.\n'
        : `The sealed secrets in it open only with ${join(config.dataDir, 'secret.key')}: copy that file too, stored apart from the backup.\n`,
    );
  });
}

/**
 * `envelope restore FILE [--replace]`: starts the embedded database over from a backup. Only while
 * no server runs on the data directory. An existing database is moved aside (never deleted) with
 * `--replace`, and refused without it. The restored copy is opened and its migrations listed, so a
 * file that is not a backup fails here, not at the next start.
 */
export async function restoreCommand(config: Readonly<Config>, file: string, options: { replace?: boolean }): Promise<void> {
  if (config.databaseUrl) throw new CliError(postgresHint, 2);
  let dump: Buffer;
  try {
    dump = readFileSync(file);
  } catch (error) {
    throw new CliError(`${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}.`, 2);
  }
  const control = new ControlClient(controlSocketPath(config.dataDir));
  try {
    await control.ping();
    throw new CliError(`An Envelope server is running on ${config.dataDir}; stop it, then restore.`, 1);
  } catch (error) {
    if (!(error instanceof ControlSocketUnreachableError)) throw error;
  }
  const dataDir = join(config.dataDir, 'pglite');
  let movedTo: string | null = null;
  if (existsSync(dataDir) && readdirSync(dataDir).length > 0) {
    if (options.replace !== true) {
      throw new CliError(`${dataDir} already holds a database. Run again with --replace to move it aside and restore in its place.`, 2);
    }
    movedTo = `${dataDir}.before-restore-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    // The lock lives beside the directory (pglite.lock): a process holding it keeps us out here.
    await ensureUnlocked(dataDir);
    renameSync(dataDir, movedTo);
  }
  let migrations: string[];
  try {
    const db = await openPgliteDb({ dataDir, loadDataDir: new Blob([new Uint8Array(dump)]) });
    try {
      migrations = await appliedMigrations(db);
    } finally {
      await db.close();
    }
  } catch (error) {
    // A failed restore changes nothing: what it wrote goes aside, and the previous database comes back.
    if (existsSync(dataDir)) renameSync(dataDir, `${dataDir}.failed-restore-${Date.now()}`);
    if (movedTo !== null) renameSync(movedTo, dataDir);
    throw new CliError(`${file} is not an Envelope backup that could be opened: ${(error as Error).message}`, 2);
  }
  out(`Restored ${file} into ${dataDir} (${migrations.length} migrations, latest ${migrations.at(-1) ?? 'none'}); the next start migrates it forward if needed.\n`);
  if (movedTo !== null) out(`The previous database is in ${movedTo}.\n`);
}

async function ensureUnlocked(dataDir: string): Promise<void> {
  try {
    const db = await openPgliteDb({ dataDir });
    await db.close();
  } catch (error) {
    if (error instanceof DataDirLockedError) throw new CliError(`${dataDir} is in use by another process; stop it, then restore.`, 1);
    throw error;
  }
}
