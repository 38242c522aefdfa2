import type { DeviceOperatingSystem } from '../../domain/directory.ts';
import type { Queryable } from '../db.ts';

/** What the OMA-DM endpoint needs about an enrolled PC (`windows_enrollments` and its device). */
export interface WindowsMdmEnrollment {
  tenantId: string;
  deviceId: string;
  /** The MS-MDE2 DeviceID, which the PC sends as `SyncHdr/Source`. */
  windowsDeviceId: string;
  certificateSha256: Buffer;
  certificateNotAfter: number;
  digestUsername: string;
  sealedDigestSecret: Buffer;
  enabled: boolean;
  operatingSystem: DeviceOperatingSystem;
  pushChannelUri: string | null;
  /** When the PC's last session started; null before its first. */
  lastSeenAt: number | null;
}

/** One OMA-DM session of a PC (migration 0008). */
export interface WindowsMdmSession {
  sessionId: string;
  auth: 'certificate' | 'digest';
  /** The PC's last message processed; Envelope answers each with the same MsgID. */
  lastDeviceMsgId: number;
  loginStatus: 'user' | 'others' | 'none' | null;
  startedAt: number;
  updatedAt: number;
}

export type SentPurpose = 'delivery' | 'probe' | 'scan' | 'verify' | 'read';

/** A unit of commands sent in one server message, found again by the CmdIDs a device answer names. */
export interface SentUnit<D = unknown> {
  msgId: number;
  firstCmdId: number;
  lastCmdId: number;
  purpose: SentPurpose;
  commandId: string | null;
  profileId: string | null;
  detail: D;
}

export interface WindowsProfileState<C = unknown> {
  profileId: string;
  /** The native state the PC confirmed, or null. */
  confirmed: C | null;
  /** A node an Add went to without a confirmed outcome. */
  addSentNode: string | null;
}

export interface WindowsMdmDeviceState {
  verifyDueAt: number | null;
  verifiedAt: number | null;
}

export interface KeptMessage {
  sessionId: string;
  msgId: number;
  receivedAt: number;
  body: string;
  truncated: boolean;
}

const ms = (value: Date | string | null): number | null => (value === null ? null : new Date(value).getTime());

interface EnrollmentRow {
  tenant_id: string;
  device_id: string;
  windows_device_id: string;
  certificate_sha256: Uint8Array;
  certificate_not_after: Date | string;
  digest_username: string;
  sealed_digest_secret: Uint8Array;
  enabled: boolean;
  operating_system: DeviceOperatingSystem;
  push_channel_uri: string | null;
  last_seen_at: Date | string | null;
}

const enrollmentColumns = `e.tenant_id, e.device_id, e.windows_device_id, e.certificate_sha256, e.certificate_not_after, e.digest_username,
  e.sealed_digest_secret, e.enabled, d.operating_system, e.push_channel_uri, e.last_seen_at`;

function toEnrollment(row: EnrollmentRow): WindowsMdmEnrollment {
  return {
    tenantId: row.tenant_id,
    deviceId: row.device_id,
    windowsDeviceId: row.windows_device_id,
    certificateSha256: Buffer.from(row.certificate_sha256),
    certificateNotAfter: ms(row.certificate_not_after)!,
    digestUsername: row.digest_username,
    sealedDigestSecret: Buffer.from(row.sealed_digest_secret),
    enabled: row.enabled,
    operatingSystem: row.operating_system,
    pushChannelUri: row.push_channel_uri,
    lastSeenAt: ms(row.last_seen_at),
  };
}

/**
 * The Windows OMA-DM channel's state (migration 0008) and the fields of `windows_enrollments` it
 * reads and writes. Each method is one or two statements; none needs a transaction of its own.
 */
export class WindowsMdmStore {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  /** The enrollment bound to a TLS client certificate (its SHA-256), or null. */
  async enrollmentByCertificate(certificateSha256: Buffer): Promise<WindowsMdmEnrollment | null> {
    const rows = await this.#db.query<EnrollmentRow>(
      `SELECT ${enrollmentColumns} FROM windows_enrollments e JOIN managed_devices d ON d.tenant_id = e.tenant_id AND d.id = e.device_id
        WHERE e.certificate_sha256 = $1`,
      [certificateSha256],
    );
    return rows[0] ? toEnrollment(rows[0]) : null;
  }

  /**
   * Enrollments a DIGEST message could belong to: those of the PC named by `SyncHdr/Source` (unique
   * per tenant only, so several tenants may answer) or whose DIGEST user name is `userName`.
   */
  async enrollmentsForDigest(windowsDeviceId: string, userName: string): Promise<WindowsMdmEnrollment[]> {
    const rows = await this.#db.query<EnrollmentRow>(
      `SELECT ${enrollmentColumns} FROM windows_enrollments e JOIN managed_devices d ON d.tenant_id = e.tenant_id AND d.id = e.device_id
        WHERE e.windows_device_id = $1 OR e.digest_username = $2 ORDER BY e.tenant_id, e.device_id LIMIT 8`,
      [windowsDeviceId, userName],
    );
    return rows.map(toEnrollment);
  }

  /** Live nonces of the PC (not expired at `now`) with the session each is bound to. */
  async liveNonces(tenantId: string, deviceId: string, now: number): Promise<{ nonce: Buffer; sessionId: string | null }[]> {
    const rows = await this.#db.query<{ nonce: Uint8Array; session_id: string | null }>(
      'SELECT nonce, session_id FROM windows_mdm_nonces WHERE tenant_id = $1 AND device_id = $2 AND expires_at > $3 ORDER BY expires_at DESC LIMIT 16',
      [tenantId, deviceId, new Date(now)],
    );
    return rows.map((row) => ({ nonce: Buffer.from(row.nonce), sessionId: row.session_id }));
  }

  /** Stores a new nonce for the PC, and drops its expired ones. */
  async issueNonce(tenantId: string, deviceId: string, nonce: Uint8Array, expiresAt: number, now: number): Promise<void> {
    await this.#db.query('DELETE FROM windows_mdm_nonces WHERE tenant_id = $1 AND device_id = $2 AND expires_at <= $3', [tenantId, deviceId, new Date(now)]);
    await this.#db.query(
      'INSERT INTO windows_mdm_nonces (tenant_id, device_id, nonce, expires_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
      [tenantId, deviceId, Buffer.from(nonce), new Date(expiresAt)],
    );
  }

  /**
   * Binds a live nonce to `sessionId` if it is free or already bound to it; false when it expired,
   * is unknown, or belongs to another session (a concurrent claim by another process loses here too).
   */
  async bindNonce(tenantId: string, deviceId: string, nonce: Uint8Array, sessionId: string, now: number): Promise<boolean> {
    const rows = await this.#db.query(
      `UPDATE windows_mdm_nonces SET session_id = $4
        WHERE tenant_id = $1 AND device_id = $2 AND nonce = $3 AND expires_at > $5 AND (session_id IS NULL OR session_id = $4)
        RETURNING nonce`,
      [tenantId, deviceId, Buffer.from(nonce), sessionId, new Date(now)],
    );
    return rows.length === 1;
  }

  async session(tenantId: string, deviceId: string, sessionId: string): Promise<WindowsMdmSession | null> {
    const rows = await this.#db.query<{ session_id: string; auth: WindowsMdmSession['auth']; last_device_msg_id: number; login_status: WindowsMdmSession['loginStatus']; started_at: Date | string; updated_at: Date | string }>(
      `SELECT session_id, auth, last_device_msg_id, login_status, started_at, updated_at FROM windows_mdm_sessions
        WHERE tenant_id = $1 AND device_id = $2 AND session_id = $3`,
      [tenantId, deviceId, sessionId],
    );
    const row = rows[0];
    return row
      ? { sessionId: row.session_id, auth: row.auth, lastDeviceMsgId: row.last_device_msg_id, loginStatus: row.login_status, startedAt: ms(row.started_at)!, updatedAt: ms(row.updated_at)! }
      : null;
  }

  /**
   * Starts `sessionId` afresh at the PC's message `msgId` (1, or the message after an authentication
   * challenge): an earlier session under the same id and the PC's sessions idle since before
   * `staleBefore` are deleted with what was sent in them.
   */
  async startSession(tenantId: string, deviceId: string, sessionId: string, auth: WindowsMdmSession['auth'], msgId: number, now: number, staleBefore: number): Promise<void> {
    await this.#db.query(
      'DELETE FROM windows_mdm_sessions WHERE tenant_id = $1 AND device_id = $2 AND (session_id = $3 OR updated_at < $4)',
      [tenantId, deviceId, sessionId, new Date(staleBefore)],
    );
    await this.#db.query(
      `INSERT INTO windows_mdm_sessions (tenant_id, device_id, session_id, auth, last_device_msg_id, started_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $6)
       ON CONFLICT (tenant_id, device_id, session_id) DO UPDATE SET auth = EXCLUDED.auth, last_device_msg_id = EXCLUDED.last_device_msg_id,
         login_status = NULL, started_at = EXCLUDED.started_at, updated_at = EXCLUDED.updated_at`,
      [tenantId, deviceId, sessionId, auth, msgId, new Date(now)],
    );
  }

  /** Records the PC's message `msgId` as processed (and its LoginStatus when it sent one). */
  async recordDeviceMessage(tenantId: string, deviceId: string, sessionId: string, msgId: number, loginStatus: WindowsMdmSession['loginStatus'], now: number): Promise<void> {
    await this.#db.query(
      `UPDATE windows_mdm_sessions SET last_device_msg_id = GREATEST(last_device_msg_id, $4), login_status = COALESCE($5, login_status), updated_at = $6
        WHERE tenant_id = $1 AND device_id = $2 AND session_id = $3`,
      [tenantId, deviceId, sessionId, msgId, loginStatus, new Date(now)],
    );
  }

  async recordSent(tenantId: string, deviceId: string, sessionId: string, units: readonly SentUnit[]): Promise<void> {
    for (const unit of units) {
      await this.#db.query(
        `INSERT INTO windows_mdm_sent (tenant_id, device_id, session_id, msg_id, first_cmd_id, last_cmd_id, purpose, command_id, profile_id, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb)`,
        [tenantId, deviceId, sessionId, unit.msgId, unit.firstCmdId, unit.lastCmdId, unit.purpose, unit.commandId, unit.profileId, JSON.stringify(unit.detail)],
      );
    }
  }

  /** The units sent in the session's messages `msgIds`. */
  async sentUnits(tenantId: string, deviceId: string, sessionId: string, msgIds: readonly number[]): Promise<SentUnit[]> {
    if (msgIds.length === 0) return [];
    const rows = await this.#db.query<{ msg_id: number; first_cmd_id: number; last_cmd_id: number; purpose: SentPurpose; command_id: string | null; profile_id: string | null; detail: unknown }>(
      `SELECT msg_id, first_cmd_id, last_cmd_id, purpose, command_id, profile_id, detail FROM windows_mdm_sent
        WHERE tenant_id = $1 AND device_id = $2 AND session_id = $3 AND msg_id = ANY($4::int[]) ORDER BY msg_id, first_cmd_id`,
      [tenantId, deviceId, sessionId, [...new Set(msgIds)]],
    );
    return rows.map((row) => ({
      msgId: row.msg_id,
      firstCmdId: row.first_cmd_id,
      lastCmdId: row.last_cmd_id,
      purpose: row.purpose,
      commandId: row.command_id,
      profileId: row.profile_id,
      detail: row.detail,
    }));
  }

  async profileStates(tenantId: string, deviceId: string): Promise<WindowsProfileState[]> {
    const rows = await this.#db.query<{ profile_id: string; confirmed: unknown; add_sent_node: string | null }>(
      'SELECT profile_id, confirmed, add_sent_node FROM windows_mdm_profile_state WHERE tenant_id = $1 AND device_id = $2 ORDER BY profile_id',
      [tenantId, deviceId],
    );
    return rows.map((row) => ({ profileId: row.profile_id, confirmed: row.confirmed, addSentNode: row.add_sent_node }));
  }

  async profileState(tenantId: string, deviceId: string, profileId: string): Promise<WindowsProfileState | null> {
    const rows = await this.#db.query<{ profile_id: string; confirmed: unknown; add_sent_node: string | null }>(
      'SELECT profile_id, confirmed, add_sent_node FROM windows_mdm_profile_state WHERE tenant_id = $1 AND device_id = $2 AND profile_id = $3',
      [tenantId, deviceId, profileId],
    );
    const row = rows[0];
    return row ? { profileId: row.profile_id, confirmed: row.confirmed, addSentNode: row.add_sent_node } : null;
  }

  /** Remembers that an Add went to `node` for the profile (kept until an outcome is confirmed). */
  async markAddSent(tenantId: string, deviceId: string, profileId: string, node: string, now: number): Promise<void> {
    await this.#db.query(
      `INSERT INTO windows_mdm_profile_state (tenant_id, device_id, profile_id, add_sent_node, updated_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (tenant_id, device_id, profile_id) DO UPDATE SET add_sent_node = EXCLUDED.add_sent_node, updated_at = EXCLUDED.updated_at`,
      [tenantId, deviceId, profileId, node, new Date(now)],
    );
  }

  /** What the PC now holds of the profile (the Add's outcome is known); null deletes the row (removed). */
  async confirmProfileState(tenantId: string, deviceId: string, profileId: string, confirmed: unknown, now: number): Promise<void> {
    if (confirmed === null) {
      await this.#db.query('DELETE FROM windows_mdm_profile_state WHERE tenant_id = $1 AND device_id = $2 AND profile_id = $3', [tenantId, deviceId, profileId]);
      return;
    }
    await this.#db.query(
      `INSERT INTO windows_mdm_profile_state (tenant_id, device_id, profile_id, confirmed, add_sent_node, updated_at) VALUES ($1, $2, $3, $4::jsonb, NULL, $5)
       ON CONFLICT (tenant_id, device_id, profile_id) DO UPDATE SET confirmed = EXCLUDED.confirmed, add_sent_node = NULL, updated_at = EXCLUDED.updated_at`,
      [tenantId, deviceId, profileId, JSON.stringify(confirmed), new Date(now)],
    );
  }

  async deviceState(tenantId: string, deviceId: string): Promise<WindowsMdmDeviceState> {
    const rows = await this.#db.query<{ verify_due_at: Date | string | null; verified_at: Date | string | null }>(
      'SELECT verify_due_at, verified_at FROM windows_mdm_devices WHERE tenant_id = $1 AND device_id = $2',
      [tenantId, deviceId],
    );
    return { verifyDueAt: ms(rows[0]?.verify_due_at ?? null), verifiedAt: ms(rows[0]?.verified_at ?? null) };
  }

  /** Wants the PC's profiles read back from `at` on (keeps an earlier due time). */
  async markVerifyDue(tenantId: string, deviceId: string, at: number): Promise<void> {
    await this.#db.query(
      `INSERT INTO windows_mdm_devices (tenant_id, device_id, verify_due_at, updated_at) VALUES ($1, $2, $3, $3)
       ON CONFLICT (tenant_id, device_id) DO UPDATE SET verify_due_at = LEAST(COALESCE(windows_mdm_devices.verify_due_at, EXCLUDED.verify_due_at), EXCLUDED.verify_due_at),
         updated_at = EXCLUDED.updated_at`,
      [tenantId, deviceId, new Date(at)],
    );
  }

  /** A verification round sent at `sentAt` was answered: due times up to then are satisfied. */
  async finishVerify(tenantId: string, deviceId: string, sentAt: number, now: number): Promise<void> {
    await this.#db.query(
      `UPDATE windows_mdm_devices SET verified_at = $4, verify_due_at = CASE WHEN verify_due_at <= $3 THEN NULL ELSE verify_due_at END, updated_at = $4
        WHERE tenant_id = $1 AND device_id = $2`,
      [tenantId, deviceId, new Date(sentAt), new Date(now)],
    );
  }

  /** What the PC reported about itself: DevInfo items and/or `./DevDetail/SwV`. */
  async recordInventory(tenantId: string, deviceId: string, inventory: { devInfo?: Record<string, string>; softwareVersion?: string }, now: number): Promise<void> {
    await this.#db.query(
      `INSERT INTO windows_mdm_devices (tenant_id, device_id, dev_info, software_version, updated_at) VALUES ($1, $2, $3::jsonb, $4, $5)
       ON CONFLICT (tenant_id, device_id) DO UPDATE SET dev_info = COALESCE(EXCLUDED.dev_info, windows_mdm_devices.dev_info),
         software_version = COALESCE(EXCLUDED.software_version, windows_mdm_devices.software_version), updated_at = EXCLUDED.updated_at`,
      [tenantId, deviceId, inventory.devInfo === undefined ? null : JSON.stringify(inventory.devInfo), inventory.softwareVersion?.slice(0, 256) ?? null, new Date(now)],
    );
  }

  /** Stores the WNS channel URI the PC reported; writes only when it changed. Returns whether it did. */
  async recordPushChannel(tenantId: string, deviceId: string, channelUri: string, now: number): Promise<boolean> {
    const rows = await this.#db.query(
      `UPDATE windows_enrollments SET push_channel_uri = $3, push_channel_updated_at = $4
        WHERE tenant_id = $1 AND device_id = $2 AND push_channel_uri IS DISTINCT FROM $3 RETURNING device_id`,
      [tenantId, deviceId, channelUri, new Date(now)],
    );
    return rows.length === 1;
  }

  /** The session's first message: the PC was seen, and who is logged in. */
  async recordSessionStart(tenantId: string, deviceId: string, loginStatus: WindowsMdmSession['loginStatus'], now: number): Promise<void> {
    await this.#db.query(
      'UPDATE windows_enrollments SET last_seen_at = $3, login_status = COALESCE($4, login_status) WHERE tenant_id = $1 AND device_id = $2',
      [tenantId, deviceId, new Date(now), loginStatus],
    );
  }

  /** Alert 1226: the PC's user removed the work account; its sessions are refused from now on. */
  async disableEnrollment(tenantId: string, deviceId: string): Promise<void> {
    await this.#db.query('UPDATE windows_enrollments SET enabled = false WHERE tenant_id = $1 AND device_id = $2', [tenantId, deviceId]);
  }

  /** Keeps a message the PC sent; only the newest `keep` of the PC stay. */
  async keepMessage(tenantId: string, deviceId: string, message: Omit<KeptMessage, 'receivedAt'>, now: number, keep: number): Promise<void> {
    await this.#db.query(
      `INSERT INTO windows_mdm_messages (tenant_id, device_id, session_id, msg_id, received_at, body, truncated) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [tenantId, deviceId, message.sessionId, message.msgId, new Date(now), message.body, message.truncated],
    );
    await this.#db.query(
      `DELETE FROM windows_mdm_messages WHERE tenant_id = $1 AND device_id = $2 AND id < (
         SELECT min(id) FROM (SELECT id FROM windows_mdm_messages WHERE tenant_id = $1 AND device_id = $2 ORDER BY id DESC LIMIT $3) AS newest)`,
      [tenantId, deviceId, keep],
    );
  }

  /** The PC's kept messages, newest first. */
  async keptMessages(tenantId: string, deviceId: string): Promise<KeptMessage[]> {
    const rows = await this.#db.query<{ session_id: string; msg_id: number; received_at: Date | string; body: string; truncated: boolean }>(
      'SELECT session_id, msg_id, received_at, body, truncated FROM windows_mdm_messages WHERE tenant_id = $1 AND device_id = $2 ORDER BY id DESC',
      [tenantId, deviceId],
    );
    return rows.map((row) => ({ sessionId: row.session_id, msgId: row.msg_id, receivedAt: ms(row.received_at)!, body: row.body, truncated: row.truncated }));
  }

  /** Housekeeping: sessions idle since before `sessionsBefore` (with what was sent in them) and expired nonces, a batch at a time. */
  async prune(now: number, sessionsBefore: number, limit: number): Promise<{ sessions: number; nonces: number }> {
    const sessions = await this.#db.query(
      `DELETE FROM windows_mdm_sessions WHERE (tenant_id, device_id, session_id) IN (
         SELECT tenant_id, device_id, session_id FROM windows_mdm_sessions WHERE updated_at < $1 ORDER BY updated_at LIMIT $2)
       RETURNING session_id`,
      [new Date(sessionsBefore), limit],
    );
    const nonces = await this.#db.query(
      `DELETE FROM windows_mdm_nonces WHERE (tenant_id, device_id, nonce) IN (
         SELECT tenant_id, device_id, nonce FROM windows_mdm_nonces WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2)
       RETURNING nonce`,
      [new Date(now), limit],
    );
    return { sessions: sessions.length, nonces: nonces.length };
  }
}
