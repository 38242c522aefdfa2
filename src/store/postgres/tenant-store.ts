import type { Queryable } from '../db.ts';
import type { TokenRole } from '../../services/auth/tokens.ts';

export interface Tenant {
  id: string;
  name: string;
  isDefault: boolean;
}

export interface TokenPrincipal {
  tokenId: string;
  tenantId: string;
  role: TokenRole;
}

export interface TokenInfo {
  id: string;
  role: TokenRole;
  label: string;
  createdDateTime: string;
  revokedDateTime: string | null;
}

interface TenantRow {
  id: string;
  name: string;
  is_default: boolean;
}

const toTenant = (row: TenantRow): Tenant => ({ id: row.id, name: row.name, isDefault: row.is_default });

/** Tenants and their API tokens (tokens stored as SHA-256 hashes only). */
export class TenantStore {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  async findDefault(): Promise<Tenant | null> {
    const rows = await this.#db.query<TenantRow>('SELECT id, name, is_default FROM tenants WHERE is_default');
    return rows[0] ? toTenant(rows[0]) : null;
  }

  async findById(id: string): Promise<Tenant | null> {
    const rows = await this.#db.query<TenantRow>('SELECT id, name, is_default FROM tenants WHERE id = $1', [id]);
    return rows[0] ? toTenant(rows[0]) : null;
  }

  async findByName(name: string): Promise<Tenant | null> {
    const rows = await this.#db.query<TenantRow>('SELECT id, name, is_default FROM tenants WHERE name = $1', [name]);
    return rows[0] ? toTenant(rows[0]) : null;
  }

  async list(): Promise<Tenant[]> {
    const rows = await this.#db.query<TenantRow>('SELECT id, name, is_default FROM tenants ORDER BY created_at, name');
    return rows.map(toTenant);
  }

  /** Inserts a tenant; returns null when the name is taken (or, for a default, a default exists). */
  async create(tenant: Tenant): Promise<Tenant | null> {
    const rows = await this.#db.query<TenantRow>(
      `INSERT INTO tenants (id, name, is_default) VALUES ($1, $2, $3)
       ON CONFLICT DO NOTHING RETURNING id, name, is_default`,
      [tenant.id, tenant.name, tenant.isDefault],
    );
    return rows[0] ? toTenant(rows[0]) : null;
  }

  async countTokens(tenantId: string): Promise<number> {
    const rows = await this.#db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM api_tokens WHERE tenant_id = $1 AND revoked_at IS NULL',
      [tenantId],
    );
    return rows[0]?.n ?? 0;
  }

  async insertToken(token: { id: string; tenantId: string; hash: Buffer; role: TokenRole; label: string }): Promise<void> {
    await this.#db.query(
      'INSERT INTO api_tokens (tenant_id, id, token_hash, role, label) VALUES ($1, $2, $3, $4, $5)',
      [token.tenantId, token.id, token.hash, token.role, token.label],
    );
  }

  async findToken(hash: Buffer): Promise<TokenPrincipal | null> {
    const rows = await this.#db.query<{ id: string; tenant_id: string; role: TokenRole }>(
      'SELECT id, tenant_id, role FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL',
      [hash],
    );
    const row = rows[0];
    return row ? { tokenId: row.id, tenantId: row.tenant_id, role: row.role } : null;
  }

  /** The tenant's tokens (never their values, which are not stored), oldest first. */
  async listTokens(tenantId: string): Promise<TokenInfo[]> {
    const rows = await this.#db.query<{ id: string; role: TokenRole; label: string; created_at: Date | string; revoked_at: Date | string | null }>(
      'SELECT id, role, label, created_at, revoked_at FROM api_tokens WHERE tenant_id = $1 ORDER BY created_at, id',
      [tenantId],
    );
    return rows.map((r) => ({
      id: r.id,
      role: r.role,
      label: r.label,
      createdDateTime: new Date(r.created_at).toISOString(),
      revokedDateTime: r.revoked_at === null ? null : new Date(r.revoked_at).toISOString(),
    }));
  }

  async revokeToken(tenantId: string, tokenId: string): Promise<boolean> {
    const rows = await this.#db.query(
      'UPDATE api_tokens SET revoked_at = now() WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL RETURNING id',
      [tenantId, tokenId],
    );
    return rows.length > 0;
  }
}
