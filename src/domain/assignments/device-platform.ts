import type { AndroidManagementMode, DeviceOperatingSystem } from '../directory.ts';

/**
 * The device families an email profile type can reach. One key per profile family rather than per
 * `@odata.type`, because the Android Enterprise legacy twins (`androidForWork*`) reach the same
 * devices as their `androidWorkProfile*` successors but stay distinct profile types.
 */
export const targetPlatforms = ['ios', 'windows', 'windowsPhone', 'knox', 'androidWorkProfile', 'androidForWork'] as const;
export type TargetPlatform = (typeof targetPlatforms)[number];

/** The two device properties that decide platform applicability. */
export interface DevicePlatform {
  operatingSystem: DeviceOperatingSystem;
  androidManagementMode: AndroidManagementMode | null;
}

/**
 * The platform family of each email profile type (SPEC §2, Graph `@odata.type` without the
 * `#microsoft.graph.` prefix).
 */
export const emailProfileTargetPlatforms = {
  iosEasEmailProfileConfiguration: 'ios',
  windows10EasEmailProfileConfiguration: 'windows',
  windowsPhoneEASEmailProfileConfiguration: 'windowsPhone',
  androidEasEmailProfileConfiguration: 'knox',
  androidWorkProfileGmailEasConfiguration: 'androidWorkProfile',
  androidWorkProfileNineWorkEasConfiguration: 'androidWorkProfile',
  androidForWorkGmailEasConfiguration: 'androidForWork',
  androidForWorkNineWorkEasConfiguration: 'androidForWork',
} as const satisfies Record<string, TargetPlatform>;

/**
 * Which devices a profile of `family` applies to, as data (so the SQL resolver and the in-memory one
 * share one rule): the operating systems, and for Android the management mode.
 * - `ios`: iOS and iPadOS (Graph reports iPads as `iPadOS` since 13).
 * - `windows`: Windows 10/11, desktop and mobile (both report `Windows`).
 * - `windowsPhone`: Windows Phone 8.1 **and** Windows 10/11 — Intune applies Windows Phone 8.1
 *   email profiles to Windows 10 devices too (SPEC §2; reference/intune-email-model.md §3, §8.5).
 * - `knox`: Android managed as Samsung Knox (device administrator).
 * - `androidWorkProfile`, `androidForWork`: Android with an Android Enterprise work profile; the two
 *   are generations of the same channel.
 * An Android device whose management mode is unknown (null) matches no Android family.
 */
export interface PlatformCriteria {
  operatingSystems: readonly DeviceOperatingSystem[];
  /** Required management mode (Android families only); null = any (non-Android families). */
  androidManagementMode: AndroidManagementMode | null;
}

export const targetPlatformCriteria: Readonly<Record<TargetPlatform, PlatformCriteria>> = {
  ios: { operatingSystems: ['iOS', 'iPadOS'], androidManagementMode: null },
  windows: { operatingSystems: ['Windows'], androidManagementMode: null },
  windowsPhone: { operatingSystems: ['WindowsPhone', 'Windows'], androidManagementMode: null },
  knox: { operatingSystems: ['Android'], androidManagementMode: 'knox' },
  androidWorkProfile: { operatingSystems: ['Android'], androidManagementMode: 'workProfile' },
  androidForWork: { operatingSystems: ['Android'], androidManagementMode: 'workProfile' },
};

/** Whether a profile of `family` applies to `device` (see `targetPlatformCriteria`). */
export function devicePlatformMatches(family: TargetPlatform, device: DevicePlatform): boolean {
  const criteria = targetPlatformCriteria[family];
  return criteria.operatingSystems.includes(device.operatingSystem)
    && (criteria.androidManagementMode === null || device.androidManagementMode === criteria.androidManagementMode);
}
