import type { AndroidManagementMode, DeviceOperatingSystem } from '../../domain/directory.ts';
import type { Queryable } from '../db.ts';

export interface TargetingDevice {
  id: string;
  deviceName: string;
  operatingSystem: DeviceOperatingSystem;
  androidManagementMode: AndroidManagementMode | null;
  userId: string | null;
  lastSyncDateTime: string | null;
  groupIds: string[];
}

export interface TargetingSnapshot {
  devices: TargetingDevice[];
  /** user id -> direct group memberships. */
  userGroupIds: Map<string, string[]>;
}

/** Reads what the assignment resolver needs: every device with its groups, and users' groups. */
export class TargetingStore {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  async snapshot(tenantId: string): Promise<TargetingSnapshot> {
    const devices = await this.#db.query<{
      id: string; device_name: string; operating_system: DeviceOperatingSystem; android_management_mode: AndroidManagementMode | null;
      user_id: string | null; last_sync_at: Date | string | null; group_ids: string[];
    }>(
      `SELECT d.id, d.device_name, d.operating_system, d.android_management_mode, d.user_id, d.last_sync_at,
         COALESCE(array_agg(m.group_id) FILTER (WHERE m.group_id IS NOT NULL), '{}') AS group_ids
       FROM managed_devices d
       LEFT JOIN group_members m ON m.tenant_id = d.tenant_id AND m.device_id = d.id
       WHERE d.tenant_id = $1
       GROUP BY d.id, d.device_name, d.operating_system, d.android_management_mode, d.user_id, d.last_sync_at`,
      [tenantId],
    );
    const users = await this.#db.query<{ user_id: string; group_ids: string[] }>(
      `SELECT user_id, array_agg(group_id) AS group_ids FROM group_members
       WHERE tenant_id = $1 AND user_id IS NOT NULL GROUP BY user_id`,
      [tenantId],
    );
    return {
      devices: devices.map((d) => ({
        id: d.id,
        deviceName: d.device_name,
        operatingSystem: d.operating_system,
        androidManagementMode: d.android_management_mode,
        userId: d.user_id,
        lastSyncDateTime: d.last_sync_at === null ? null : new Date(d.last_sync_at).toISOString(),
        groupIds: d.group_ids,
      })),
      userGroupIds: new Map(users.map((u) => [u.user_id, u.group_ids])),
    };
  }
}
