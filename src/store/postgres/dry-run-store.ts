import type { AssignmentTarget } from '../../domain/assignments/assignment-target.ts';
import type { ResolverDevice } from '../../domain/assignments/resolve-targets.ts';
import type { DeliveryDevice } from '../../domain/delivery/desired-set.ts';
import type { LedgerRow } from '../../domain/delivery/ledger-row.ts';
import type { Profile } from '../../domain/profiles/profile.ts';
import type { Queryable } from '../db.ts';
import { ledgerColumns, toLedgerRow, type LedgerSqlRow } from './delivery-rows.ts';
import { deviceFrom, type DeviceRow } from './device-store.ts';
import { ProfileStore } from './profile-store.ts';

/** The device and primary-user columns delivery reads (the user's null when the device has none). */
type DryRunDeviceRow = Pick<DeviceRow, 'id' | 'device_name' | 'operating_system' | 'os_version' | 'android_management_mode' | 'user_id'>
  & { [K in 'display_name' | 'user_principal_name' | 'mail' | 'on_premises_sam_account_name' | 'on_premises_domain_name' | 'on_premises_net_bios_name']: string | null };

function groupIdsByMember(rows: readonly { group_id: string; member: string }[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const row of rows) {
    const list = map.get(row.member);
    if (list) list.push(row.group_id);
    else map.set(row.member, [row.group_id]);
  }
  return map;
}

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
    const rows = await this.#db.query<DryRunDeviceRow>(
      `SELECT d.id, d.device_name, d.operating_system, d.os_version, d.android_management_mode, d.user_id,
              u.display_name, u.user_principal_name, u.mail, u.on_premises_sam_account_name, u.on_premises_domain_name, u.on_premises_net_bios_name
         FROM ${deviceFrom} WHERE d.tenant_id = $1 AND d.id = ANY($2::uuid[]) ORDER BY d.id`,
      [tenantId, ids],
    );
    const userIds = [...new Set(rows.map((r) => r.user_id).filter((id): id is string => id !== null))];
    // Two statements, each on its own (tenant, member) index.
    const byDevice = await this.#db.query<{ group_id: string; member: string }>(
      'SELECT group_id, device_id AS member FROM group_members WHERE tenant_id = $1 AND device_id = ANY($2::uuid[])',
      [tenantId, ids],
    );
    const byUser = await this.#db.query<{ group_id: string; member: string }>(
      'SELECT group_id, user_id AS member FROM group_members WHERE tenant_id = $1 AND user_id = ANY($2::uuid[])',
      [tenantId, userIds],
    );
    const deviceGroupIds = groupIdsByMember(byDevice);
    const userGroupIds = groupIdsByMember(byUser);
    const devices = rows.map((row): DryRunDevice => ({
      delivery: {
        id: row.id,
        operatingSystem: row.operating_system,
        osVersion: row.os_version,
        androidManagementMode: row.android_management_mode,
        primaryUser: row.user_id === null ? null : {
          id: row.user_id,
          displayName: row.display_name ?? '',
          userPrincipalName: row.user_principal_name ?? '',
          mail: row.mail,
          onPremisesSamAccountName: row.on_premises_sam_account_name,
          onPremisesDomainName: row.on_premises_domain_name,
          onPremisesNetBiosName: row.on_premises_net_bios_name,
        },
      },
      resolver: {
        id: row.id,
        operatingSystem: row.operating_system,
        androidManagementMode: row.android_management_mode,
        userId: row.user_id,
        groupIds: deviceGroupIds.get(row.id) ?? [],
      },
      deviceName: row.device_name,
      userPrincipalName: row.user_principal_name,
      userDisplayName: row.display_name,
    }));
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
