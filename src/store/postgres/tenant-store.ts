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
  /** Null: the token does not expire. */
  expirationDateTime: string | null;
  /** Null: never used. Accurate to a minute (see `touchToken`). */
  lastUsedDateTime: string | null;
}

/** A presented token as authentication needs it: who it is, and when it expires and was last used. */
export interface FoundToken extends TokenPrincipal {
  expiresAt: Date | null;
  lastUsedAt: Date | null;
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

  async insertToken(token: { id: string; tenantId: string; hash: Buffer; role: TokenRole; label: string; expiresAt?: Date | null }): Promise<void> {
    await this.#db.query(
      'INSERT INTO api_tokens (tenant_id, id, token_hash, role, label, expires_at) VALUES ($1, $2, $3, $4, $5, $6)',
      [token.tenantId, token.id, token.hash, token.role, token.label, token.expiresAt ?? null],
    );
  }

  async findToken(hash: Buffer): Promise<FoundToken | null> {
    const rows = await this.#db.query<{ id: string; tenant_id: string; role: TokenRole; expires_at: Date | string | null; last_used_at: Date | string | null }>(
      'SELECT id, tenant_id, role, expires_at, last_used_at FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL',
      [hash],
    );
    const row = rows[0];
    if (!row) return null;
    return {
      tokenId: row.id,
      tenantId: row.tenant_id,
      role: row.role,
      expiresAt: row.expires_at === null ? null : new Date(row.expires_at),
      lastUsedAt: row.last_used_at === null ? null : new Date(row.last_used_at),
    };
  }

  /**
   * Records a use at `now` unless one within `resolutionMs` is already recorded: concurrent requests
   * of several processes write the row once per interval at most.
   */
  async touchToken(tenantId: string, tokenId: string, now: Date, resolutionMs: number): Promise<void> {
    await this.#db.query(
      `UPDATE api_tokens SET last_used_at = $3 WHERE tenant_id = $1 AND id = $2
         AND (last_used_at IS NULL OR last_used_at <= $3::timestamptz - make_interval(secs => $4::double precision / 1000))`,
      [tenantId, tokenId, now, resolutionMs],
    );
  }

  /** The tenant's tokens (never their values, which are not stored), oldest first. */
  async listTokens(tenantId: string): Promise<TokenInfo[]> {
    const rows = await this.#db.query<{
      id: string; role: TokenRole; label: string; created_at: Date | string; revoked_at: Date | string | null;
      expires_at: Date | string | null; last_used_at: Date | string | null;
    }>(
      'SELECT id, role, label, created_at, revoked_at, expires_at, last_used_at FROM api_tokens WHERE tenant_id = $1 ORDER BY created_at, id',
      [tenantId],
    );
    return rows.map((r) => ({
      id: r.id,
      role: r.role,
      label: r.label,
      createdDateTime: new Date(r.created_at).toISOString(),
      revokedDateTime: r.revoked_at === null ? null : new Date(r.revoked_at).toISOString(),
      expirationDateTime: r.expires_at === null ? null : new Date(r.expires_at).toISOString(),
      lastUsedDateTime: r.last_used_at === null ? null : new Date(r.last_used_at).toISOString(),
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
