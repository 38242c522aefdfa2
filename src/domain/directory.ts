/**
 * Directory records as the domain sees them (Graph names). Users and groups are Graph-shaped
 * (`/graph/beta/users`, `/groups`); managed devices follow Graph's `managedDevice`.
 * https://learn.microsoft.com/graph/api/resources/user
 */
export interface DirectoryUser {
  id: string;
  displayName: string;
  userPrincipalName: string;
  /** Primary SMTP address. */
  mail: string | null;
  onPremisesSamAccountName: string | null;
  /** Full (DNS) domain name, e.g. `contoso.com`. */
  onPremisesDomainName: string | null;
  /** NetBIOS domain name, e.g. `CONTOSO` (Graph carries this name on groups; Envelope keeps it on users too). */
  onPremisesNetBiosName: string | null;
}

/** Graph `operatingSystem` values Envelope recognises on managed devices. */
export const deviceOperatingSystems = ['iOS', 'iPadOS', 'Windows', 'WindowsPhone', 'Android'] as const;
export type DeviceOperatingSystem = (typeof deviceOperatingSystems)[number];

/**
 * How an Android device is managed decides which email profile family can reach it: Samsung Knox
 * (device administrator) or an Android Enterprise work profile. Graph calls this `managementAgent`/
 * `deviceEnrollmentType`; Envelope keeps the one distinction that matters for email.
 */
export const androidManagementModes = ['knox', 'workProfile'] as const;
export type AndroidManagementMode = (typeof androidManagementModes)[number];

export interface ManagedDevice {
  id: string;
  deviceName: string;
  operatingSystem: DeviceOperatingSystem;
  osVersion: string;
  model: string | null;
  /** Android only: Knox (device administrator) or work profile. Null elsewhere. */
  androidManagementMode: AndroidManagementMode | null;
  /** The primary user's id; a device without one cannot receive email profiles. */
  userId: string | null;
  enrolledDateTime: string;
  lastSyncDateTime: string | null;
}
