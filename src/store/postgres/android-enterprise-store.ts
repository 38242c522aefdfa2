import type { Queryable } from '../db.ts';
import { isoTime } from './list-sql.ts';

export type MailAppInstallType = 'FORCE_INSTALLED' | 'AVAILABLE';

/** A tenant's Android Enterprise settings without the key (what the admin API shows). */
export interface AndroidEnterpriseSettingsInfo {
  enterpriseName: string;
  clientEmail: string;
  projectId: string;
  mailAppInstallType: MailAppInstallType;
  /** Changes with every PUT (one sequence for all tenants). */
  version: number;
  updatedDateTime: string;
}

export interface AndroidEnterpriseSettings extends AndroidEnterpriseSettingsInfo {
  sealedServiceAccountKey: Buffer;
}

/** A device the sync worker claimed. */
export interface ClaimedAmapiDevice {
  tenantId: string;
  deviceId: string;
  amapiDeviceName: string;
  policyName: string;
  policyAssigned: boolean;
  lastPolicyVersion: number | null;
  syncRequests: number;
}

export interface AmapiDeviceRecord {
  deviceId: string;
  amapiDeviceName: string;
  policyName: string;
  lastPolicyVersion: number | null;
  appliedPolicyVersion: number | null;
}

/** A delivery command as the sync worker put it into the device's policy. */
export interface AmapiPolicyCommand {
  commandId: string;
  profileId: string;
  kind: 'install' | 'update' | 'replace' | 'remove';
  packageName: string;
  /** The policy's `applications[]` entry; null for a remove. */
  application: Record<string, unknown> | null;
  seq: number;
  policyVersion: number | null;
  failureCode: string | null;
}

interface SettingsRow {
  enterprise_name: string;
  client_email: string;
  project_id: string;
  mail_app_install_type: MailAppInstallType;
  version: number;
  updated_at: Date | string;
}

const settingsColumns = 'enterprise_name, client_email, project_id, mail_app_install_type, version, updated_at';

function toInfo(row: SettingsRow): AndroidEnterpriseSettingsInfo {
  return { enterpriseName: row.enterprise_name, clientEmail: row.client_email, projectId: row.project_id, mailAppInstallType: row.mail_app_install_type, version: row.version, updatedDateTime: isoTime(row.updated_at)! };
}

const num = (value: string | number | null): number | null => (value === null ? null : Number(value));

interface CommandRow {
  command_id: string;
  profile_id: string;
  kind: AmapiPolicyCommand['kind'];
  package_name: string;
  application: Record<string, unknown> | null;
  seq: string | number;
  policy_version: string | number | null;
  failure_code: string | null;
}

const commandColumns = 'command_id, profile_id, kind, package_name, application, seq, policy_version, failure_code';

function toCommand(row: CommandRow): AmapiPolicyCommand {
  return { commandId: row.command_id, profileId: row.profile_id, kind: row.kind, packageName: row.package_name, application: row.application, seq: Number(row.seq), policyVersion: num(row.policy_version), failureCode: row.failure_code };
}

/** Android Enterprise through AMAPI (migration 0013): settings, managed devices, policy contents, Pub/Sub dedupe. */
export class AndroidEnterpriseStore {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  async settingsInfo(tenantId: string): Promise<AndroidEnterpriseSettingsInfo | null> {
    const rows = await this.#db.query<SettingsRow>(`SELECT ${settingsColumns} FROM android_enterprise_settings WHERE tenant_id = $1`, [tenantId]);
    return rows[0] ? toInfo(rows[0]) : null;
  }

  async settings(tenantId: string): Promise<AndroidEnterpriseSettings | null> {
    const rows = await this.#db.query<SettingsRow & { sealed_service_account_key: Uint8Array }>(
      `SELECT ${settingsColumns}, sealed_service_account_key FROM android_enterprise_settings WHERE tenant_id = $1`,
      [tenantId],
    );
    const row = rows[0];
    return row ? { ...toInfo(row), sealedServiceAccountKey: Buffer.from(row.sealed_service_account_key) } : null;
  }

  /**
   * Inserts or replaces the tenant's settings. `pubsubTokenHash`: a new token's hash, or null to keep
   * the current one (required on the first PUT; the service supplies it).
   */
  async putSettings(tenantId: string, settings: { enterpriseName: string; clientEmail: string; projectId: string; sealedServiceAccountKey: Buffer; mailAppInstallType: MailAppInstallType }, pubsubTokenHash: Buffer | null): Promise<AndroidEnterpriseSettingsInfo> {
    const rows = await this.#db.query<SettingsRow>(
      `INSERT INTO android_enterprise_settings (tenant_id, enterprise_name, client_email, project_id, sealed_service_account_key, mail_app_install_type, pubsub_token_hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (tenant_id) DO UPDATE SET
         enterprise_name = EXCLUDED.enterprise_name, client_email = EXCLUDED.client_email, project_id = EXCLUDED.project_id,
         sealed_service_account_key = EXCLUDED.sealed_service_account_key, mail_app_install_type = EXCLUDED.mail_app_install_type,
         pubsub_token_hash = COALESCE($8, android_enterprise_settings.pubsub_token_hash),
         version = nextval('android_enterprise_settings_version'), updated_at = date_trunc('milliseconds', now())
       RETURNING ${settingsColumns}`,
      [tenantId, settings.enterpriseName, settings.clientEmail, settings.projectId, settings.sealedServiceAccountKey, settings.mailAppInstallType, pubsubTokenHash ?? Buffer.alloc(0), pubsubTokenHash],
    );
    return toInfo(rows[0]!);
  }

  async deleteSettings(tenantId: string): Promise<boolean> {
    return (await this.#db.query('DELETE FROM android_enterprise_settings WHERE tenant_id = $1 RETURNING 1', [tenantId])).length > 0;
  }

  /** The tenant whose Pub/Sub push token hashes to `hash`, or null. */
  async tenantByPubsubToken(hash: Buffer): Promise<string | null> {
    const rows = await this.#db.query<{ tenant_id: string }>('SELECT tenant_id FROM android_enterprise_settings WHERE pubsub_token_hash = $1', [hash]);
    return rows[0]?.tenant_id ?? null;
  }

  async insertDevice(tenantId: string, device: { deviceId: string; amapiDeviceName: string; policyName: string }, dueAt: number): Promise<void> {
    await this.#db.query(
      `INSERT INTO android_enterprise_devices (tenant_id, device_id, amapi_device_name, policy_name, sync_due_at, sync_requests) VALUES ($1, $2, $3, $4, $5, 1)`,
      [tenantId, device.deviceId, device.amapiDeviceName, device.policyName, new Date(dueAt)],
    );
  }

  async deviceByAmapiName(tenantId: string, amapiDeviceName: string): Promise<AmapiDeviceRecord | null> {
    const rows = await this.#db.query<{ device_id: string; amapi_device_name: string; policy_name: string; last_policy_version: string | null; applied_policy_version: string | null }>(
      'SELECT device_id, amapi_device_name, policy_name, last_policy_version, applied_policy_version FROM android_enterprise_devices WHERE tenant_id = $1 AND amapi_device_name = $2',
      [tenantId, amapiDeviceName],
    );
    const row = rows[0];
    return row ? { deviceId: row.device_id, amapiDeviceName: row.amapi_device_name, policyName: row.policy_name, lastPolicyVersion: num(row.last_policy_version), appliedPolicyVersion: num(row.applied_policy_version) } : null;
  }

  /** Forgets the device's AMAPI link (the work profile was deleted); the Envelope device stays. */
  async deleteDevice(tenantId: string, deviceId: string): Promise<void> {
    await this.#db.query('DELETE FROM android_enterprise_devices WHERE tenant_id = $1 AND device_id = $2', [tenantId, deviceId]);
  }

  /** Marks those of `deviceIds` that are AMAPI devices for a sync at `at` (or earlier if already due); returns them. */
  async requestSync(tenantId: string, deviceIds: readonly string[], at: number): Promise<string[]> {
    if (deviceIds.length === 0) return [];
    const rows = await this.#db.query<{ device_id: string }>(
      `UPDATE android_enterprise_devices SET sync_due_at = LEAST(COALESCE(sync_due_at, $3), $3), sync_requests = sync_requests + 1
        WHERE tenant_id = $1 AND device_id = ANY($2::uuid[]) RETURNING device_id`,
      [tenantId, deviceIds, new Date(at)],
    );
    return rows.map((row) => row.device_id);
  }

  /**
   * Claims up to `limit` devices due at `now` whose lease is free (SKIP LOCKED: several workers in
   * several processes take different devices), leasing them for `leaseMs`.
   */
  async claimDue(claim: string, limit: number, leaseMs: number, now: number): Promise<ClaimedAmapiDevice[]> {
    const rows = await this.#db.query<{ tenant_id: string; device_id: string; amapi_device_name: string; policy_name: string; policy_assigned: boolean; last_policy_version: string | null; sync_requests: number }>(
      `UPDATE android_enterprise_devices d SET sync_claim = $1, sync_lease_until = $4::timestamptz + make_interval(secs => $3::double precision / 1000)
         FROM (SELECT tenant_id, device_id FROM android_enterprise_devices
                WHERE sync_due_at <= $4 AND (sync_lease_until IS NULL OR sync_lease_until <= $4)
                ORDER BY sync_due_at LIMIT $2 FOR UPDATE SKIP LOCKED) due
        WHERE d.tenant_id = due.tenant_id AND d.device_id = due.device_id
        RETURNING d.tenant_id, d.device_id, d.amapi_device_name, d.policy_name, d.policy_assigned, d.last_policy_version, d.sync_requests`,
      [claim, limit, leaseMs, new Date(now)],
    );
    return rows.map((row) => ({ tenantId: row.tenant_id, deviceId: row.device_id, amapiDeviceName: row.amapi_device_name, policyName: row.policy_name, policyAssigned: row.policy_assigned, lastPolicyVersion: num(row.last_policy_version), syncRequests: row.sync_requests }));
  }

  /**
   * Settles a claim: no further sync is due unless one was requested since the claim (then it stays
   * due) or `nextDueAt` (a retry the delivery core scheduled, a quota wait) asks for one.
   */
  async finishSync(claim: string, device: ClaimedAmapiDevice, nextDueAt: number | null): Promise<void> {
    await this.#db.query(
      `UPDATE android_enterprise_devices SET sync_claim = NULL, sync_lease_until = NULL,
              sync_due_at = CASE WHEN sync_requests <> $4 THEN sync_due_at ELSE $5 END
        WHERE tenant_id = $1 AND device_id = $2 AND sync_claim = $3`,
      [device.tenantId, device.deviceId, claim, device.syncRequests, nextDueAt === null ? null : new Date(nextDueAt)],
    );
  }

  /** The delivery core's next retry for the device (delivery_devices.next_attempt_at), epoch ms or null. */
  async deliveryNextAttempt(tenantId: string, deviceId: string): Promise<number | null> {
    const rows = await this.#db.query<{ next_attempt_at: Date | string | null }>('SELECT next_attempt_at FROM delivery_devices WHERE tenant_id = $1 AND device_id = $2', [tenantId, deviceId]);
    const at = rows[0]?.next_attempt_at ?? null;
    return at === null ? null : new Date(at).getTime();
  }

  /** Records a command the worker took (a re-offered one is already there: nothing changes). */
  async insertCommand(tenantId: string, deviceId: string, command: Pick<AmapiPolicyCommand, 'commandId' | 'profileId' | 'kind' | 'packageName' | 'application'>): Promise<void> {
    await this.#db.query(
      `INSERT INTO android_enterprise_policy_commands (tenant_id, device_id, command_id, profile_id, kind, package_name, application)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (tenant_id, command_id) DO NOTHING`,
      [tenantId, deviceId, command.commandId, command.profileId, command.kind, command.packageName, command.application === null ? null : JSON.stringify(command.application)],
    );
  }

  /** The latest command row of each profile of the device: what its policy holds. */
  async latestCommands(tenantId: string, deviceId: string): Promise<AmapiPolicyCommand[]> {
    const rows = await this.#db.query<CommandRow>(
      `SELECT DISTINCT ON (profile_id) ${commandColumns} FROM android_enterprise_policy_commands
        WHERE tenant_id = $1 AND device_id = $2 ORDER BY profile_id, seq DESC`,
      [tenantId, deviceId],
    );
    return rows.map(toCommand);
  }

  /** Whether a command of the device waits for a policy patch. */
  async hasUnpatched(tenantId: string, deviceId: string): Promise<boolean> {
    const rows = await this.#db.query('SELECT 1 FROM android_enterprise_policy_commands WHERE tenant_id = $1 AND device_id = $2 AND policy_version IS NULL LIMIT 1', [tenantId, deviceId]);
    return rows.length > 0;
  }

  /**
   * Records that policy `version` carries every unpatched command up to `maxSeq`, and the device's
   * policy state; prunes settled rows a newer row of the same profile superseded.
   */
  async recordPatch(tenantId: string, deviceId: string, maxSeq: number, version: number): Promise<void> {
    await this.#db.query(
      'UPDATE android_enterprise_policy_commands SET policy_version = $4 WHERE tenant_id = $1 AND device_id = $2 AND policy_version IS NULL AND seq <= $3',
      [tenantId, deviceId, maxSeq, version],
    );
    await this.#db.query(
      'UPDATE android_enterprise_devices SET last_policy_version = GREATEST(COALESCE(last_policy_version, 0), $3), policy_assigned = true WHERE tenant_id = $1 AND device_id = $2',
      [tenantId, deviceId, version],
    );
    await this.#db.query(
      `DELETE FROM android_enterprise_policy_commands c WHERE c.tenant_id = $1 AND c.device_id = $2 AND c.resolved_at IS NOT NULL
          AND EXISTS (SELECT 1 FROM android_enterprise_policy_commands n WHERE n.tenant_id = c.tenant_id AND n.device_id = c.device_id AND n.profile_id = c.profile_id AND n.seq > c.seq)`,
      [tenantId, deviceId],
    );
  }

  /** Deletes the device's commands no patch carried (Google refused it); returns their ids. */
  async dropUnpatched(tenantId: string, deviceId: string): Promise<string[]> {
    const rows = await this.#db.query<{ command_id: string }>(
      'DELETE FROM android_enterprise_policy_commands WHERE tenant_id = $1 AND device_id = $2 AND policy_version IS NULL RETURNING command_id',
      [tenantId, deviceId],
    );
    return rows.map((row) => row.command_id);
  }

  /** Commands carried by a policy version up to `version` that no report settled yet. */
  async unresolvedUpTo(tenantId: string, deviceId: string, version: number): Promise<AmapiPolicyCommand[]> {
    const rows = await this.#db.query<CommandRow>(
      `SELECT ${commandColumns} FROM android_enterprise_policy_commands
        WHERE tenant_id = $1 AND device_id = $2 AND resolved_at IS NULL AND policy_version IS NOT NULL AND policy_version <= $3 ORDER BY seq`,
      [tenantId, deviceId, version],
    );
    return rows.map(toCommand);
  }

  async resolve(tenantId: string, commandId: string, failureCode: string | null, at: number): Promise<void> {
    await this.#db.query('UPDATE android_enterprise_policy_commands SET resolved_at = $3, failure_code = $4 WHERE tenant_id = $1 AND command_id = $2', [tenantId, commandId, new Date(at), failureCode]);
  }

  /** Clears a failure code once acted on (the app-missing retry is asked for once). */
  async clearFailure(tenantId: string, commandId: string): Promise<void> {
    await this.#db.query('UPDATE android_enterprise_policy_commands SET failure_code = NULL WHERE tenant_id = $1 AND command_id = $2', [tenantId, commandId]);
  }

  async recordReport(tenantId: string, deviceId: string, appliedPolicyVersion: number | null, at: number): Promise<void> {
    await this.#db.query(
      // The report is the device's contact with Google: it is the device's lastSyncDateTime too.
      `WITH contact AS (
         UPDATE managed_devices SET last_sync_at = $4 WHERE tenant_id = $1 AND id = $2 AND (last_sync_at IS NULL OR last_sync_at < $4)
       )
       UPDATE android_enterprise_devices SET applied_policy_version = COALESCE($3, applied_policy_version), last_status_report_at = $4 WHERE tenant_id = $1 AND device_id = $2`,
      [tenantId, deviceId, appliedPolicyVersion, new Date(at)],
    );
  }

  /** Whether the Pub/Sub message was processed before. */
  async seenMessage(tenantId: string, messageId: string): Promise<boolean> {
    return (await this.#db.query('SELECT 1 FROM android_enterprise_pubsub_messages WHERE tenant_id = $1 AND message_id = $2', [tenantId, messageId])).length > 0;
  }

  async recordMessage(tenantId: string, messageId: string): Promise<void> {
    await this.#db.query('INSERT INTO android_enterprise_pubsub_messages (tenant_id, message_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [tenantId, messageId]);
  }

  /** Deletes processed message ids older than `before`; how many. */
  async pruneMessages(before: number, limit = 5000): Promise<number> {
    const rows = await this.#db.query(
      `DELETE FROM android_enterprise_pubsub_messages WHERE (tenant_id, message_id) IN
         (SELECT tenant_id, message_id FROM android_enterprise_pubsub_messages WHERE received_at < $1 LIMIT $2) RETURNING 1`,
      [new Date(before), limit],
    );
    return rows.length;
  }
}
