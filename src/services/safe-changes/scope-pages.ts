import type { AssignmentTarget } from '../../domain/assignments/assignment-target.ts';
import { resolveTargets } from '../../domain/assignments/resolve-targets.ts';
import { deviceTargetingIndex, targetPlatformOf, type AssignedProfile, type DeviceTargeting } from '../../domain/delivery/index.ts';
import type { Profile } from '../../domain/profiles/index.ts';
import type { DryRunDevice, DryRunStore } from '../../store/postgres/dry-run-store.ts';
import type { TargetingStore } from '../../store/postgres/targeting-store.ts';
import type { DryRunDeviceItem, DryRunList } from './dry-run-service.ts';

/** One page of the devices in scope, with the resolver's verdicts over exactly that page. */
export interface ScopePage {
  devices: DryRunDevice[];
  /** Which of the page's devices `profile` with `targets` reaches, and how. */
  verdicts(profile: Profile, targets: readonly AssignmentTarget[]): Map<string, DeviceTargeting>;
  /** The other assigned profiles (`others`) that reach `deviceId`, as the delivery core takes them. */
  othersAssigned(deviceId: string): AssignedProfile[];
}

/**
 * The devices any of `targetSets` reaches, page by page (the SQL resolver's keyset,
 * `TargetingStore.scopeUnionPage`), each page loaded with its devices, users and memberships in one
 * statement: what the dry run and the replace summary both walk, one page in memory at a time.
 */
export async function* scopePages(
  deps: { targeting: TargetingStore; store: DryRunStore; pageSize: number },
  tenantId: string,
  targetSets: AssignmentTarget[][],
  others: readonly { profile: Profile; targets: AssignmentTarget[] }[],
): AsyncGenerator<ScopePage> {
  for (let cursor: string | null = null; ;) {
    const ids = await deps.targeting.scopeUnionPage(tenantId, targetSets, cursor, deps.pageSize);
    if (ids.length === 0) return;
    const { devices, userGroupIds } = await deps.store.devicePage(tenantId, ids);
    const resolverDevices = devices.map((d) => d.resolver);
    const verdicts = (profile: Profile, targets: readonly AssignmentTarget[]) =>
      deviceTargetingIndex(resolveTargets({ targetPlatform: targetPlatformOf(profile.odataType), targets, devices: resolverDevices, userGroupIds }));
    const otherVerdicts = others.map((o) => ({ profile: o.profile, verdicts: verdicts(o.profile, o.targets) }));
    yield {
      devices,
      verdicts,
      othersAssigned: (deviceId) => otherVerdicts.flatMap(({ profile, verdicts: v }) => {
        const targeting = v.get(deviceId);
        return targeting === undefined ? [] : [assigned(profile, targeting)];
      }),
    };
    if (ids.length < deps.pageSize) return;
    cursor = ids[ids.length - 1]!;
  }
}

/** Adds to a counted list, keeping only its first `top` items. */
export function listAdder(top: number): <T>(list: DryRunList<T>, item: () => T) => void {
  return (list, item) => {
    list.count += 1;
    if (list.items.length < top) list.items.push(item());
  };
}

export function assigned(profile: Profile, targeting: DeviceTargeting): AssignedProfile {
  return { id: profile.id, displayName: profile.displayName, odataType: profile.odataType, version: profile.version, settings: profile.settings, links: profile.links, targeting };
}

export function deviceItem(device: DryRunDevice): DryRunDeviceItem {
  return {
    deviceId: device.delivery.id,
    deviceName: device.deviceName,
    userId: device.delivery.primaryUser?.id ?? null,
    userPrincipalName: device.userPrincipalName,
    userDisplayName: device.userDisplayName,
  };
}
