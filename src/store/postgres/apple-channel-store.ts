import type { Queryable } from '../db.ts';

/** What the Apple check-in and command endpoints need about the device behind an identity certificate. */
export interface AppleChannelDevice {
  tenantId: string;
  /** UDID, or EnrollmentID under User Enrollment. */
  enrollmentId: string;
  deviceId: string;
  /** False after CheckOut: the device has left management. */
  enabled: boolean;
  /** A ProfileList is wanted from this time (epoch ms); null when only the periodic one is. */
  verifyDueAt: number | null;
  verifiedAt: number | null;
  profileListCommandUuid: string | null;
  profileListSentAt: number | null;
}

interface ChannelRow {
  tenant_id: string;
  enrollment_id: string;
  device_id: string;
  enabled: boolean;
  verify_due_at: Date | string | null;
  verified_at: Date | string | null;
  profile_list_command_uuid: string | null;
  profile_list_sent_at: Date | string | null;
}

function ms(value: Date | string | null): number | null {
  return value === null ? null : new Date(value).getTime();
}

/**
 * The Apple channel's state beside the delivery queue (migration 0005): inventory verification and
 * the removal half of replaces, plus the channel fields of `apple_enrollments` it reads per request.
 */
export class AppleChannelStore {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  /** The enrolled device bound to this identity certificate, with its verification state; null when none. */
  async deviceByCertificate(certificateSha256: Buffer): Promise<AppleChannelDevice | null> {
    const rows = await this.#db.query<ChannelRow>(
      `SELECT e.tenant_id, e.enrollment_id, e.device_id, e.enabled, s.verify_due_at, s.verified_at,
              s.profile_list_command_uuid, s.profile_list_sent_at
         FROM apple_enrollments e
         LEFT JOIN apple_channel_state s ON s.tenant_id = e.tenant_id AND s.device_id = e.device_id
        WHERE e.certificate_sha256 = $1`,
      [certificateSha256],
    );
    const row = rows[0];
    if (!row) return null;
    return {
      tenantId: row.tenant_id,
      enrollmentId: row.enrollment_id,
      deviceId: row.device_id,
      enabled: row.enabled,
      verifyDueAt: ms(row.verify_due_at),
      verifiedAt: ms(row.verified_at),
      profileListCommandUuid: row.profile_list_command_uuid,
      profileListSentAt: ms(row.profile_list_sent_at),
    };
  }

  /** Wants a ProfileList from `at` on (the device acknowledged a profile change). */
  async markVerifyDue(tenantId: string, deviceId: string, at: number): Promise<void> {
    await this.#db.query(
      `INSERT INTO apple_channel_state (tenant_id, device_id, verify_due_at) VALUES ($1, $2, $3)
       ON CONFLICT (tenant_id, device_id) DO UPDATE SET verify_due_at = EXCLUDED.verify_due_at`,
      [tenantId, deviceId, new Date(at)],
    );
  }

  /**
   * Records a ProfileList handed out, unless another one is unanswered and was handed out since `inFlightBefore`
   * (a concurrent request of the same device): false then, and the caller sends nothing.
   */
  async claimProfileList(tenantId: string, deviceId: string, commandUuid: string, now: number, inFlightBefore: number): Promise<boolean> {
    const rows = await this.#db.query<{ ok: boolean }>(
      `INSERT INTO apple_channel_state (tenant_id, device_id, profile_list_command_uuid, profile_list_sent_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (tenant_id, device_id) DO UPDATE SET profile_list_command_uuid = EXCLUDED.profile_list_command_uuid,
         profile_list_sent_at = EXCLUDED.profile_list_sent_at
        WHERE apple_channel_state.profile_list_command_uuid IS NULL OR apple_channel_state.profile_list_sent_at IS NULL
           OR apple_channel_state.profile_list_sent_at < $5
       RETURNING true AS ok`,
      [tenantId, deviceId, commandUuid, new Date(now), new Date(inFlightBefore)],
    );
    return rows.length === 1;
  }

  /**
   * Closes the ProfileList `commandUuid`: `verified` records the time; a change acknowledged after
   * the list was requested keeps the next one due. False when it is not the one in flight.
   */
  async finishProfileList(tenantId: string, deviceId: string, commandUuid: string, verified: boolean, now: number): Promise<boolean> {
    const rows = await this.#db.query<{ ok: boolean }>(
      `UPDATE apple_channel_state SET
         verified_at = CASE WHEN $4 THEN $5 ELSE verified_at END,
         verify_due_at = CASE WHEN $4 AND verify_due_at <= profile_list_sent_at THEN NULL ELSE verify_due_at END,
         profile_list_command_uuid = NULL
       WHERE tenant_id = $1 AND device_id = $2 AND profile_list_command_uuid = $3
       RETURNING true AS ok`,
      [tenantId, deviceId, commandUuid, verified, new Date(now)],
    );
    return rows.length === 1;
  }

  /** Remembers the removal half of a replace as handed out (idempotent). */
  async recordReplaceRemoval(tenantId: string, deviceId: string, commandId: string, removeCommandId: string): Promise<void> {
    await this.#db.query(
      `INSERT INTO apple_replace_removals (tenant_id, device_id, command_id, remove_command_id) VALUES ($1, $2, $3, $4)
       ON CONFLICT DO NOTHING`,
      [tenantId, deviceId, commandId, removeCommandId],
    );
  }

  /** The replace whose removal half is `removeCommandId`, and whether that half is done; null when unknown. */
  async replaceRemoval(tenantId: string, deviceId: string, removeCommandId: string): Promise<{ commandId: string; removed: boolean } | null> {
    const rows = await this.#db.query<{ command_id: string; removed_at: Date | string | null }>(
      'SELECT command_id, removed_at FROM apple_replace_removals WHERE tenant_id = $1 AND device_id = $2 AND remove_command_id = $3',
      [tenantId, deviceId, removeCommandId],
    );
    const row = rows[0];
    return row ? { commandId: row.command_id, removed: row.removed_at !== null } : null;
  }

  /** Whether the removal half of the replace `commandId` is done. */
  async replaceRemoved(tenantId: string, deviceId: string, commandId: string): Promise<boolean> {
    const rows = await this.#db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM apple_replace_removals WHERE tenant_id = $1 AND device_id = $2 AND command_id = $3 AND removed_at IS NOT NULL',
      [tenantId, deviceId, commandId],
    );
    return (rows[0]?.n ?? 0) > 0;
  }

  async markReplaceRemoved(tenantId: string, deviceId: string, removeCommandId: string, now: number): Promise<void> {
    await this.#db.query(
      'UPDATE apple_replace_removals SET removed_at = $4 WHERE tenant_id = $1 AND device_id = $2 AND remove_command_id = $3 AND removed_at IS NULL',
      [tenantId, deviceId, removeCommandId, new Date(now)],
    );
  }

  /** CheckOut: the channel is disabled and its push token forgotten. */
  async checkOut(tenantId: string, enrollmentId: string): Promise<void> {
    await this.#db.query(
      'UPDATE apple_enrollments SET enabled = false, push_token_hex = NULL, push_magic = NULL WHERE tenant_id = $1 AND enrollment_id = $2',
      [tenantId, enrollmentId],
    );
  }
}
