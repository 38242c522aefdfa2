import type { ResolverResult } from '../assignments/resolve-targets.ts';

/** Where the assignment resolver put one device for one profile (the lists of `ResolverResult`). */
export type DeviceTargeting = 'targeted' | 'withoutPrimaryUser' | 'platformMismatch';

/**
 * The resolver's verdict per device id for one profile, for building each device's
 * `AssignedProfile` list. Devices out of scope are absent: the profile is not assigned to them.
 * Built once per profile version; O(devices in scope).
 */
export function deviceTargetingIndex(result: ResolverResult): Map<string, DeviceTargeting> {
  const index = new Map<string, DeviceTargeting>();
  for (const targeted of result.targeted) index.set(targeted.deviceId, 'targeted');
  for (const deviceId of result.withoutPrimaryUser) index.set(deviceId, 'withoutPrimaryUser');
  for (const deviceId of result.platformMismatch) index.set(deviceId, 'platformMismatch');
  return index;
}
