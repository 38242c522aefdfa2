import { conflict } from '../../domain/errors.ts';
import type { Queryable } from '../db.ts';
import { isoTime } from './list-sql.ts';
import { pgErrorCode, pgErrorCodes } from './pg-errors.ts';

/** An enrolled Knox device agent (table `knox_enrollments`, migration 0012). */
export interface KnoxEnrollmentRecord {
  tenantId: string;
  /** The managed device (`/deviceManagement/managedDevices/{id}`). */
  deviceId: string;
  serialNumber: string;
  androidVersion: string;
  knoxVersion: string | null;
  /** The Firebase registration token the agent reported last; null: not woken by FCM. */
  fcmToken: string | null;
  tokenId: string | null;
  enabled: boolean;
  lastSeenDateTime: string | null;
  createdDateTime: string;
}

export interface NewKnoxEnrollment {
  deviceId: string;
  credentialSha256: Buffer;
  serialNumber: string;
  androidVersion: string;
  knoxVersion: string | null;
  fcmToken: string | null;
  tokenId: string;
}

/** What the channel keeps per (device, profile) besides the ledger (table `knox_accounts`). */
export interface KnoxAccountRecord {
  profileId: string;
  overwrittenCount: number;
  lastCommandId: string | null;
  lastEvent: 'applied' | 'validated' | 'failed' | null;
  lastEventCode: string | null;
}

interface EnrollmentRow {
  tenant_id: string;
  device_id: string;
  serial_number: string;
  android_version: string;
  knox_version: string | null;
  fcm_token: string | null;
  token_id: string | null;
  enabled: boolean;
  last_seen_at: Date | string | null;
  created_at: Date | string;
}

const columns = 'tenant_id, device_id, serial_number, android_version, knox_version, fcm_token, token_id, enabled, last_seen_at, created_at';

function toEnrollment(row: EnrollmentRow): KnoxEnrollmentRecord {
  return {
    tenantId: row.tenant_id,
    deviceId: row.device_id,
    serialNumber: row.serial_number,
    androidVersion: row.android_version,
    knoxVersion: row.knox_version,
    fcmToken: row.fcm_token,
    tokenId: row.token_id,
    enabled: row.enabled,
    lastSeenDateTime: isoTime(row.last_seen_at),
    createdDateTime: isoTime(row.created_at)!,
  };
}

/**
 * The Knox agent channel's rows: enrollments (found by the SHA-256 of the device credential) and
 * the per-account facts the agent reports (overwrite counter, last add-result event).
 */
export class KnoxAgentStore {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  /** The enrollment whose credential hashes to `credentialSha256`, in any tenant. */
  async findByCredential(credentialSha256: Buffer): Promise<KnoxEnrollmentRecord | null> {
    const rows = await this.#db.query<EnrollmentRow>(`SELECT ${columns} FROM knox_enrollments WHERE credential_sha256 = $1`, [credentialSha256]);
    return rows[0] ? toEnrollment(rows[0]) : null;
  }

  /** The tenant's enrollment of this hardware, locked until the transaction ends (a re-enrollment replaces it). */
  async lockSameDevice(tenantId: string, serialNumber: string): Promise<KnoxEnrollmentRecord | null> {
    const rows = await this.#db.query<EnrollmentRow>(
      `SELECT ${columns} FROM knox_enrollments WHERE tenant_id = $1 AND serial_number = $2 FOR UPDATE`,
      [tenantId, serialNumber],
    );
    return rows[0] ? toEnrollment(rows[0]) : null;
  }

  /** 409 when the same serial number enrolled in the tenant concurrently (the unique key; retry finds and replaces it). */
  async insert(tenantId: string, enrollment: NewKnoxEnrollment): Promise<KnoxEnrollmentRecord> {
    try {
      const rows = await this.#db.query<EnrollmentRow>(
        `INSERT INTO knox_enrollments (tenant_id, device_id, credential_sha256, serial_number, android_version, knox_version, fcm_token, token_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${columns}`,
        [tenantId, enrollment.deviceId, enrollment.credentialSha256, enrollment.serialNumber, enrollment.androidVersion, enrollment.knoxVersion, enrollment.fcmToken, enrollment.tokenId],
      );
      return toEnrollment(rows[0]!);
    } catch (error) {
      if (pgErrorCode(error) === pgErrorCodes.uniqueViolation) throw conflict('This device is enrolling in another request at the same time; retry.', 'device.serialNumber');
      throw error;
    }
  }

  /** Records that the agent was seen; `fcmToken` when it reported one (undefined: unchanged, null: cleared). */
  async touch(tenantId: string, deviceId: string, now: Date, fcmToken?: string | null): Promise<void> {
    if (fcmToken === undefined) {
      await this.#db.query('UPDATE knox_enrollments SET last_seen_at = $3 WHERE tenant_id = $1 AND device_id = $2', [tenantId, deviceId, now]);
    } else {
      await this.#db.query('UPDATE knox_enrollments SET last_seen_at = $3, fcm_token = $4 WHERE tenant_id = $1 AND device_id = $2', [tenantId, deviceId, now, fcmToken]);
    }
  }

  /** Disables the enrollment (the agent unenrolled): its credential is refused from then on. False when it was already. */
  async disable(tenantId: string, deviceId: string): Promise<boolean> {
    const rows = await this.#db.query('UPDATE knox_enrollments SET enabled = false, fcm_token = NULL WHERE tenant_id = $1 AND device_id = $2 AND enabled RETURNING device_id', [tenantId, deviceId]);
    return rows.length > 0;
  }

  /** Clears a registration token FCM called dead, only if it is still the device's (a newer one wins). */
  async clearFcmToken(tenantId: string, deviceId: string, fcmToken: string): Promise<boolean> {
    const rows = await this.#db.query('UPDATE knox_enrollments SET fcm_token = NULL WHERE tenant_id = $1 AND device_id = $2 AND fcm_token = $3 RETURNING device_id', [tenantId, deviceId, fcmToken]);
    return rows.length > 0;
  }

  /** The FCM registration tokens of those of `deviceIds` (one tenant) that have one. */
  async fcmTargets(tenantId: string, deviceIds: readonly string[]): Promise<{ deviceId: string; fcmToken: string }[]> {
    if (deviceIds.length === 0) return [];
    const rows = await this.#db.query<{ device_id: string; fcm_token: string }>(
      'SELECT device_id, fcm_token FROM knox_enrollments WHERE tenant_id = $1 AND device_id = ANY($2::uuid[]) AND fcm_token IS NOT NULL AND enabled ORDER BY device_id',
      [tenantId, [...deviceIds]],
    );
    return rows.map((row) => ({ deviceId: row.device_id, fcmToken: row.fcm_token }));
  }

  /** The device's account rows, by profile. */
  async accounts(tenantId: string, deviceId: string): Promise<Map<string, KnoxAccountRecord>> {
    const rows = await this.#db.query<{ profile_id: string; overwritten_count: number; last_command_id: string | null; last_event: KnoxAccountRecord['lastEvent']; last_event_code: string | null }>(
      'SELECT profile_id, overwritten_count, last_command_id, last_event, last_event_code FROM knox_accounts WHERE tenant_id = $1 AND device_id = $2',
      [tenantId, deviceId],
    );
    return new Map(rows.map((row) => [row.profile_id, { profileId: row.profile_id, overwrittenCount: row.overwritten_count, lastCommandId: row.last_command_id, lastEvent: row.last_event, lastEventCode: row.last_event_code }]));
  }

  /**
   * Records an add-result event of `commandId` for the account of `profileId`; with
   * `overwroteUserAccount`, counts one overwrite — once per command, so a repeated event counts
   * nothing. Returns the row after the write.
   */
  async recordEvent(
    tenantId: string,
    deviceId: string,
    profileId: string,
    event: { commandId: string; kind: 'applied' | 'validated' | 'failed'; code: string | null; overwroteUserAccount: boolean; at: Date },
  ): Promise<KnoxAccountRecord> {
    const rows = await this.#db.query<{ overwritten_count: number; last_command_id: string | null; last_event: KnoxAccountRecord['lastEvent']; last_event_code: string | null }>(
      `INSERT INTO knox_accounts AS a (tenant_id, device_id, profile_id, overwritten_count, last_overwrite_command_id, last_command_id, last_event, last_event_code, last_event_at)
       VALUES ($1, $2, $3, CASE WHEN $7 THEN 1 ELSE 0 END, CASE WHEN $7 THEN $4::uuid END, $4, $5, $6, $8)
       ON CONFLICT (tenant_id, device_id, profile_id) DO UPDATE SET
         overwritten_count = a.overwritten_count + CASE WHEN $7 AND a.last_overwrite_command_id IS DISTINCT FROM $4::uuid THEN 1 ELSE 0 END,
         last_overwrite_command_id = CASE WHEN $7 THEN $4::uuid ELSE a.last_overwrite_command_id END,
         last_command_id = $4, last_event = $5, last_event_code = $6, last_event_at = $8
       RETURNING overwritten_count, last_command_id, last_event, last_event_code`,
      [tenantId, deviceId, profileId, event.commandId, event.kind, event.code, event.overwroteUserAccount, event.at],
    );
    const row = rows[0]!;
    return { profileId, overwrittenCount: row.overwritten_count, lastCommandId: row.last_command_id, lastEvent: row.last_event, lastEventCode: row.last_event_code };
  }
}
