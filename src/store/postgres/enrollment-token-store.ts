import type { Queryable } from '../db.ts';
import type { ListQuery, Page } from '../list-query.ts';
import { isoTime, listPage } from './list-sql.ts';

/** The platforms an enrollment token can enroll (Graph `operatingSystem` names). */
export const enrollmentPlatforms = ['iOS', 'Windows', 'Android'] as const;
export type EnrollmentPlatform = (typeof enrollmentPlatforms)[number];

/** An enrollment token as the admin API shows it: never its value, which is not stored. */
export interface EnrollmentTokenRecord {
  id: string;
  userId: string;
  platform: EnrollmentPlatform;
  maxDevices: number;
  usedCount: number;
  expirationDateTime: string;
  revokedDateTime: string | null;
  createdDateTime: string;
}

export interface NewEnrollmentToken {
  id: string;
  hash: Buffer;
  userId: string;
  platform: EnrollmentPlatform;
  maxDevices: number;
  expiresAt: Date;
}

interface TokenRow {
  id: string;
  user_id: string;
  platform: EnrollmentPlatform;
  max_devices: number;
  used_count: number;
  expires_at: Date | string;
  revoked_at: Date | string | null;
  created_at: Date | string;
}

const columns = 't.id, t.user_id, t.platform, t.max_devices, t.used_count, t.expires_at, t.revoked_at, t.created_at';
const filterColumns = { id: 't.id', userId: 't.user_id', platform: 't.platform' } as const;
export const enrollmentTokenFilterFields = Object.keys(filterColumns);

function toToken(row: TokenRow): EnrollmentTokenRecord {
  return {
    id: row.id,
    userId: row.user_id,
    platform: row.platform,
    maxDevices: row.max_devices,
    usedCount: row.used_count,
    expirationDateTime: isoTime(row.expires_at)!,
    revokedDateTime: isoTime(row.revoked_at),
    createdDateTime: isoTime(row.created_at)!,
  };
}

/** Enrollment tokens of one tenant, stored as SHA-256 hashes. */
export class EnrollmentTokenStore {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  /** The id of the tenant's user with this UPN (case-insensitive), or null. */
  async findUserIdByPrincipalName(tenantId: string, userPrincipalName: string): Promise<string | null> {
    const rows = await this.#db.query<{ id: string }>(
      'SELECT id FROM users WHERE tenant_id = $1 AND lower(user_principal_name) = lower($2)',
      [tenantId, userPrincipalName],
    );
    return rows[0]?.id ?? null;
  }

  /** The user's UPN, or null when `userId` is no user of the tenant. */
  async userPrincipalNameOf(tenantId: string, userId: string): Promise<string | null> {
    const rows = await this.#db.query<{ user_principal_name: string }>('SELECT user_principal_name FROM users WHERE tenant_id = $1 AND id = $2', [tenantId, userId]);
    return rows[0]?.user_principal_name ?? null;
  }

  async userExists(tenantId: string, userId: string): Promise<boolean> {
    const rows = await this.#db.query('SELECT 1 FROM users WHERE tenant_id = $1 AND id = $2', [tenantId, userId]);
    return rows.length > 0;
  }

  async insert(tenantId: string, token: NewEnrollmentToken): Promise<EnrollmentTokenRecord> {
    const rows = await this.#db.query<TokenRow>(
      `INSERT INTO enrollment_tokens AS t (tenant_id, id, token_hash, user_id, platform, max_devices, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${columns}`,
      [tenantId, token.id, token.hash, token.userId, token.platform, token.maxDevices, token.expiresAt],
    );
    return toToken(rows[0]!);
  }

  async get(tenantId: string, id: string): Promise<EnrollmentTokenRecord | null> {
    const rows = await this.#db.query<TokenRow>(`SELECT ${columns} FROM enrollment_tokens t WHERE t.tenant_id = $1 AND t.id = $2`, [tenantId, id]);
    return rows[0] ? toToken(rows[0]) : null;
  }

  list(tenantId: string, query: ListQuery): Promise<Page<EnrollmentTokenRecord>> {
    return listPage<TokenRow, EnrollmentTokenRecord>(this.#db, { from: 'enrollment_tokens t', alias: 't', select: columns, tenantId, columns: filterColumns, toItem: toToken }, query);
  }

  /** Marks the token revoked; false when it does not exist in the tenant or was revoked already. */
  async revoke(tenantId: string, id: string): Promise<boolean> {
    const rows = await this.#db.query('UPDATE enrollment_tokens SET revoked_at = now() WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL RETURNING id', [tenantId, id]);
    return rows.length > 0;
  }

  /** The token with this hash, in any tenant and state (the caller decides whether it is usable), with its tenant. */
  async findByHash(hash: Buffer): Promise<(EnrollmentTokenRecord & { tenantId: string }) | null> {
    const rows = await this.#db.query<TokenRow & { tenant_id: string }>(
      `SELECT t.tenant_id, ${columns} FROM enrollment_tokens t WHERE t.token_hash = $1`,
      [hash],
    );
    const row = rows[0];
    return row ? { ...toToken(row), tenantId: row.tenant_id } : null;
  }

  /**
   * Locks the token row for the rest of the transaction (so concurrent completions count one after
   * another) and returns it; null when it is gone.
   */
  async lockForUpdate(tenantId: string, id: string): Promise<EnrollmentTokenRecord | null> {
    const rows = await this.#db.query<TokenRow>(`SELECT ${columns} FROM enrollment_tokens t WHERE t.tenant_id = $1 AND t.id = $2 FOR UPDATE`, [tenantId, id]);
    return rows[0] ? toToken(rows[0]) : null;
  }

  /** Counts one completed enrollment; false when the token has no room left (the CHECK holds it anyway). */
  async incrementUsed(tenantId: string, id: string): Promise<boolean> {
    const rows = await this.#db.query(
      'UPDATE enrollment_tokens SET used_count = used_count + 1 WHERE tenant_id = $1 AND id = $2 AND used_count < max_devices RETURNING id',
      [tenantId, id],
    );
    return rows.length > 0;
  }
}
