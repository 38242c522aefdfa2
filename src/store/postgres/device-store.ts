import type { ManagedDevice } from '../../domain/directory.ts';
import { badRequest } from '../../domain/errors.ts';
import type { ListQuery, Page } from '../list-query.ts';
import type { Queryable } from '../db.ts';
import { isoTime, listPage, type SortKey } from './list-sql.ts';
import { pgErrorCode, pgErrorCodes } from './pg-errors.ts';

export interface DeviceRecord extends ManagedDevice {
  /** The primary user's UPN and display name (read-only, joined). */
  userPrincipalName: string | null;
  userDisplayName: string | null;
}

export type DeviceFields = Pick<ManagedDevice, 'deviceName' | 'operatingSystem' | 'osVersion' | 'model' | 'androidManagementMode' | 'userId'>;

export interface DeviceRow {
  id: string;
  device_name: string;
  operating_system: ManagedDevice['operatingSystem'];
  os_version: string;
  model: string | null;
  android_management_mode: ManagedDevice['androidManagementMode'];
  user_id: string | null;
  enrolled_at: Date | string;
  last_sync_at: Date | string | null;
  created_at: Date | string;
  user_principal_name: string | null;
  user_display_name: string | null;
}

export const deviceColumns = `d.id, d.device_name, d.operating_system, d.os_version, d.model, d.android_management_mode, d.user_id,
  d.enrolled_at, d.last_sync_at, d.created_at, u.user_principal_name, u.display_name AS user_display_name`;
export const deviceFrom = 'managed_devices d LEFT JOIN users u ON u.tenant_id = d.tenant_id AND u.id = d.user_id';
const filterColumns = {
  id: 'd.id',
  deviceName: 'd.device_name',
  operatingSystem: 'd.operating_system',
  osVersion: 'd.os_version',
  model: 'd.model',
  androidManagementMode: 'd.android_management_mode',
  userId: 'd.user_id',
  userPrincipalName: 'u.user_principal_name',
} as const;
export const deviceFilterFields = Object.keys(filterColumns);
/** Graph property -> indexed sort key, for $orderby (migration 0017); without one, devices list in enrolment order. */
const sortKeys: Record<string, SortKey> = { deviceName: { sql: 'd.device_name', kind: 'text' } };
export const deviceSortFields = Object.keys(sortKeys);

export function toDevice(row: DeviceRow): DeviceRecord {
  return {
    id: row.id,
    deviceName: row.device_name,
    operatingSystem: row.operating_system,
    osVersion: row.os_version,
    model: row.model,
    androidManagementMode: row.android_management_mode,
    userId: row.user_id,
    userPrincipalName: row.user_principal_name,
    userDisplayName: row.user_display_name,
    enrolledDateTime: isoTime(row.enrolled_at)!,
    lastSyncDateTime: isoTime(row.last_sync_at),
  };
}

/** Managed devices of one tenant, with their primary user. */
export class DeviceStore {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  list(tenantId: string, query: ListQuery): Promise<Page<DeviceRecord>> {
    return listPage<DeviceRow, DeviceRecord>(this.#db, { from: deviceFrom, alias: 'd', select: deviceColumns, tenantId, columns: filterColumns, sortKeys, toItem: toDevice }, query);
  }

  async get(tenantId: string, id: string): Promise<DeviceRecord | null> {
    const rows = await this.#db.query<DeviceRow>(`SELECT ${deviceColumns} FROM ${deviceFrom} WHERE d.tenant_id = $1 AND d.id = $2`, [tenantId, id]);
    return rows[0] ? toDevice(rows[0]) : null;
  }

  async getMany(tenantId: string, ids: readonly string[]): Promise<DeviceRecord[]> {
    if (ids.length === 0) return [];
    const rows = await this.#db.query<DeviceRow>(`SELECT ${deviceColumns} FROM ${deviceFrom} WHERE d.tenant_id = $1 AND d.id = ANY($2::uuid[])`, [tenantId, ids]);
    return rows.map(toDevice);
  }

  async insert(tenantId: string, id: string, fields: DeviceFields): Promise<DeviceRecord> {
    try {
      await this.#db.query(
        `INSERT INTO managed_devices (tenant_id, id, device_name, operating_system, os_version, model, android_management_mode, user_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [tenantId, id, fields.deviceName, fields.operatingSystem, fields.osVersion, fields.model, fields.androidManagementMode, fields.userId],
      );
    } catch (error) {
      throw mapDeviceError(error, fields);
    }
    return (await this.get(tenantId, id))!;
  }

  async update(tenantId: string, id: string, fields: DeviceFields): Promise<DeviceRecord | null> {
    try {
      const rows = await this.#db.query(
        `UPDATE managed_devices SET device_name = $3, operating_system = $4, os_version = $5, model = $6,
           android_management_mode = $7, user_id = $8
         WHERE tenant_id = $1 AND id = $2 RETURNING id`,
        [tenantId, id, fields.deviceName, fields.operatingSystem, fields.osVersion, fields.model, fields.androidManagementMode, fields.userId],
      );
      if (rows.length === 0) return null;
    } catch (error) {
      throw mapDeviceError(error, fields);
    }
    return this.get(tenantId, id);
  }

  async delete(tenantId: string, id: string): Promise<boolean> {
    const rows = await this.#db.query('DELETE FROM managed_devices WHERE tenant_id = $1 AND id = $2 RETURNING id', [tenantId, id]);
    return rows.length > 0;
  }
}

function mapDeviceError(error: unknown, fields: DeviceFields): unknown {
  if (pgErrorCode(error) === pgErrorCodes.foreignKeyViolation) {
    return badRequest(`userId '${fields.userId}' is not a user in this tenant.`, 'userId');
  }
  return error;
}
