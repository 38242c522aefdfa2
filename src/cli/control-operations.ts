import { join } from 'node:path';
import { TenantService, type IssuedToken } from '../services/auth/tenant-service.ts';
import type { Db } from '../store/db.ts';
import { appliedMigrations } from '../store/postgres/migrate.ts';
import type { Tenant, TokenInfo } from '../store/postgres/tenant-store.ts';
import { TenantStore } from '../store/postgres/tenant-store.ts';

/**
 * What the CLI's database commands do, whichever process runs them: this process on a database it
 * opened itself (localOperations), or the running server, over its control socket (ControlClient),
 * when that server holds the embedded database. Arguments are unchecked user input: the service
 * validates them, and its EnvelopeErrors reach the CLI unchanged either way.
 */
export interface ControlOperations {
  createTenant(name: string): Promise<Tenant>;
  listTenants(): Promise<Tenant[]>;
  createToken(tenantName: string, role: string, label: string): Promise<IssuedToken>;
  listTokens(tenantName: string): Promise<TokenInfo[]>;
  revokeToken(tenantName: string, tokenId: string): Promise<void>;
  /** The migrations the database has (`NNNN_name.sql`, in order). */
  appliedMigrations(): Promise<string[]>;
}

export const controlOperationNames = ['createTenant', 'listTenants', 'createToken', 'listTokens', 'revokeToken', 'appliedMigrations'] as const satisfies ReadonlyArray<keyof ControlOperations>;

/** The control socket of the server that runs on `dataDir` (only when it runs on embedded PGlite). */
export function controlSocketPath(dataDir: string): string {
  return join(dataDir, 'control.sock');
}

/** The operations on an open, migrated database. */
export function localOperations(db: Db): ControlOperations {
  const tenants = new TenantService(new TenantStore(db));
  return {
    createTenant: (name) => tenants.createTenant(name),
    listTenants: () => tenants.listTenants(),
    createToken: (tenantName, role, label) => tenants.createToken(tenantName, role, label),
    listTokens: (tenantName) => tenants.listTokens(tenantName),
    revokeToken: (tenantName, tokenId) => tenants.revokeToken(tenantName, tokenId),
    appliedMigrations: () => appliedMigrations(db),
  };
}
