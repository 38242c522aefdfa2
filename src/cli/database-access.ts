import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../config.ts';
import type { Db } from '../store/db.ts';
import { DataDirLockedError, pgliteLockStaleMs } from '../store/postgres/pglite-db.ts';
import { CliError } from './cli-error.ts';
import { ControlClient, ControlSocketUnreachableError } from './control-client.ts';
import { controlSocketPath } from './control-operations.ts';

/**
 * How long a command waits for a locked embedded database that no server answers for: long enough
 * for a killed process's lock to go stale (pgliteLockStaleMs) or another CLI command to finish.
 */
const lockWaitMs = pgliteLockStaleMs + 20_000;

/** What a command works on: a database this process opened, or the server that holds it. */
export type Found<T> = { opened: T } | { server: ControlClient };

/**
 * Opens the configured database for this process, or finds the server that holds it.
 *
 * PostgreSQL (DATABASE_URL) is shared by any number of processes: always `{ opened }`. Embedded
 * PGlite is one process's at a time (its data directory is locked): `{ server }` when a live
 * Envelope server answers on its control socket (it holds the lock: a server that loses it stops),
 * else `{ opened }` when this process gets the lock. A lock whose holder does not answer is waited
 * for, up to lockWaitMs, until the holder answers (a server was starting), releases it (another CLI
 * command ended) or goes stale (a killed process); if none of that happens in time, this fails with
 * a CliError naming the data directory. `open` is how the database gets opened (`serve` passes the
 * whole server start); `onWait` is called once, when the first attempt found the lock held and
 * nobody answering.
 */
export async function openDatabaseOrFindServer<T>(
  config: Pick<Config, 'databaseUrl' | 'dataDir'>,
  open: () => Promise<T>,
  onWait: () => void = () => undefined,
): Promise<Found<T>> {
  if (config.databaseUrl) return { opened: await open() };
  const control = new ControlClient(controlSocketPath(config.dataDir));
  const deadline = Date.now() + lockWaitMs;
  for (let attempt = 0; ; attempt++) {
    try {
      await control.ping();
      return { server: control };
    } catch (error) {
      if (!(error instanceof ControlSocketUnreachableError)) throw error;
    }
    try {
      return { opened: await open() };
    } catch (error) {
      if (!(error instanceof DataDirLockedError)) throw error;
    }
    if (Date.now() > deadline) {
      throw new CliError(
        `The database in ${config.dataDir} is locked by another process, and no Envelope server answers on ${control.path}. ` +
          'If a server is still starting, retry in a moment; otherwise stop the process that holds it (another envelope command?).',
        1,
      );
    }
    if (attempt === 0) onWait();
    await sleep(500);
  }
}

/**
 * For commands that use the database: the database opened here, or the server to send the command
 * to. The composition root (Fastify and all) is loaded only when this process opens the database.
 */
export function accessDatabase(config: Pick<Config, 'databaseUrl' | 'dataDir'>): Promise<Found<Db>> {
  return openDatabaseOrFindServer(config, async () => (await import('../main.ts')).openDatabase(config), () => {
    process.stderr.write(`The database in ${config.dataDir} is in use by another process; waiting up to ${lockWaitMs / 1000} s for it…\n`);
  });
}
