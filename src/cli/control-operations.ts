import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { badRequest, conflict, notFound } from '../domain/errors.ts';
import { TenantService, type IssuedToken } from '../services/auth/tenant-service.ts';
import type { IssuedEnrollmentToken } from '../services/enrollment/enrollment-token-service.ts';
import type { StoredPushCertificateInfo } from '../store/postgres/apple-push-certificate-store.ts';
import type { Db } from '../store/db.ts';
import { PgliteDb } from '../store/postgres/pglite-db.ts';
import { appliedMigrations } from '../store/postgres/migrate.ts';
import type { Tenant, TokenInfo } from '../store/postgres/tenant-store.ts';
import { TenantStore } from '../store/postgres/tenant-store.ts';
import type { EnrollmentServices } from './enrollment-services.ts';
import { parseImportRows, UserImportService, type UserImportResult } from '../services/directory/user-import.ts';
import { createTransactor } from '../store/postgres/stores.ts';
import { ConsoleAccountService } from '../services/auth/console-accounts.ts';
import { ConsoleAccountStore, type ConsoleAccount } from '../store/postgres/console-account-store.ts';

/**
 * What the CLI's database commands do, whichever process runs them: this process on a database it
 * opened itself (localOperations), or the running server, over its control socket (ControlClient),
 * when that server holds the embedded database. Arguments are unchecked user input: the service
 * validates them, and its EnvelopeErrors reach the CLI unchanged either way.
 */
export interface ControlOperations {
  createTenant(name: string): Promise<Tenant>;
  listTenants(): Promise<Tenant[]>;
  createToken(tenantName: string, role: string, label: string, expiresDays?: string): Promise<IssuedToken>;
  listTokens(tenantName: string): Promise<TokenInfo[]>;
  revokeToken(tenantName: string, tokenId: string): Promise<void>;
  /** The migrations the database has (`NNNN_name.sql`, in order). */
  appliedMigrations(): Promise<string[]>;
  /** `maxDevices` and `expiresDays` as typed; '' for the default. */
  createEnrollmentToken(tenantName: string, userPrincipalName: string, platform: string, maxDevices: string, expiresDays: string): Promise<IssuedEnrollmentToken>;
  /** PEM texts (the CLI reads the files). */
  setApplePushCertificate(tenantName: string, certificatePem: string, privateKeyPem: string): Promise<StoredPushCertificateInfo>;
  showApplePushCertificate(tenantName: string): Promise<StoredPushCertificateInfo>;
  /**
   * `envelope import`: rows the CLI parsed from a CSV file (`UserImportRow[]` as JSON), in batches
   * under the control socket's request limit.
   */
  importUsers(tenantName: string, rowsJson: string): Promise<UserImportResult[]>;
  /** Writes a consistent copy of the embedded database to `path` (absolute; not overwritten). */
  backupTo(path: string): Promise<BackupWritten>;
  /** `envelope console-user add`: the password as typed (hashed by the service, never stored or logged). */
  createConsoleAccount(tenantName: string, userName: string, role: string, password: string): Promise<ConsoleAccount>;
  listConsoleAccounts(tenantName: string): Promise<ConsoleAccount[]>;
}

export interface BackupWritten {
  path: string;
  bytes: number;
  /** The migrations the copy holds (a restore into a newer Envelope migrates it forward at start). */
  migrations: string[];
}

export const controlOperationNames = [
  'createTenant', 'listTenants', 'createToken', 'listTokens', 'revokeToken', 'appliedMigrations',
  'createEnrollmentToken', 'setApplePushCertificate', 'showApplePushCertificate', 'importUsers', 'backupTo',
  'createConsoleAccount', 'listConsoleAccounts',
] as const satisfies ReadonlyArray<keyof ControlOperations>;

/** The control socket of the server that runs on `dataDir` (only when it runs on embedded PGlite). */
export function controlSocketPath(dataDir: string): string {
  return join(dataDir, 'control.sock');
}

/**
 * The operations on an open, migrated database. `enrollment` supplies the enrollment services (the
 * server's own, or ones built for this process); it is called only by the enrollment and push
 * certificate operations, so tenant and token commands never need the secret key.
 */
export function localOperations(db: Db, enrollment: () => EnrollmentServices): ControlOperations {
  const store = new TenantStore(db);
  const tenants = new TenantService(store);
  const consoleAccounts = new ConsoleAccountService({ store: new ConsoleAccountStore(db), tenants: store });
  const tenantIdOf = async (name: string): Promise<string> => {
    const tenant = await store.findByName(name);
    if (!tenant) throw notFound('Tenant', name);
    return tenant.id;
  };
  return {
    createTenant: (name) => tenants.createTenant(name),
    listTenants: () => tenants.listTenants(),
    createToken: (tenantName, role, label, expiresDays) => tenants.createToken(tenantName, role, label, expiresDays),
    listTokens: (tenantName) => tenants.listTokens(tenantName),
    revokeToken: (tenantName, tokenId) => tenants.revokeToken(tenantName, tokenId),
    appliedMigrations: () => appliedMigrations(db),
    createEnrollmentToken: async (tenantName, userPrincipalName, platform, maxDevices, expiresDays) =>
      enrollment().enrollmentTokens.createForPrincipalName(await tenantIdOf(tenantName), {
        userPrincipalName,
        platform,
        maxDevices: maxDevices === '' ? undefined : maxDevices,
        expiresDays: expiresDays === '' ? undefined : expiresDays,
      }),
    setApplePushCertificate: async (tenantName, certificate, privateKey) =>
      enrollment().pushCertificates.put(await tenantIdOf(tenantName), { certificate, privateKey }),
    showApplePushCertificate: async (tenantName) => enrollment().pushCertificates.getOrThrow(await tenantIdOf(tenantName)),
    importUsers: async (tenantName, rowsJson) =>
      new UserImportService({ transact: createTransactor(db), newId: randomUUID }).importRows(await tenantIdOf(tenantName), parseImportRows(rowsJson)),
    backupTo: (path) => writeBackup(db, path),
    createConsoleAccount: (tenantName, userName, role, password) => consoleAccounts.createInTenant(tenantName, { userName, role, password }),
    listConsoleAccounts: async (tenantName) => consoleAccounts.list(await tenantIdOf(tenantName)),
  };
}

/**
 * `envelope backup`: the embedded database's dump (a .tar.gz of its data directory) written to
 * `path`, which must be absolute and must not exist (a backup never replaces a file). The secret key
 * is not in it: it lives beside the database (`secret.key`) or in ENVELOPE_SECRET_KEY, and a backup
 * that held both would be every sealed secret in one file. PostgreSQL has pg_dump.
 */
async function writeBackup(db: Db, path: string): Promise<BackupWritten> {
  if (!(db instanceof PgliteDb)) {
    throw conflict('envelope backup copies the embedded database; with DATABASE_URL, back up PostgreSQL with pg_dump (see docs/operations.md).');
  }
  if (typeof path !== 'string' || !isAbsolute(path)) throw badRequest('The backup file must be an absolute path.', 'path');
  const migrations = await appliedMigrations(db);
  const dump = Buffer.from(await (await db.dump('gzip')).arrayBuffer());
  try {
    await writeFile(path, dump, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw conflict(`${path} exists; a backup never replaces a file. Choose another name.`, 'path');
    throw badRequest(`Cannot write ${path}: ${(error as Error).message}`, 'path');
  }
  return { path, bytes: dump.length, migrations };
}
