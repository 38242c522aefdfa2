import { readFileSync } from 'node:fs';
import type { Config } from '../config.ts';
import { badRequest } from '../domain/errors.ts';
import type { StoredPushCertificateInfo } from '../store/postgres/apple-push-certificate-store.ts';
import { TenantService } from '../services/auth/tenant-service.ts';
import { listMigrations, migrate } from '../store/postgres/migrate.ts';
import { TenantStore } from '../store/postgres/tenant-store.ts';
import { localOperations, type ControlOperations } from './control-operations.ts';
import { accessDatabase } from './database-access.ts';
import { enrollmentServicesOn, type EnrollmentServices } from './enrollment-services.ts';

type Write = (text: string) => void;
const out: Write = (text) => process.stdout.write(text);
const err: Write = (text) => process.stderr.write(text);

/**
 * Runs a tenant or token command on the configured database: opened here (migrated, with its
 * default tenant), or, when the server holds the embedded database, sent to it over its control
 * socket. Either way the command's effect is the server's to see at once.
 */
export async function withOperations(config: Readonly<Config>, command: (operations: ControlOperations) => Promise<void>): Promise<void> {
  const found = await accessDatabase(config);
  if ('server' in found) return command(found.server);
  const db = found.opened;
  try {
    await migrate(db);
    await new TenantService(new TenantStore(db)).ensureDefaultTenant();
    // The secret key is loaded only by commands that seal or open a secret (push certificates).
    const { loadSecretKey } = await import('../main.ts');
    let enrollment: EnrollmentServices | null = null;
    await command(localOperations(db, () => (enrollment ??= enrollmentServicesOn(db, { publicUrl: config.publicUrl, secretKey: loadSecretKey(config) }))));
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
export function tokenCreateCommand(config: Readonly<Config>, options: { tenant: string; role: string; label?: string; expires?: string }): Promise<void> {
  return withOperations(config, async (operations) => {
    const issued = await operations.createToken(options.tenant, options.role, options.label ?? '', options.expires ?? '');
    const until = issued.expirationDateTime ? `, expires ${issued.expirationDateTime}` : '';
    err(`Token ${issued.tokenId} for tenant '${issued.tenant.name}', role ${issued.role}${until} (shown once):\n`);
    out(`${issued.token}\n`);
  });
}

export function tokenListCommand(config: Readonly<Config>, options: { tenant: string }): Promise<void> {
  return withOperations(config, async (operations) => {
    for (const t of await operations.listTokens(options.tenant)) {
      const state = t.revokedDateTime ? `revoked ${t.revokedDateTime}` : t.expirationDateTime ? `expires ${t.expirationDateTime}` : 'active';
      out(`${t.id}\t${t.role}\t${state}\t${t.createdDateTime}\tlast used ${t.lastUsedDateTime ?? 'never'}\t${t.label}\n`);
    }
  });
}

export function tokenRevokeCommand(config: Readonly<Config>, options: { tenant: string; id: string }): Promise<void> {
  return withOperations(config, async (operations) => {
    await operations.revokeToken(options.tenant, options.id);
    out(`Revoked token ${options.id}.\n`);
  });
}

/** Prints the token and the enrollment link on stdout (one per line, for scripts), and what they are on stderr. */
export function enrollmentTokenCreateCommand(
  config: Readonly<Config>,
  options: { tenant: string; user: string; platform: string; maxDevices?: string; expires?: string },
): Promise<void> {
  return withOperations(config, async (operations) => {
    const issued = await operations.createEnrollmentToken(options.tenant, options.user, options.platform, options.maxDevices ?? '', options.expires ?? '');
    err(`Enrollment token ${issued.id} for ${options.user} (${options.platform}, up to ${issued.maxDevices} device${issued.maxDevices === 1 ? '' : 's'}, until ${issued.expirationDateTime}); shown once. ${options.platform.toLowerCase() === 'windows' ? 'Open the link on the PC and give the token as the password' : 'Open the link on the device'}:\n`);
    out(`${issued.token}\n${issued.enrollmentUrl}\n`);
  });
}

export function applePushCertificateSetCommand(config: Readonly<Config>, options: { tenant: string; certificate: string; key: string }): Promise<void> {
  const certificate = readTextOrThrow(options.certificate, 'certificate');
  const privateKey = readTextOrThrow(options.key, 'key');
  return withOperations(config, async (operations) => {
    const stored = await operations.setApplePushCertificate(options.tenant, certificate, privateKey);
    out(`Stored the Apple push certificate of tenant '${options.tenant}'.\n${describePushCertificate(stored)}`);
  });
}

export function applePushCertificateShowCommand(config: Readonly<Config>, options: { tenant: string }): Promise<void> {
  return withOperations(config, async (operations) => out(describePushCertificate(await operations.showApplePushCertificate(options.tenant))));
}

function describePushCertificate(info: StoredPushCertificateInfo): string {
  return `topic\t${info.topic}\nexpires\t${info.notAfter}\nsubject\t${info.subject}\nissuer\t${info.issuer}\nserial\t${info.serialNumber}\n`;
}

function readTextOrThrow(file: string, option: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw badRequest(`--${option} ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}.`, option);
  }
}
