import type { AssignmentTarget } from '../../domain/assignments/assignment-target.ts';
import type { ResolverDevice } from '../../domain/assignments/resolve-targets.ts';
import type { DeliveryDevice } from '../../domain/delivery/desired-set.ts';
import type { LedgerRow } from '../../domain/delivery/ledger-row.ts';
import type { Profile } from '../../domain/profiles/profile.ts';
import type { Queryable } from '../db.ts';
import { ledgerColumns, toLedgerRow, type LedgerSqlRow } from './delivery-rows.ts';
import { deviceColumns, deviceFrom, toDevice, type DeviceRow } from './device-store.ts';
import { ProfileStore } from './profile-store.ts';
import { toUser, type UserRow } from './user-store.ts';

/** A device of a dry-run page: what delivery and the resolver see, plus names for the answer. */
export interface DryRunDevice {
  delivery: DeliveryDevice;
  resolver: ResolverDevice;
  deviceName: string;
  userPrincipalName: string | null;
  userDisplayName: string | null;
}

/**
 * Reads for a dry run (services/safe-changes): a page of devices with their primary users and group
 * memberships, their ledger rows, and the tenant's assigned profiles. Read-only; each read is a few
 * indexed statements for a whole page, never one per device.
 */
export class DryRunStore {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  /** Devices `ids` (absent ones skipped) with their users' group ids, in id order. */
  async devicePage(tenantId: string, ids: readonly string[]): Promise<{ devices: DryRunDevice[]; userGroupIds: Map<string, string[]> }> {
    if (ids.length === 0) return { devices: [], userGroupIds: new Map() };
    const rows = await this.#db.query<DeviceRow & { primary_user: UserRow | null }>(
      `SELECT ${deviceColumns}, to_jsonb(u) AS primary_user FROM ${deviceFrom} WHERE d.tenant_id = $1 AND d.id = ANY($2::uuid[]) ORDER BY d.id`,
      [tenantId, ids],
    );
    const userIds = [...new Set(rows.map((r) => r.user_id).filter((id): id is string => id !== null))];
    const memberships = await this.#db.query<{ group_id: string; device_id: string | null; user_id: string | null }>(
      `SELECT group_id, device_id, user_id FROM group_members
        WHERE tenant_id = $1 AND (device_id = ANY($2::uuid[]) OR user_id = ANY($3::uuid[]))`,
      [tenantId, ids, userIds],
    );
    const deviceGroupIds = new Map<string, string[]>();
    const userGroupIds = new Map<string, string[]>();
    for (const m of memberships) {
      const [map, key] = m.device_id !== null ? [deviceGroupIds, m.device_id] : [userGroupIds, m.user_id!];
      const list = map.get(key);
      if (list) list.push(m.group_id);
      else map.set(key, [m.group_id]);
    }
    const devices = rows.map((row): DryRunDevice => {
      const device = toDevice(row);
      return {
        delivery: {
          id: device.id,
          operatingSystem: device.operatingSystem,
          osVersion: device.osVersion,
          androidManagementMode: device.androidManagementMode,
          primaryUser: row.primary_user === null ? null : toUser(row.primary_user),
        },
        resolver: {
          id: device.id,
          operatingSystem: device.operatingSystem,
          androidManagementMode: device.androidManagementMode,
          userId: device.userId,
          groupIds: deviceGroupIds.get(device.id) ?? [],
        },
        deviceName: device.deviceName,
        userPrincipalName: device.userPrincipalName,
        userDisplayName: device.userDisplayName,
      };
    });
    return { devices, userGroupIds };
  }

  /** The ledger rows of `deviceIds`, by device. */
  async ledgerRows(tenantId: string, deviceIds: readonly string[]): Promise<Map<string, LedgerRow[]>> {
    const byDevice = new Map<string, LedgerRow[]>();
    if (deviceIds.length === 0) return byDevice;
    const rows = await this.#db.query<LedgerSqlRow>(
      `SELECT ${ledgerColumns} FROM delivery_ledger WHERE tenant_id = $1 AND device_id = ANY($2::uuid[])`,
      [tenantId, deviceIds],
    );
    for (const row of rows) {
      const list = byDevice.get(row.device_id);
      if (list) list.push(toLedgerRow(row));
      else byDevice.set(row.device_id, [toLedgerRow(row)]);
    }
    return byDevice;
  }

  /** Every profile of the tenant with at least one `apply` assignment, with those targets. */
  async assignedProfiles(tenantId: string): Promise<{ profile: Profile; targets: AssignmentTarget[] }[]> {
    const rows = await this.#db.query<{ configuration_id: string; target_type: AssignmentTarget['type']; group_id: string | null }>(
      `SELECT configuration_id, target_type, group_id FROM device_configuration_assignments WHERE tenant_id = $1 AND intent = 'apply'`,
      [tenantId],
    );
    const targets = new Map<string, AssignmentTarget[]>();
    for (const row of rows) {
      const target = (row.group_id === null ? { type: row.target_type } : { type: row.target_type, groupId: row.group_id }) as AssignmentTarget;
      const list = targets.get(row.configuration_id);
      if (list) list.push(target);
      else targets.set(row.configuration_id, [target]);
    }
    const profiles = await new ProfileStore(this.#db).getMany(tenantId, [...targets.keys()]);
    return profiles.map((profile) => ({ profile, targets: targets.get(profile.id) ?? [] }));
  }
}
