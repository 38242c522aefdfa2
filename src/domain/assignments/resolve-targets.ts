import type { AssignmentTarget } from './assignment-target.ts';
import { devicePlatformMatches, type DevicePlatform, type TargetPlatform } from './device-platform.ts';

export interface ResolverDevice extends DevicePlatform {
  id: string;
  /** The primary user; null when the device has none. */
  userId: string | null;
  /** Groups the device itself is a direct member of (a Set or an array; only iterated). */
  groupIds: Iterable<string>;
}

export interface ResolverInput {
  /**
   * The profile's platform family (see `emailProfileTargetPlatforms`). A key rather than a
   * predicate so the input stays plain data and the matching rules live in one place.
   */
  targetPlatform: TargetPlatform;
  /** The targets of the profile's `apply` assignments; `remove`-intent assignments put no one in scope. */
  targets: readonly AssignmentTarget[];
  /** Every managed device of the tenant; ids are unique. Iterated once, so a stream works. */
  devices: Iterable<ResolverDevice>;
  /** User id -> groups the user is a direct member of. A user missing here is in no group. */
  userGroupIds: ReadonlyMap<string, Iterable<string>>;
}

export interface TargetedDevice {
  deviceId: string;
  /** The primary user the profile is rendered for. */
  userId: string;
  /** Which path put the device in scope: its primary user, the device itself, or both. */
  via: 'user' | 'device' | 'both';
}

export interface ResolverResult {
  /** Devices that get the profile, by device id. */
  targeted: TargetedDevice[];
  /** Device ids in scope (through the device itself) whose platform matches but that have no primary user. */
  withoutPrimaryUser: string[];
  /** Device ids in scope by either path whose platform does not match the profile type. */
  platformMismatch: string[];
}

/**
 * Computes which devices get a profile (SPEC §5, reference/intune-email-model.md §6).
 *
 * A device is in scope through its primary user (user kind: an include group the user is a member
 * of, or all licensed users) or through itself (device kind: an include group the device is a
 * member of, or all devices). An exclusion group beats inclusion only within the same kind: a user
 * member of an excluded group loses the user path, a device member loses the device path; neither
 * affects the other path (include all users + exclude a device group still reaches every user's
 * devices). A group may hold users and devices; each member counts for its own kind.
 *
 * Every in-scope device lands in exactly one list: `platformMismatch` if its platform does not match
 * the profile (checked first: such a device is "not applicable" whatever else is true), else
 * `withoutPrimaryUser` if it has no primary user (email is rendered for a user, so it cannot receive
 * the profile), else `targeted`. Devices out of scope appear nowhere. Each list is sorted by device
 * id in code-unit order, so the result does not depend on input order or locale.
 *
 * Cost: O(total group memberships of devices and of their users + sort), with one lookup per
 * membership; users' results are memoised, so a user's groups are scanned once however many devices
 * they have.
 */
export function resolveTargets(input: ResolverInput): ResolverResult {
  const result: ResolverResult = { targeted: [], withoutPrimaryUser: [], platformMismatch: [] };
  const scope = assignmentScope(input.targets);
  if (!scope.allUsers && !scope.allDevices && scope.included.size === 0) return result;

  const userInScope = new Map<string, boolean>();
  const isUserInScope = (userId: string): boolean => {
    let inScope = userInScope.get(userId);
    if (inScope === undefined) {
      inScope = isMemberInScope(input.userGroupIds.get(userId) ?? [], scope.allUsers, scope);
      userInScope.set(userId, inScope);
    }
    return inScope;
  };

  for (const device of input.devices) {
    const byDevice = isMemberInScope(device.groupIds, scope.allDevices, scope);
    const byUser = device.userId !== null && isUserInScope(device.userId);
    if (!byDevice && !byUser) continue;
    if (!devicePlatformMatches(input.targetPlatform, device)) {
      result.platformMismatch.push(device.id);
    } else if (device.userId === null) {
      result.withoutPrimaryUser.push(device.id);
    } else {
      result.targeted.push({ deviceId: device.id, userId: device.userId, via: byUser ? (byDevice ? 'both' : 'user') : 'device' });
    }
  }

  result.targeted.sort((a, b) => compareIds(a.deviceId, b.deviceId));
  result.withoutPrimaryUser.sort(compareIds);
  result.platformMismatch.sort(compareIds);
  return result;
}

/** The targets of a profile's `apply` assignments, compiled for membership tests. */
export interface AssignmentScope {
  allUsers: boolean;
  allDevices: boolean;
  included: ReadonlySet<string>;
  excluded: ReadonlySet<string>;
}

export function assignmentScope(targets: readonly AssignmentTarget[]): AssignmentScope {
  const scope = { allUsers: false, allDevices: false, included: new Set<string>(), excluded: new Set<string>() };
  for (const target of targets) {
    switch (target.type) {
      case 'groupAssignmentTarget':
        scope.included.add(target.groupId);
        break;
      case 'exclusionGroupAssignmentTarget':
        scope.excluded.add(target.groupId);
        break;
      case 'allLicensedUsersAssignmentTarget':
        scope.allUsers = true;
        break;
      case 'allDevicesAssignmentTarget':
        scope.allDevices = true;
        break;
    }
  }
  return scope;
}

/** One member (a user or a device) with its direct groups: included by `all` or a group, unless excluded. */
function isMemberInScope(groupIds: Iterable<string>, all: boolean, scope: AssignmentScope): boolean {
  let included = all;
  for (const groupId of groupIds) {
    if (scope.excluded.has(groupId)) return false;
    if (!included && scope.included.has(groupId)) included = true;
  }
  return included;
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
