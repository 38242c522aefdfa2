import type { AssignmentTarget } from '../../domain/assignments/assignment-target.ts';
import { assignmentScope } from '../../domain/assignments/resolve-targets.ts';
import type { PlatformCriteria } from '../../domain/assignments/device-platform.ts';
import type { Queryable } from '../db.ts';

/** Why an in-scope device does or does not get the profile (the resolver's three lists, per row). */
export type ScopeOutcome = 'targeted' | 'withoutPrimaryUser' | 'platformMismatch';

/** One device a profile's assignments reach, with what the Graph answer shows about it and its user. */
export interface ScopedDevice {
  deviceId: string;
  deviceName: string;
  lastSyncDateTime: string | null;
  userId: string | null;
  userDisplayName: string | null;
  userPrincipalName: string | null;
  via: 'user' | 'device' | 'both';
  outcome: ScopeOutcome;
}

/**
 * Assignment resolution in SQL: the same rules as the pure `resolveTargets` (which stays their
 * specification and is the oracle of this store's tests), evaluated by PostgreSQL so that a tenant of
 * 100,000 devices is never loaded into memory. A device is in scope through its primary user (an
 * include group the user is in, or all users) unless the user is in an exclusion group, or through
 * itself (an include group it is in, or all devices) unless it is in an exclusion group.
 *
 * The member lists of the assigned groups are read once per page through the (tenant, group, member)
 * indexes and hashed; a device costs one primary-key step and one user lookup. (Correlated EXISTS per
 * device made PostgreSQL hash all 220,000 memberships per page instead.) Every `NOT IN` list filters
 * out NULLs, so its three-valued logic cannot drop a device.
 *
 * Pages are keyset-ordered by device id (uuid order = the resolver's code-unit order of the
 * lowercase text form), so a caller streams a fleet in bounded memory.
 */
export class TargetingStore {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  /** Up to `limit` in-scope devices with ids after `afterDeviceId`, in id order. */
  async scopePage(
    tenantId: string,
    targets: readonly AssignmentTarget[],
    platform: PlatformCriteria,
    afterDeviceId: string | null,
    limit: number,
  ): Promise<ScopedDevice[]> {
    const scope = assignmentScope(targets);
    if (!scope.allUsers && !scope.allDevices && scope.included.size === 0) return [];
    const rows = await this.#db.query<{
      id: string; device_name: string; last_sync_at: Date | string | null; user_id: string | null;
      user_display_name: string | null; user_principal_name: string | null; by_device: boolean; by_user: boolean; platform_matches: boolean;
    }>(
      `SELECT d.id, d.device_name, d.last_sync_at, d.user_id, u.display_name AS user_display_name,
              u.user_principal_name, s.by_device, s.by_user,
              (d.operating_system = ANY($7::text[]) AND ($8::text IS NULL OR d.android_management_mode = $8)) AS platform_matches
         FROM managed_devices d
         LEFT JOIN users u ON u.tenant_id = d.tenant_id AND u.id = d.user_id
         CROSS JOIN LATERAL (SELECT ${scopePaths({ allUsers: '$3', allDevices: '$4', included: '$5', excluded: '$6' })}) s
        WHERE d.tenant_id = $1 AND ($2::uuid IS NULL OR d.id > $2::uuid) AND (s.by_device OR s.by_user)
        ORDER BY d.id
        LIMIT $9`,
      [tenantId, afterDeviceId, scope.allUsers, scope.allDevices, [...scope.included], [...scope.excluded],
        platform.operatingSystems, platform.androidManagementMode, limit],
    );
    return rows.map((row) => ({
      deviceId: row.id,
      deviceName: row.device_name,
      lastSyncDateTime: row.last_sync_at === null ? null : new Date(row.last_sync_at).toISOString(),
      userId: row.user_id,
      userDisplayName: row.user_display_name,
      userPrincipalName: row.user_principal_name,
      via: row.by_user ? (row.by_device ? 'both' : 'user') : 'device',
      outcome: !row.platform_matches ? 'platformMismatch' : row.user_id === null ? 'withoutPrimaryUser' : 'targeted',
    }));
  }

  /**
   * Up to `limit` ids after `afterDeviceId`, in id order, of the devices in scope of any of
   * `targetSets` (platform not checked): one keyset-paged query for the union of several assignment
   * sets, e.g. a profile's current and proposed ones (the dry run).
   */
  async scopeUnionPage(tenantId: string, targetSets: readonly (readonly AssignmentTarget[])[], afterDeviceId: string | null, limit: number): Promise<string[]> {
    const scopes = targetSets.map(assignmentScope).filter((scope) => scope.allUsers || scope.allDevices || scope.included.size > 0);
    if (scopes.length === 0) return [];
    const params: unknown[] = [tenantId, afterDeviceId, limit];
    // One LATERAL per set, as in scopePage, so each set's member lists are hashed once per query.
    const laterals = scopes.map((scope, index) => {
      const at = params.push(scope.allUsers, scope.allDevices, [...scope.included], [...scope.excluded]);
      return `CROSS JOIN LATERAL (SELECT ${scopePaths({ allUsers: `$${at - 3}`, allDevices: `$${at - 2}`, included: `$${at - 1}`, excluded: `$${at}` })}) s${index}`;
    });
    const inAny = scopes.map((_, index) => `s${index}.by_device OR s${index}.by_user`).join(' OR ');
    const rows = await this.#db.query<{ id: string }>(
      `SELECT d.id FROM managed_devices d ${laterals.join(' ')}
        WHERE d.tenant_id = $1 AND ($2::uuid IS NULL OR d.id > $2::uuid) AND (${inAny})
        ORDER BY d.id
        LIMIT $3`,
      params,
    );
    return rows.map((row) => row.id);
  }
}

/**
 * The two scope paths of device `d` (columns `by_device`, `by_user`) for one assignment set whose
 * parts are the given parameters; `$1` is the tenant.
 */
function scopePaths(p: { allUsers: string; allDevices: string; included: string; excluded: string }): string {
  return `(${p.allDevices}::boolean OR d.id IN (SELECT device_id FROM group_members
                            WHERE tenant_id = $1 AND group_id = ANY(${p.included}::uuid[]) AND device_id IS NOT NULL))
             AND d.id NOT IN (SELECT device_id FROM group_members
                               WHERE tenant_id = $1 AND group_id = ANY(${p.excluded}::uuid[]) AND device_id IS NOT NULL)
             AS by_device,
           d.user_id IS NOT NULL
             AND (${p.allUsers}::boolean OR d.user_id IN (SELECT user_id FROM group_members
                                       WHERE tenant_id = $1 AND group_id = ANY(${p.included}::uuid[]) AND user_id IS NOT NULL))
             AND d.user_id NOT IN (SELECT user_id FROM group_members
                                    WHERE tenant_id = $1 AND group_id = ANY(${p.excluded}::uuid[]) AND user_id IS NOT NULL)
             AS by_user`;
}
