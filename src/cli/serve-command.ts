import type { Config } from '../config.ts';
import { envelopeVersion, startServer } from '../main.ts';
import { CliError } from './cli-error.ts';
import { controlSocketPath, localOperations } from './control-operations.ts';
import { startControlServer } from './control-server.ts';
import { openDatabaseOrFindServer } from './database-access.ts';

/**
 * `envelope serve`: starts the server and runs until SIGINT or SIGTERM. On embedded PGlite it also
 * serves the CLI's database commands on `<dataDir>/control.sock`, because no other process may open
 * the database while it runs. A second server on the same data directory fails with a CliError.
 */
export async function serveCommand(config: Readonly<Config>): Promise<void> {
  const found = await openDatabaseOrFindServer(config, () => startServer(config), () => {
    process.stderr.write(`The database in ${config.dataDir} is locked by a process that does not answer; waiting for its lock to expire (a killed server's does within seconds)…\n`);
  });
  if ('server' in found) {
    const running = await found.server.ping();
    throw new CliError(
      `An Envelope server (process ${running.pid}) is already running on ${config.dataDir}; stop it first. ` +
        'envelope tenant and token commands work while it runs.',
      1,
    );
  }
  const envelope = found.opened;
  let control: { close(): Promise<void> } | null = null;
  if (envelope.db.kind === 'pglite') {
    const path = controlSocketPath(config.dataDir);
    try {
      control = await startControlServer({ path, operations: localOperations(envelope.db, () => envelope.services), version: envelopeVersion, log: envelope.app.log });
    } catch (error) {
      envelope.app.log.warn({ err: error, path }, 'control socket unavailable: envelope tenant and token commands cannot reach this server while it runs');
    }
  }

  const address = envelope.app.server.address();
  const where = typeof address === 'object' && address ? `${config.tlsCertPath ? 'https' : 'http'}://${config.host}:${address.port}` : String(address);
  process.stdout.write(`Envelope ${envelopeVersion} listening on ${where} (database: ${envelope.db.kind}${config.databaseUrl ? '' : ` in ${config.dataDir}`}).\n`);
  process.stdout.write(`API: ${where}/graph/beta   docs: ${where}/docs   OpenAPI: ${where}/openapi.json\n`);
  if (envelope.firstToken) {
    if (config.adminToken) {
      process.stdout.write(`Registered ENVELOPE_ADMIN_TOKEN as the first admin token of tenant '${envelope.firstToken.tenant.name}'.\n`);
    } else {
      process.stdout.write(`\nFirst start: admin token for tenant '${envelope.firstToken.tenant.name}' (shown once, store it now):\n\n  ${envelope.firstToken.token}\n\n`);
    }
  }

  // Pushes devices after changes; envelope.close() stops it again.
  envelope.wakeWorker.start();
  // Deletes finished commands after a week and expired enrollment profiles (every 10 minutes).
  envelope.maintenance.start();
  // Patches Android Enterprise policies through Google's Android Management API, at its quota.
  envelope.amapiSync.start();
  envelope.rolloutWorker.start();

  // A repeated signal (a launcher forwarding the terminal's Ctrl-C) must not cut the shutdown short:
  // the database is closed and its lock released before the process exits.
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    envelope.app.log.info({ signal }, 'shutting down');
    await control?.close();
    await envelope.close();
    process.exit(0);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stop(signal));
  await new Promise<never>(() => undefined);
}
