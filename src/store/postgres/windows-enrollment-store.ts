import type { Queryable } from '../db.ts';
import { isoTime } from './list-sql.ts';

/** `Device` (device-wide enrollment, system certificate store) or `Full` (a user's, user store). */
export type WindowsEnrollmentKind = 'Device' | 'Full';

/** A PC's login state as its last OMA-DM session reported it (Alert 1224 LoginStatus). */
export type WindowsLoginStatus = 'user' | 'others' | 'none';

/** An enrolled PC's MDM channel (table `windows_enrollments`, migration 0007). */
export interface WindowsEnrollmentRecord {
  tenantId: string;
  /** The managed device (`/deviceManagement/managedDevices/{id}`); also the DMClient `EntDMID`. */
  deviceId: string;
  /** The PC's DeviceID: `SyncHdr/Source` of its OMA-DM messages and its certificate's CN. */
  windowsDeviceId: string;
  hwDevId: string | null;
  enrollmentType: WindowsEnrollmentKind;
  /** The enrollment token that enrolled it; null once that token is deleted. */
  tokenId: string | null;
  /** Hex SHA-256 of the client certificate's DER. */
  certificateSha256: string;
  /** Hex, upper case, as X.509 tools print it. */
  certificateSerial: string;
  certificateNotAfter: string;
  /** The SyncML DIGEST user name (`APPAUTH/AAUTHNAME`). */
  digestUsername: string;
  /** The DIGEST secret sealed with the server's SecretBox under `windowsDigestSecretContext`. */
  sealedDigestSecret: Buffer;
  enabled: boolean;
  pushChannelUri: string | null;
  pushChannelUpdatedDateTime: string | null;
  loginStatus: WindowsLoginStatus | null;
  lastSeenDateTime: string | null;
  createdDateTime: string;
}

export interface NewWindowsEnrollment {
  deviceId: string;
  windowsDeviceId: string;
  hwDevId: string | null;
  enrollmentType: WindowsEnrollmentKind;
  tokenId: string;
  certificateSha256: Buffer;
  certificateSerial: string;
  certificateNotAfter: Date;
  digestUsername: string;
  sealedDigestSecret: Buffer;
}

interface EnrollmentRow {
  tenant_id: string;
  device_id: string;
  windows_device_id: string;
  hw_dev_id: string | null;
  enrollment_type: WindowsEnrollmentKind;
  token_id: string | null;
  certificate_sha256: Uint8Array;
  certificate_serial: string;
  certificate_not_after: Date | string;
  digest_username: string;
  sealed_digest_secret: Uint8Array;
  enabled: boolean;
  push_channel_uri: string | null;
  push_channel_updated_at: Date | string | null;
  login_status: WindowsLoginStatus | null;
  last_seen_at: Date | string | null;
  created_at: Date | string;
}

const columns = `tenant_id, device_id, windows_device_id, hw_dev_id, enrollment_type, token_id, certificate_sha256,
  certificate_serial, certificate_not_after, digest_username, sealed_digest_secret, enabled, push_channel_uri,
  push_channel_updated_at, login_status, last_seen_at, created_at`;

function toEnrollment(row: EnrollmentRow): WindowsEnrollmentRecord {
  return {
    tenantId: row.tenant_id,
    deviceId: row.device_id,
    windowsDeviceId: row.windows_device_id,
    hwDevId: row.hw_dev_id,
    enrollmentType: row.enrollment_type,
    tokenId: row.token_id,
    certificateSha256: Buffer.from(row.certificate_sha256).toString('hex'),
    certificateSerial: row.certificate_serial,
    certificateNotAfter: isoTime(row.certificate_not_after)!,
    digestUsername: row.digest_username,
    sealedDigestSecret: Buffer.from(row.sealed_digest_secret),
    enabled: row.enabled,
    pushChannelUri: row.push_channel_uri,
    pushChannelUpdatedDateTime: isoTime(row.push_channel_updated_at),
    loginStatus: row.login_status,
    lastSeenDateTime: isoTime(row.last_seen_at),
    createdDateTime: isoTime(row.created_at)!,
  };
}

/**
 * Enrolled PCs, as the enrollment service writes them: a new enrollment, a re-enrollment of the same
 * PC, and a renewed client certificate (found by the current one, `findByCertificate`). The OMA-DM
 * endpoint reads and updates the same rows through `WindowsMdmStore`.
 */
export class WindowsEnrollmentStore {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  /** The enrollment this client certificate (SHA-256 of its DER) was issued to, in any tenant. */
  async findByCertificate(certificateSha256: Buffer): Promise<WindowsEnrollmentRecord | null> {
    const rows = await this.#db.query<EnrollmentRow>(`SELECT ${columns} FROM windows_enrollments WHERE certificate_sha256 = $1`, [certificateSha256]);
    return rows[0] ? toEnrollment(rows[0]) : null;
  }

  /**
   * The tenant's enrollments of this PC, locked until the transaction ends: those with its hardware
   * id, and the one with its DeviceID (the unique key a new enrollment of the same PC would hit).
   */
  async lockSamePc(tenantId: string, hwDevId: string | null, windowsDeviceId: string): Promise<WindowsEnrollmentRecord[]> {
    const rows = await this.#db.query<EnrollmentRow>(
      `SELECT ${columns} FROM windows_enrollments
       WHERE tenant_id = $1 AND (windows_device_id = $3 OR ($2::text IS NOT NULL AND hw_dev_id = $2))
       ORDER BY device_id FOR UPDATE`,
      [tenantId, hwDevId, windowsDeviceId],
    );
    return rows.map(toEnrollment);
  }

  /**
   * Replaces an enabled enrollment's client certificate after a renewal, only if it still holds
   * `currentSha256` (a compare-and-set in one statement: two renewals racing with the same old
   * certificate cannot both win). The device, its ledger and its DIGEST credential are untouched.
   * Returns the updated enrollment, or null when the certificate changed or the enrollment is
   * gone or disabled in the meantime.
   */
  async replaceCertificate(
    tenantId: string,
    deviceId: string,
    currentSha256: Buffer,
    next: { certificateSha256: Buffer; certificateSerial: string; certificateNotAfter: Date },
  ): Promise<WindowsEnrollmentRecord | null> {
    const rows = await this.#db.query<EnrollmentRow>(
      `UPDATE windows_enrollments SET certificate_sha256 = $4, certificate_serial = $5, certificate_not_after = $6
       WHERE tenant_id = $1 AND device_id = $2 AND certificate_sha256 = $3 AND enabled
       RETURNING ${columns}`,
      [tenantId, deviceId, currentSha256, next.certificateSha256, next.certificateSerial, next.certificateNotAfter],
    );
    return rows[0] ? toEnrollment(rows[0]) : null;
  }

  async insert(tenantId: string, enrollment: NewWindowsEnrollment): Promise<WindowsEnrollmentRecord> {
    const rows = await this.#db.query<EnrollmentRow>(
      `INSERT INTO windows_enrollments (tenant_id, device_id, windows_device_id, hw_dev_id, enrollment_type, token_id,
         certificate_sha256, certificate_serial, certificate_not_after, digest_username, sealed_digest_secret)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
       RETURNING ${columns}`,
      [
        tenantId, enrollment.deviceId, enrollment.windowsDeviceId, enrollment.hwDevId, enrollment.enrollmentType, enrollment.tokenId,
        enrollment.certificateSha256, enrollment.certificateSerial, enrollment.certificateNotAfter, enrollment.digestUsername,
        enrollment.sealedDigestSecret,
      ],
    );
    return toEnrollment(rows[0]!);
  }
}
