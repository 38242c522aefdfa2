import { devicePlatformMatches, emailProfileTargetPlatforms, type DevicePlatform, type TargetPlatform } from '../assignments/device-platform.ts';
import type { DeviceOperatingSystem } from '../directory.ts';
import { isEmailProfileType, platformFamilyOf, type PlatformFamily, type ProfileType } from '../profiles/profile-types.ts';

export interface ApplicabilityDevice extends DevicePlatform {
  osVersion: string;
}

/** Why a profile is not applicable to a device; null when it is. */
export type Inapplicability =
  | { reasonCode: 'platformMismatch'; message: string }
  | { reasonCode: 'osVersionTooOld'; message: string };

/**
 * Oldest OS version Envelope delivers email profiles to, per operating system (SPEC §2): iOS/iPadOS
 * 8.0; Windows 10 1507 (10.0.10240, where the ActiveSync CSP starts); Windows Phone 8.1; Android
 * work profiles exist from Android 5.0. Knox devices carry no Knox version in the device record
 * (the SPEC's floor is Knox Standard 4.0, not an Android version), so none is checked there.
 */
export const minimumOsVersions: Readonly<Partial<Record<DeviceOperatingSystem, string>>> = {
  iOS: '8.0',
  iPadOS: '8.0',
  Windows: '10.0.10240',
  WindowsPhone: '8.1',
};
const minimumAndroidWorkProfileVersion = '5.0';

/**
 * Certificate profiles reach the devices of their family; Windows' trusted root
 * (`windows81TrustedRootCertificate`) serves Windows 10/11 and Windows Phone alike, like Windows
 * Phone email profiles do.
 */
const certificateTargetPlatforms: Record<PlatformFamily, TargetPlatform> = {
  ios: 'ios',
  windows: 'windowsPhone',
  knox: 'knox',
  androidWorkProfile: 'androidWorkProfile',
  androidForWork: 'androidForWork',
};

/** The device family a profile type can reach (the resolver's `targetPlatform` for it). */
export function targetPlatformOf(type: ProfileType): TargetPlatform {
  return isEmailProfileType(type) ? emailProfileTargetPlatforms[type] : certificateTargetPlatforms[platformFamilyOf(type)];
}

/**
 * Whether `type` applies to `device`: the platform family must match (see `devicePlatformMatches`)
 * and the OS version must reach the floor above. An OS version that does not start with a number
 * (not yet reported, or a format Envelope does not know) passes: the device reports a failure if it
 * really cannot take the profile, which is better than withholding mail on a guess.
 */
export function inapplicabilityOf(type: ProfileType, device: ApplicabilityDevice): Inapplicability | null {
  if (!devicePlatformMatches(targetPlatformOf(type), device)) {
    const mode = device.androidManagementMode ? ` (${device.androidManagementMode})` : '';
    return { reasonCode: 'platformMismatch', message: `A ${type} does not apply to a ${device.operatingSystem}${mode} device.` };
  }
  const minimum =
    device.operatingSystem === 'Android' && device.androidManagementMode === 'workProfile'
      ? minimumAndroidWorkProfileVersion
      : minimumOsVersions[device.operatingSystem];
  if (minimum !== undefined && compareOsVersions(device.osVersion, minimum) < 0) {
    return {
      reasonCode: 'osVersionTooOld',
      message: `The device runs ${device.operatingSystem} ${device.osVersion}; this profile needs ${minimum} or later.`,
    };
  }
  return null;
}

/**
 * Compares dotted numeric versions (`10.0.19045.4291`, `17.4`); missing parts count as 0. Returns 0
 * when `version` has no leading number, so an unknown version never fails a floor.
 */
export function compareOsVersions(version: string, other: string): number {
  const a = numericParts(version);
  const b = numericParts(other);
  if (a.length === 0 || b.length === 0) return 0;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0);
    if (diff !== 0) return diff < 0 ? -1 : 1;
  }
  return 0;
}

/**
 * Parsed versions, memoised: a fleet reports few distinct OS versions and this runs for every
 * profile at every check-in. Bounded so odd inputs cannot grow it without limit.
 */
const parsedVersions = new Map<string, readonly number[]>();

function numericParts(version: string): readonly number[] {
  let parts = parsedVersions.get(version);
  if (parts === undefined) {
    const match = /^\s*(\d+(?:\.\d+)*)/.exec(version);
    parts = match?.[1] === undefined ? [] : match[1].split('.').map(Number);
    if (parsedVersions.size >= 10_000) parsedVersions.clear();
    parsedVersions.set(version, parts);
  }
  return parts;
}
