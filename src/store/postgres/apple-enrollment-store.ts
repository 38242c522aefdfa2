import type { Queryable } from '../db.ts';
import { isoTime } from './list-sql.ts';

/** An enrollment profile that was served and whose identity has not (or has) authenticated yet. */
export interface PendingAppleEnrollment {
  tenantId: string;
  id: string;
  tokenId: string;
  userId: string;
  /** The push topic the served profile names. */
  topic: string;
  expiresAt: Date;
  completedAt: Date | null;
}

export interface NewPendingAppleEnrollment {
  id: string;
  tokenId: string;
  userId: string;
  certificateSha256: Buffer;
  topic: string;
  expiresAt: Date;
}

/** An enrolled device's MDM channel state (device channel). */
export interface AppleEnrollmentRecord {
  tenantId: string;
  /** UDID, or EnrollmentID under User Enrollment. */
  enrollmentId: string;
  deviceId: string;
  /** Hex SHA-256 of the identity certificate bound to this enrollment. */
  certificateSha256: string;
  enrollmentType: string;
  serialNumber: string | null;
  topic: string;
  pushTokenHex: string | null;
  pushMagic: string | null;
  enabled: boolean;
  tokenUpdateCount: number;
  lastSeenDateTime: string;
}

export interface AppleEnrollmentFields {
  enrollmentId: string;
  deviceId: string;
  certificateSha256: Buffer;
  enrollmentType: string;
  serialNumber: string | null;
  topic: string;
}

interface PendingRow {
  tenant_id: string;
  id: string;
  token_id: string;
  user_id: string;
  topic: string;
  expires_at: Date | string;
  completed_at: Date | string | null;
}

interface EnrollmentRow {
  tenant_id: string;
  enrollment_id: string;
  device_id: string;
  certificate_sha256: Uint8Array;
  enrollment_type: string;
  serial_number: string | null;
  topic: string;
  push_token_hex: string | null;
  push_magic: string | null;
  enabled: boolean;
  token_update_count: number;
  last_seen_at: Date | string;
}

const pendingColumns = 'tenant_id, id, token_id, user_id, topic, expires_at, completed_at';
const enrollmentColumns = `tenant_id, enrollment_id, device_id, certificate_sha256, enrollment_type, serial_number, topic,
  push_token_hex, push_magic, enabled, token_update_count, last_seen_at`;

function toPending(row: PendingRow): PendingAppleEnrollment {
  return {
    tenantId: row.tenant_id,
    id: row.id,
    tokenId: row.token_id,
    userId: row.user_id,
    topic: row.topic,
    expiresAt: new Date(row.expires_at),
    completedAt: row.completed_at === null ? null : new Date(row.completed_at),
  };
}

function toEnrollment(row: EnrollmentRow): AppleEnrollmentRecord {
  return {
    tenantId: row.tenant_id,
    enrollmentId: row.enrollment_id,
    deviceId: row.device_id,
    certificateSha256: Buffer.from(row.certificate_sha256).toString('hex'),
    enrollmentType: row.enrollment_type,
    serialNumber: row.serial_number,
    topic: row.topic,
    pushTokenHex: row.push_token_hex,
    pushMagic: row.push_magic,
    enabled: row.enabled,
    tokenUpdateCount: row.token_update_count,
    lastSeenDateTime: isoTime(row.last_seen_at)!,
  };
}

/** Pending Apple enrollments (served profiles) and enrolled devices' channel state. */
export class AppleEnrollmentStore {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  async insertPending(tenantId: string, pending: NewPendingAppleEnrollment): Promise<void> {
    await this.#db.query(
      `INSERT INTO apple_pending_enrollments (tenant_id, id, token_id, user_id, certificate_sha256, topic, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [tenantId, pending.id, pending.tokenId, pending.userId, pending.certificateSha256, pending.topic, pending.expiresAt],
    );
  }

  /** The pending enrollment whose profile carried this identity certificate, locked until the transaction ends. */
  async lockPendingByCertificate(certificateSha256: Buffer): Promise<PendingAppleEnrollment | null> {
    const rows = await this.#db.query<PendingRow>(`SELECT ${pendingColumns} FROM apple_pending_enrollments WHERE certificate_sha256 = $1 FOR UPDATE`, [certificateSha256]);
    return rows[0] ? toPending(rows[0]) : null;
  }

  async markPendingCompleted(tenantId: string, id: string): Promise<void> {
    await this.#db.query('UPDATE apple_pending_enrollments SET completed_at = now() WHERE tenant_id = $1 AND id = $2', [tenantId, id]);
  }

  /** How many devices of the tenant are enrolled with an enabled MDM channel. */
  async countEnabled(tenantId: string): Promise<number> {
    const rows = await this.#db.query<{ n: number }>('SELECT count(*)::int AS n FROM apple_enrollments WHERE tenant_id = $1 AND enabled', [tenantId]);
    return rows[0]?.n ?? 0;
  }

  async get(tenantId: string, enrollmentId: string): Promise<AppleEnrollmentRecord | null> {
    const rows = await this.#db.query<EnrollmentRow>(`SELECT ${enrollmentColumns} FROM apple_enrollments WHERE tenant_id = $1 AND enrollment_id = $2`, [tenantId, enrollmentId]);
    return rows[0] ? toEnrollment(rows[0]) : null;
  }

  /** The enrollment this identity certificate is bound to, in any tenant. */
  async findByCertificate(certificateSha256: Buffer): Promise<AppleEnrollmentRecord | null> {
    const rows = await this.#db.query<EnrollmentRow>(`SELECT ${enrollmentColumns} FROM apple_enrollments WHERE certificate_sha256 = $1`, [certificateSha256]);
    return rows[0] ? toEnrollment(rows[0]) : null;
  }

  /**
   * Creates the enrollment, or re-binds an existing one (a device enrolling again) to a new certificate
   * and device: the channel is enabled again and its push token forgotten until the next TokenUpdate.
   */
  async upsert(tenantId: string, fields: AppleEnrollmentFields): Promise<AppleEnrollmentRecord> {
    const rows = await this.#db.query<EnrollmentRow>(
      `INSERT INTO apple_enrollments (tenant_id, enrollment_id, device_id, certificate_sha256, enrollment_type, serial_number, topic)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (tenant_id, enrollment_id) DO UPDATE SET
         device_id = EXCLUDED.device_id, certificate_sha256 = EXCLUDED.certificate_sha256, enrollment_type = EXCLUDED.enrollment_type,
         serial_number = EXCLUDED.serial_number, topic = EXCLUDED.topic, push_token_hex = NULL, push_magic = NULL,
         enabled = true, last_seen_at = now()
       RETURNING ${enrollmentColumns}`,
      [tenantId, fields.enrollmentId, fields.deviceId, fields.certificateSha256, fields.enrollmentType, fields.serialNumber, fields.topic],
    );
    return toEnrollment(rows[0]!);
  }

  /** Stores a TokenUpdate's push token and PushMagic, counts it and marks the device seen; null when no such enrollment. */
  async recordTokenUpdate(tenantId: string, enrollmentId: string, update: { pushTokenHex: string; pushMagic: string; topic: string }): Promise<AppleEnrollmentRecord | null> {
    const rows = await this.#db.query<EnrollmentRow>(
      `UPDATE apple_enrollments SET push_token_hex = $3, push_magic = $4, topic = $5, enabled = true,
         token_update_count = token_update_count + 1, last_seen_at = now()
       WHERE tenant_id = $1 AND enrollment_id = $2 RETURNING ${enrollmentColumns}`,
      [tenantId, enrollmentId, update.pushTokenHex, update.pushMagic, update.topic],
    );
    return rows[0] ? toEnrollment(rows[0]) : null;
  }
}
