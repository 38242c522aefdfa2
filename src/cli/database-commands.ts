import type { Config } from '../config.ts';
import { TenantService } from '../services/auth/tenant-service.ts';
import { listMigrations, migrate } from '../store/postgres/migrate.ts';
import { TenantStore } from '../store/postgres/tenant-store.ts';
import { localOperations, type ControlOperations } from './control-operations.ts';
import { accessDatabase } from './database-access.ts';

type Write = (text: string) => void;
const out: Write = (text) => process.stdout.write(text);
const err: Write = (text) => process.stderr.write(text);

/**
 * Runs a tenant or token command on the configured database: opened here (migrated, with its
 * default tenant), or, when the server holds the embedded database, sent to it over its control
 * socket. Either way the command's effect is the server's to see at once.
 */
async function withOperations(config: Readonly<Config>, command: (operations: ControlOperations) => Promise<void>): Promise<void> {
  const found = await accessDatabase(config);
  if ('server' in found) return command(found.server);
  const db = found.opened;
  try {
    await migrate(db);
    await new TenantService(new TenantStore(db)).ensureDefaultTenant();
    await command(localOperations(db));
  } finally {
    await db.close();
  }
}

/** `envelope migrate`: applies what is missing and says what it did; never opens a database a server holds. */
export async function migrateCommand(config: Readonly<Config>): Promise<void> {
  const found = await accessDatabase(config);
  const known = listMigrations().map((m) => m.file);
  if ('server' in found) {
    const applied = await found.server.appliedMigrations();
    out(`The Envelope server running on ${config.dataDir} applied the migrations at its start (${applied.length} migration${applied.length === 1 ? '' : 's'}, latest ${applied.at(-1) ?? 'none'}).\n`);
    const pending = known.filter((file) => !applied.includes(file));
    if (pending.length > 0) out(`Not yet applied: ${pending.join(', ')}; restart the server to apply ${pending.length === 1 ? 'it' : 'them'}.\n`);
    return;
  }
  const db = found.opened;
  try {
    const applied = await migrate(db);
    for (const file of applied) out(`Applied ${file}.\n`);
    out(`Database is up to date (${known.length} migration${known.length === 1 ? '' : 's'}).\n`);
  } finally {
    await db.close();
  }
}

export function tenantCreateCommand(config: Readonly<Config>, name: string): Promise<void> {
  return withOperations(config, async (operations) => {
    const tenant = await operations.createTenant(name);
    out(`Created tenant '${tenant.name}' (${tenant.id}).\nIssue a token: envelope token create --tenant ${tenant.name} --role admin\n`);
  });
}

export function tenantListCommand(config: Readonly<Config>): Promise<void> {
  return withOperations(config, async (operations) => {
    for (const t of await operations.listTenants()) out(`${t.name}\t${t.id}${t.isDefault ? '\t(default)' : ''}\n`);
  });
}

/** Prints the token alone on stdout (for `$(…)`), and what it is on stderr. */
export function tokenCreateCommand(config: Readonly<Config>, options: { tenant: string; role: string; label?: string }): Promise<void> {
  return withOperations(config, async (operations) => {
    const issued = await operations.createToken(options.tenant, options.role, options.label ?? '');
    err(`Token ${issued.tokenId} for tenant '${issued.tenant.name}', role ${issued.role} (shown once):\n`);
    out(`${issued.token}\n`);
  });
}

export function tokenListCommand(config: Readonly<Config>, options: { tenant: string }): Promise<void> {
  return withOperations(config, async (operations) => {
    for (const t of await operations.listTokens(options.tenant)) {
      out(`${t.id}\t${t.role}\t${t.revokedDateTime ? `revoked ${t.revokedDateTime}` : 'active'}\t${t.createdDateTime}\t${t.label}\n`);
    }
  });
}

export function tokenRevokeCommand(config: Readonly<Config>, options: { tenant: string; id: string }): Promise<void> {
  return withOperations(config, async (operations) => {
    await operations.revokeToken(options.tenant, options.id);
    out(`Revoked token ${options.id}.\n`);
  });
}
