import type { Queryable } from '../db.ts';
import type { AndroidManagementMode, DeviceOperatingSystem } from '../../domain/directory.ts';
import { isoTime } from './list-sql.ts';

/** A portal link as the admin API lists it: never its secret, which is not stored. */
export interface PortalLinkRecord {
  id: string;
  userId: string;
  expirationDateTime: string;
  revokedDateTime: string | null;
  lastUsedDateTime: string | null;
  createdDateTime: string;
}

/** The user a portal link authenticates, as the portal shows them. */
export interface PortalUser {
  id: string;
  displayName: string;
  userPrincipalName: string;
  mail: string | null;
}

/** One of the user's devices (they are its primary user). */
export interface PortalDeviceRow {
  id: string;
  deviceName: string;
  operatingSystem: DeviceOperatingSystem;
  osVersion: string;
  model: string | null;
  androidManagementMode: AndroidManagementMode | null;
  enrolledAt: string;
  lastSyncAt: string | null;
}

interface LinkRow {
  id: string;
  user_id: string;
  expires_at: Date | string;
  revoked_at: Date | string | null;
  last_used_at: Date | string | null;
  created_at: Date | string;
}

const linkColumns = 'id, user_id, expires_at, revoked_at, last_used_at, created_at';

function toLink(row: LinkRow): PortalLinkRecord {
  return {
    id: row.id,
    userId: row.user_id,
    expirationDateTime: isoTime(row.expires_at)!,
    revokedDateTime: isoTime(row.revoked_at),
    lastUsedDateTime: isoTime(row.last_used_at),
    createdDateTime: isoTime(row.created_at)!,
  };
}

/** Portal links (stored as SHA-256 hashes) and the reads and rate limits of the company portal, per tenant. */
export class PortalLinkStore {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  async insert(tenantId: string, link: { id: string; hash: Buffer; userId: string; expiresAt: Date }): Promise<PortalLinkRecord> {
    const rows = await this.#db.query<LinkRow>(
      `INSERT INTO portal_links (tenant_id, id, secret_hash, user_id, expires_at) VALUES ($1, $2, $3, $4, $5) RETURNING ${linkColumns}`,
      [tenantId, link.id, link.hash, link.userId, link.expiresAt],
    );
    return toLink(rows[0]!);
  }

  /** The user's links, newest first (at most 100: links are per person, an admin issues a few). */
  async listForUser(tenantId: string, userId: string): Promise<PortalLinkRecord[]> {
    const rows = await this.#db.query<LinkRow>(
      `SELECT ${linkColumns} FROM portal_links WHERE tenant_id = $1 AND user_id = $2 ORDER BY created_at DESC, id LIMIT 100`,
      [tenantId, userId],
    );
    return rows.map(toLink);
  }

  /** Marks the user's link revoked; false when it does not exist for this user or was revoked already. */
  async revoke(tenantId: string, userId: string, id: string): Promise<boolean> {
    const rows = await this.#db.query(
      'UPDATE portal_links SET revoked_at = now() WHERE tenant_id = $1 AND user_id = $2 AND id = $3 AND revoked_at IS NULL RETURNING id',
      [tenantId, userId, id],
    );
    return rows.length > 0;
  }

  /** The link with this secret hash, in any tenant and state (the caller decides whether it is usable). */
  async findByHash(hash: Buffer): Promise<(PortalLinkRecord & { tenantId: string; expiresAt: Date; revoked: boolean; lastUsedAt: Date | null }) | null> {
    const rows = await this.#db.query<LinkRow & { tenant_id: string }>(`SELECT tenant_id, ${linkColumns} FROM portal_links WHERE secret_hash = $1`, [hash]);
    const row = rows[0];
    if (!row) return null;
    return {
      ...toLink(row),
      tenantId: row.tenant_id,
      expiresAt: new Date(row.expires_at),
      revoked: row.revoked_at !== null,
      lastUsedAt: row.last_used_at === null ? null : new Date(row.last_used_at),
    };
  }

  /** Records a use of the link (the caller writes at most once a minute per link). */
  async touch(tenantId: string, id: string, now: Date): Promise<void> {
    await this.#db.query('UPDATE portal_links SET last_used_at = $3 WHERE tenant_id = $1 AND id = $2', [tenantId, id, now]);
  }

  /** Locks the link's row for the rest of the transaction (serialises the user's enrollment-link requests). */
  async lock(tenantId: string, id: string): Promise<boolean> {
    const rows = await this.#db.query('SELECT 1 FROM portal_links WHERE tenant_id = $1 AND id = $2 FOR UPDATE', [tenantId, id]);
    return rows.length > 0;
  }

  async user(tenantId: string, userId: string): Promise<PortalUser | null> {
    const rows = await this.#db.query<{ id: string; display_name: string; user_principal_name: string; mail: string | null }>(
      'SELECT id, display_name, user_principal_name, mail FROM users WHERE tenant_id = $1 AND id = $2',
      [tenantId, userId],
    );
    const row = rows[0];
    return row ? { id: row.id, displayName: row.display_name, userPrincipalName: row.user_principal_name, mail: row.mail } : null;
  }

  /** The devices whose primary user is `userId`, by name. */
  async devicesOf(tenantId: string, userId: string): Promise<PortalDeviceRow[]> {
    const rows = await this.#db.query<{
      id: string; device_name: string; operating_system: DeviceOperatingSystem; os_version: string; model: string | null;
      android_management_mode: AndroidManagementMode | null; enrolled_at: Date | string; last_sync_at: Date | string | null;
    }>(
      `SELECT id, device_name, operating_system, os_version, model, android_management_mode, enrolled_at, last_sync_at
         FROM managed_devices WHERE tenant_id = $1 AND user_id = $2 ORDER BY device_name, id LIMIT 200`,
      [tenantId, userId],
    );
    return rows.map((row) => ({
      id: row.id,
      deviceName: row.device_name,
      operatingSystem: row.operating_system,
      osVersion: row.os_version,
      model: row.model,
      androidManagementMode: row.android_management_mode,
      enrolledAt: isoTime(row.enrolled_at)!,
      lastSyncAt: isoTime(row.last_sync_at),
    }));
  }

  /** Whether the device exists in the tenant with `userId` as its primary user. */
  async isDeviceOf(tenantId: string, userId: string, deviceId: string): Promise<boolean> {
    const rows = await this.#db.query('SELECT 1 FROM managed_devices WHERE tenant_id = $1 AND id = $2 AND user_id = $3', [tenantId, deviceId, userId]);
    return rows.length > 0;
  }

  /**
   * Per profile with a ledger row on the device: its type (without the `#microsoft.graph.` prefix) and
   * the account identity key (`ios|host|address`, …) its current or installed version delivers, null
   * when none (certificate profiles, or nothing could be rendered). The portal shows email profiles and
   * names the account a user must remove.
   */
  async profileAccounts(tenantId: string, deviceId: string): Promise<Map<string, { odataType: string; identityKey: string | null }>> {
    const rows = await this.#db.query<{ profile_id: string; odata_type: string; key: string | null }>(
      `SELECT profile_id, odata_type, COALESCE(target->>'identityKey', installed->>'identityKey') AS key
         FROM delivery_ledger WHERE tenant_id = $1 AND device_id = $2`,
      [tenantId, deviceId],
    );
    return new Map(rows.map((row) => [row.profile_id, { odataType: row.odata_type, identityKey: row.key }]));
  }

  /**
   * Claims the device's "check again" slot: true, and `now` recorded, when the last claim is at least
   * `intervalMs` old (or there is none); otherwise false and the time the next claim is allowed. One
   * atomic statement, so two processes never both claim.
   */
  async claimCheck(tenantId: string, deviceId: string, now: Date, intervalMs: number): Promise<{ claimed: true } | { claimed: false; nextAllowedAt: Date }> {
    const claimed = await this.#db.query(
      `INSERT INTO portal_device_checks AS c (tenant_id, device_id, requested_at) VALUES ($1, $2, $3)
       ON CONFLICT (tenant_id, device_id) DO UPDATE SET requested_at = EXCLUDED.requested_at
         WHERE c.requested_at <= $3::timestamptz - make_interval(secs => $4::double precision / 1000)
       RETURNING device_id`,
      [tenantId, deviceId, now, intervalMs],
    );
    if (claimed.length > 0) return { claimed: true };
    const rows = await this.#db.query<{ requested_at: Date | string }>('SELECT requested_at FROM portal_device_checks WHERE tenant_id = $1 AND device_id = $2', [tenantId, deviceId]);
    const last = rows[0] ? new Date(rows[0].requested_at).getTime() : now.getTime();
    return { claimed: false, nextAllowedAt: new Date(last + intervalMs) };
  }

  /** Enrollment tokens of the user that can still enroll a device: not revoked, not expired, room left. */
  async countActiveEnrollmentTokens(tenantId: string, userId: string, now: Date): Promise<number> {
    const rows = await this.#db.query<{ n: number | string }>(
      `SELECT count(*) AS n FROM enrollment_tokens
        WHERE tenant_id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > $3 AND used_count < max_devices`,
      [tenantId, userId, now],
    );
    return Number(rows[0]?.n ?? 0);
  }
}
