import type { Assignment } from '../../domain/assignments/assignment-target.ts';
import { emailProfileTargetPlatforms } from '../../domain/assignments/device-platform.ts';
import { parseAssignBody } from '../../domain/assignments/parse-assign-body.ts';
import { resolveTargets } from '../../domain/assignments/resolve-targets.ts';
import { badRequest, notFound } from '../../domain/errors.ts';
import type { Stores, Transactor } from '../../store/postgres/stores.ts';

/** Graph `deviceConfigurationTargetedUserAndDevice`. */
export interface TargetedUserAndDevice {
  deviceId: string;
  deviceName: string;
  lastCheckinDateTime: string | null;
  userDisplayName: string;
  userId: string;
  userPrincipalName: string;
}

/** A device in scope that cannot receive the profile, and why. */
export interface UntargetableDevice {
  deviceId: string;
  deviceName: string;
  reason: 'noPrimaryUser' | 'platformMismatch';
}

export interface TargetingResult {
  targeted: TargetedUserAndDevice[];
  notApplicable: UntargetableDevice[];
}

/** Profile assignments (Graph `assign` replaces the whole set) and who they reach. */
export class AssignmentService {
  readonly #stores: Stores;
  readonly #transact: Transactor;

  constructor(stores: Stores, transact: Transactor) {
    this.#stores = stores;
    this.#transact = transact;
  }

  async list(tenantId: string, profileId: string): Promise<Assignment[]> {
    await this.#profileOrThrow(tenantId, profileId);
    return this.#stores.assignments.list(tenantId, profileId);
  }

  /**
   * Validates the body, checks every group exists in the tenant, then replaces the set atomically.
   * Concurrent assigns of one profile run one after another (the profile row is locked), and the last
   * one wins whole; the groups are locked against deletion until the new set is committed.
   */
  async assign(tenantId: string, profileId: string, body: unknown): Promise<Assignment[]> {
    const assignments = parseAssignBody(body);
    return this.#transact(async (stores) => {
      if (!(await stores.profiles.lockForUpdate(tenantId, profileId))) throw notFound('Device configuration', profileId);
      const groupIds = assignments.flatMap((a) => ('groupId' in a.target ? [a.target.groupId] : []));
      const existing = await stores.groups.existing(tenantId, groupIds);
      assignments.forEach((a, index) => {
        if ('groupId' in a.target && !existing.has(a.target.groupId)) {
          throw badRequest(`Group '${a.target.groupId}' does not exist in this tenant.`, `assignments[${index}].target.groupId`);
        }
      });
      await stores.assignments.replace(tenantId, profileId, assignments);
      return stores.assignments.list(tenantId, profileId);
    });
  }

  /**
   * `getTargetedUsersAndDevices`: the (device, primary user) pairs the profile reaches now, plus the
   * in-scope devices that cannot receive it (no primary user, or another platform). Certificate
   * profiles have no platform rule here and are resolved like email profiles of their family later.
   */
  async targeted(tenantId: string, profileId: string): Promise<TargetingResult> {
    const profile = await this.#profileOrThrow(tenantId, profileId);
    const family = emailProfileTargetPlatforms[profile.odataType as keyof typeof emailProfileTargetPlatforms];
    if (!family) throw badRequest(`getTargetedUsersAndDevices applies to email profiles; '${profile.odataType}' is not one.`, 'id');
    const assignments = await this.#stores.assignments.list(tenantId, profileId);
    const snapshot = await this.#stores.targeting.snapshot(tenantId);
    const result = resolveTargets({
      targetPlatform: family,
      targets: assignments.filter((a) => a.intent === 'apply').map((a) => a.target),
      devices: snapshot.devices,
      userGroupIds: snapshot.userGroupIds,
    });
    const devices = new Map(snapshot.devices.map((d) => [d.id, d]));
    const users = new Map((await this.#stores.users.getMany(tenantId, [...new Set(result.targeted.map((t) => t.userId))])).map((u) => [u.id, u]));
    return {
      targeted: result.targeted.map((t) => {
        const device = devices.get(t.deviceId)!;
        const user = users.get(t.userId)!;
        return {
          deviceId: t.deviceId,
          deviceName: device.deviceName,
          lastCheckinDateTime: device.lastSyncDateTime,
          userDisplayName: user.displayName,
          userId: user.id,
          userPrincipalName: user.userPrincipalName,
        };
      }),
      notApplicable: [
        ...result.withoutPrimaryUser.map((id) => ({ deviceId: id, deviceName: devices.get(id)!.deviceName, reason: 'noPrimaryUser' as const })),
        ...result.platformMismatch.map((id) => ({ deviceId: id, deviceName: devices.get(id)!.deviceName, reason: 'platformMismatch' as const })),
      ],
    };
  }

  async #profileOrThrow(tenantId: string, profileId: string) {
    const profile = await this.#stores.profiles.get(tenantId, profileId);
    if (!profile) throw notFound('Device configuration', profileId);
    return profile;
  }
}
