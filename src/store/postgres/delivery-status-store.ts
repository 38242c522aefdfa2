import type { AndroidManagementMode, DeviceOperatingSystem } from '../../domain/directory.ts';
import { overviewBuckets, type OverviewBucket, type OverviewCounts, type StatusRow } from '../../domain/delivery/index.ts';
import type { ProfileType } from '../../domain/profiles/index.ts';
import type { ListQuery, Page } from '../list-query.ts';
import type { Queryable } from '../db.ts';
import { bucketColumns, counterColumns } from './delivery-columns.ts';
import { listPage } from './list-sql.ts';

/** One (profile, device) ledger row with the device and user it concerns, for status reads. */
export interface DeviceStatusRecord extends StatusRow {
  profileId: string;
  deviceId: string;
  deviceName: string;
  deviceModel: string | null;
  operatingSystem: DeviceOperatingSystem;
  androidManagementMode: AndroidManagementMode | null;
  userId: string | null;
  userDisplayName: string | null;
  userPrincipalName: string | null;
  odataType: ProfileType;
  displayName: string;
  attempts: number;
  targetVersion: number | null;
}

/** One user's tally for a profile, with their directory names and last device report. */
export interface UserStatusRecord {
  userId: string;
  userDisplayName: string;
  userPrincipalName: string;
  tally: Record<OverviewBucket, number>;
  lastReportedAt: number | null;
}

export interface OverviewRecord {
  counts: OverviewCounts;
  /** Epoch ms of the last counter change; null when nothing was ever counted. */
  lastUpdatedAt: number | null;
}

interface StatusSqlRow {
  id: string;
  created_at: Date | string;
  profile_id: string;
  device_name: string;
  model: string | null;
  operating_system: DeviceOperatingSystem;
  android_management_mode: AndroidManagementMode | null;
  user_id: string | null;
  user_display_name: string | null;
  user_principal_name: string | null;
  odata_type: ProfileType;
  display_name: string;
  state: StatusRow['state'];
  operation: StatusRow['operation'];
  reason_code: StatusRow['reasonCode'];
  message: string;
  user_prompt: StatusRow['userPrompt'];
  installed: StatusRow['installed'];
  target_version: number | null;
  attempts: number;
  next_attempt_at: Date | string | null;
  state_changed_at: Date | string;
  last_reported_at: Date | string | null;
}

const ms = (value: Date | string | null): number | null => (value === null ? null : new Date(value).getTime());

const statusSelect = `d.id, d.created_at, l.profile_id, d.device_name, d.model, d.operating_system, d.android_management_mode,
  l.counted_user_id AS user_id, u.display_name AS user_display_name, u.user_principal_name, l.odata_type, l.display_name, l.state,
  l.operation, l.reason_code, l.message, l.user_prompt, l.installed, (l.target->>'version')::int AS target_version, l.attempts,
  l.next_attempt_at, l.state_changed_at, l.last_reported_at`;
const statusFrom = `delivery_ledger l JOIN managed_devices d ON d.tenant_id = l.tenant_id AND d.id = l.device_id
  LEFT JOIN users u ON u.tenant_id = l.tenant_id AND u.id = l.counted_user_id`;
const statusFilterColumns = {
  status: 'l.compliance_status',
  deviceDisplayName: 'd.device_name',
  userPrincipalName: 'u.user_principal_name',
} as const;
export const deviceStatusFilterFields = Object.keys(statusFilterColumns);

function toDeviceStatus(row: StatusSqlRow): DeviceStatusRecord {
  return {
    profileId: row.profile_id,
    deviceId: row.id,
    deviceName: row.device_name,
    deviceModel: row.model,
    operatingSystem: row.operating_system,
    androidManagementMode: row.android_management_mode,
    userId: row.user_id,
    userDisplayName: row.user_display_name,
    userPrincipalName: row.user_principal_name,
    odataType: row.odata_type,
    displayName: row.display_name,
    state: row.state,
    operation: row.operation,
    reasonCode: row.reason_code,
    message: row.message,
    userPrompt: row.user_prompt,
    installed: row.installed,
    nextAttemptAt: ms(row.next_attempt_at),
    stateChangedAt: ms(row.state_changed_at)!,
    lastReportedAt: ms(row.last_reported_at),
    attempts: row.attempts,
    targetVersion: row.target_version,
  };
}

/**
 * Delivery status reads for the Graph API: per-profile device and user rows (paged like every
 * other collection, by the device's or user's creation time and id), the per-profile overviews (sums
 * of the counter shards, never a scan of the ledger), one device's rows, and the tenant summary.
 */
export class DeliveryStatusStore {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  /** The profile's rows that count for it (not `notAssigned`: kept or removed rows show on the device view only). */
  deviceStatuses(tenantId: string, profileId: string, query: ListQuery): Promise<Page<DeviceStatusRecord>> {
    return listPage<StatusSqlRow, DeviceStatusRecord>(
      this.#db,
      {
        from: statusFrom,
        alias: 'd',
        select: statusSelect,
        tenantId,
        columns: statusFilterColumns,
        extraWhere: { sql: `l.profile_id = $1 AND l.compliance_status <> 'notAssigned'`, params: [profileId] },
        toItem: toDeviceStatus,
      },
      query,
    );
  }

  /** Every ledger row of one device, by profile display name. */
  async deviceStates(tenantId: string, deviceId: string): Promise<DeviceStatusRecord[]> {
    const rows = await this.#db.query<StatusSqlRow>(
      `SELECT ${statusSelect} FROM ${statusFrom} WHERE l.tenant_id = $1 AND l.device_id = $2 ORDER BY l.display_name, l.profile_id`,
      [tenantId, deviceId],
    );
    return rows.map(toDeviceStatus);
  }

  /** The users with at least one counted device row for the profile. */
  userStatuses(tenantId: string, profileId: string, query: ListQuery): Promise<Page<UserStatusRecord>> {
    const anyCounted = overviewBuckets.map((b) => `t.${bucketColumns[b]} > 0`).join(' OR ');
    return listPage<Record<string, unknown> & { id: string; created_at: Date | string }, UserStatusRecord>(
      this.#db,
      {
        from: 'delivery_user_tally t JOIN users u ON u.tenant_id = t.tenant_id AND u.id = t.user_id',
        alias: 'u',
        select: `u.id, u.created_at, u.display_name, u.user_principal_name, ${overviewBuckets.map((b) => `t.${bucketColumns[b]}`).join(', ')},
          (SELECT max(l.last_reported_at) FROM delivery_ledger l
            WHERE l.tenant_id = t.tenant_id AND l.profile_id = t.profile_id AND l.counted_user_id = t.user_id) AS last_reported_at`,
        tenantId,
        columns: { userPrincipalName: 'u.user_principal_name' },
        extraWhere: { sql: `t.profile_id = $1 AND (${anyCounted})`, params: [profileId] },
        toItem: (row) => ({
          userId: row.id,
          userDisplayName: String(row.display_name),
          userPrincipalName: String(row.user_principal_name),
          tally: Object.fromEntries(overviewBuckets.map((b) => [b, Number(row[bucketColumns[b]])])) as Record<OverviewBucket, number>,
          lastReportedAt: ms(row.last_reported_at as Date | string | null),
        }),
      },
      query,
    );
  }

  /** The profile's device or user overview: the sum of its shards. */
  async overview(tenantId: string, profileId: string, kind: 'device' | 'user'): Promise<OverviewRecord> {
    return this.#sumOverview('tenant_id = $1 AND profile_id = $2 AND kind = $3', [tenantId, profileId, kind]);
  }

  /** The device overviews of every profile of the tenant, summed (`deviceConfigurationDeviceStateSummaries`). */
  async tenantDeviceSummary(tenantId: string): Promise<OverviewRecord> {
    return this.#sumOverview(`tenant_id = $1 AND kind = 'device'`, [tenantId]);
  }

  async #sumOverview(where: string, params: unknown[]): Promise<OverviewRecord> {
    const counters = Object.keys(counterColumns) as (keyof OverviewCounts)[];
    const rows = await this.#db.query<Record<string, unknown>>(
      `SELECT ${counters.map((c) => `COALESCE(sum(${counterColumns[c]}), 0)::int AS "${c}"`).join(', ')}, max(updated_at) AS last_updated_at
         FROM delivery_overview WHERE ${where}`,
      params,
    );
    const row = rows[0] ?? {};
    return {
      counts: Object.fromEntries(counters.map((c) => [c, Number(row[c] ?? 0)])) as OverviewCounts,
      lastUpdatedAt: ms((row.last_updated_at as Date | string | null | undefined) ?? null),
    };
  }
}
