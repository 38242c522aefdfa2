import type { Queryable } from '../db.ts';

export type ConsoleAccountRole = 'admin' | 'readOnly';

/** A console account as admins see it: never its password or hash. */
export interface ConsoleAccount {
  id: string;
  userName: string;
  role: ConsoleAccountRole;
  createdDateTime: string;
  /** Null: never signed in. */
  lastSignInDateTime: string | null;
  /** Set while the account is locked after repeated failed sign-ins; null otherwise. */
  lockedUntilDateTime: string | null;
}

/** An account as sign-in needs it: with its stored hash and lockout state. */
export interface ConsoleAccountCredential {
  tenantId: string;
  id: string;
  userName: string;
  role: ConsoleAccountRole;
  passwordHash: string;
  lockedUntil: Date | null;
}

interface AccountRow {
  tenant_id: string;
  id: string;
  user_name: string;
  role: ConsoleAccountRole;
  password_hash: string;
  locked_until: Date | string | null;
  last_sign_in_at: Date | string | null;
  created_at: Date | string;
}

const iso = (value: Date | string | null): string | null => (value === null ? null : new Date(value).toISOString());

function toAccount(row: AccountRow, now: Date): ConsoleAccount {
  const locked = row.locked_until !== null && new Date(row.locked_until).getTime() > now.getTime();
  return {
    id: row.id,
    userName: row.user_name,
    role: row.role,
    createdDateTime: new Date(row.created_at).toISOString(),
    lastSignInDateTime: iso(row.last_sign_in_at),
    lockedUntilDateTime: locked ? iso(row.locked_until) : null,
  };
}

const columns = 'tenant_id, id, user_name, role, password_hash, locked_until, last_sign_in_at, created_at';

/**
 * Console accounts (migration 0020), their sessions (API tokens that name the account) and the
 * per-address failure counts. Every statement is one atomic row operation, so several Envelope
 * processes count failures and lock accounts correctly on one PostgreSQL.
 */
export class ConsoleAccountStore {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  /** Inserts an account; null when the tenant has one of that name already (in any case). */
  async insert(account: { tenantId: string; id: string; userName: string; role: ConsoleAccountRole; passwordHash: string }, now: Date): Promise<ConsoleAccount | null> {
    const rows = await this.#db.query<AccountRow>(
      `INSERT INTO console_accounts (tenant_id, id, user_name, role, password_hash) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (tenant_id, lower(user_name)) DO NOTHING RETURNING ${columns}`,
      [account.tenantId, account.id, account.userName, account.role, account.passwordHash],
    );
    return rows[0] ? toAccount(rows[0], now) : null;
  }

  async get(tenantId: string, id: string, now: Date): Promise<ConsoleAccount | null> {
    const rows = await this.#db.query<AccountRow>(`SELECT ${columns} FROM console_accounts WHERE tenant_id = $1 AND id = $2`, [tenantId, id]);
    return rows[0] ? toAccount(rows[0], now) : null;
  }

  /** The tenant's accounts, oldest first (a tenant has a handful: the console's admins and helpdesk). */
  async list(tenantId: string, now: Date): Promise<ConsoleAccount[]> {
    const rows = await this.#db.query<AccountRow>(`SELECT ${columns} FROM console_accounts WHERE tenant_id = $1 ORDER BY created_at, id`, [tenantId]);
    return rows.map((row) => toAccount(row, now));
  }

  /** Deletes an account and, through the foreign key, its sessions; false when there is none. */
  async delete(tenantId: string, id: string): Promise<boolean> {
    const rows = await this.#db.query('DELETE FROM console_accounts WHERE tenant_id = $1 AND id = $2 RETURNING id', [tenantId, id]);
    return rows.length > 0;
  }

  async findCredential(tenantId: string, userName: string): Promise<ConsoleAccountCredential | null> {
    const rows = await this.#db.query<AccountRow>(
      `SELECT ${columns} FROM console_accounts WHERE tenant_id = $1 AND lower(user_name) = lower($2)`,
      [tenantId, userName],
    );
    const row = rows[0];
    if (!row) return null;
    return {
      tenantId: row.tenant_id,
      id: row.id,
      userName: row.user_name,
      role: row.role,
      passwordHash: row.password_hash,
      lockedUntil: row.locked_until === null ? null : new Date(row.locked_until),
    };
  }

  /**
   * Counts a failed sign-in of an account that is not locked at `now`: a count left by an expired
   * lockout starts over at 1; the `limit`th failure locks the account until `lockUntil`. Returns
   * the lock, or null when the account is not locked.
   */
  async recordFailure(tenantId: string, id: string, now: Date, limit: number, lockUntil: Date): Promise<Date | null> {
    const rows = await this.#db.query<{ locked_until: Date | string | null }>(
      `UPDATE console_accounts SET
         failed_attempts = CASE WHEN locked_until <= $3 THEN 1 ELSE failed_attempts + 1 END,
         locked_until = CASE WHEN (CASE WHEN locked_until <= $3 THEN 1 ELSE failed_attempts + 1 END) >= $4 THEN $5::timestamptz ELSE NULL END
       WHERE tenant_id = $1 AND id = $2 RETURNING locked_until`,
      [tenantId, id, now, limit, lockUntil],
    );
    const locked = rows[0]?.locked_until ?? null;
    return locked === null ? null : new Date(locked);
  }

  /**
   * A successful sign-in: clears the failure count, records the time, deletes the account's expired
   * sessions and stores the new session token (its hash) with its expiry.
   */
  async recordSignIn(account: ConsoleAccountCredential, session: { id: string; hash: Buffer; expiresAt: Date; label: string }, now: Date): Promise<void> {
    await this.#db.query(
      'UPDATE console_accounts SET failed_attempts = 0, locked_until = NULL, last_sign_in_at = $3 WHERE tenant_id = $1 AND id = $2',
      [account.tenantId, account.id, now],
    );
    await this.#db.query(
      'DELETE FROM api_tokens WHERE tenant_id = $1 AND console_account_id = $2 AND expires_at <= $3',
      [account.tenantId, account.id, now],
    );
    await this.#db.query(
      `INSERT INTO api_tokens (tenant_id, id, token_hash, role, label, expires_at, console_account_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [account.tenantId, session.id, session.hash, account.role, session.label, session.expiresAt, account.id],
    );
  }

  /** Failures of `address` in its current window (0 when its window ended before `windowStart`). */
  async addressFailures(address: string, windowStart: Date): Promise<{ failures: number; windowStartedAt: Date } | null> {
    const rows = await this.#db.query<{ failures: number; window_started_at: Date | string }>(
      'SELECT failures, window_started_at FROM console_sign_in_failures WHERE address = $1 AND window_started_at > $2',
      [address, windowStart],
    );
    const row = rows[0];
    return row ? { failures: row.failures, windowStartedAt: new Date(row.window_started_at) } : null;
  }

  /**
   * Counts a failed sign-in from `address`: a window that started at or before `windowStart` (ended)
   * starts over at `now`. Also forgets windows that ended, so the table holds recent addresses only.
   */
  async recordAddressFailure(address: string, now: Date, windowStart: Date): Promise<void> {
    await this.#db.query(
      `INSERT INTO console_sign_in_failures (address, failures, window_started_at) VALUES ($1, 1, $2)
       ON CONFLICT (address) DO UPDATE SET
         failures = CASE WHEN console_sign_in_failures.window_started_at <= $3 THEN 1 ELSE console_sign_in_failures.failures + 1 END,
         window_started_at = CASE WHEN console_sign_in_failures.window_started_at <= $3 THEN $2 ELSE console_sign_in_failures.window_started_at END`,
      [address, now, windowStart],
    );
    await this.#db.query('DELETE FROM console_sign_in_failures WHERE window_started_at <= $1', [windowStart]);
  }
}
