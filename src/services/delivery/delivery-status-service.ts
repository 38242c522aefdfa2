import type { TargetPlatform } from '../../domain/assignments/device-platform.ts';
import type { AndroidManagementMode, DeviceOperatingSystem } from '../../domain/directory.ts';
import { deliveryStatusOf, targetPlatformOf, userBucketOf, type ComplianceStatus, type OverviewBucket, type OverviewCounts } from '../../domain/delivery/index.ts';
import { notFound } from '../../domain/errors.ts';
import type { ListQuery, Page } from '../../store/list-query.ts';
import type { DeliveryStatusStore, DeviceStatusRecord, OverviewRecord } from '../../store/postgres/delivery-status-store.ts';

/**
 * Graph `deviceConfigurationDeviceStatus` plus Envelope's delivery detail beside Graph's properties
 * (intune-email-model §7): why, what the admin and the user can do, attempts, stuck, waiting for the user.
 */
export interface GraphDeviceStatus {
  id: string;
  deviceDisplayName: string;
  userName: string | null;
  userPrincipalName: string | null;
  deviceModel: string | null;
  platform: number;
  complianceGracePeriodExpirationDateTime: string;
  status: ComplianceStatus;
  lastReportedDateTime: string;
  reasonCode: string;
  adminMessage: string;
  endUserMessage: string | null;
  attempts: number;
  verifiedDateTime: string | null;
  stuck: boolean;
  waitingForUser: boolean;
}

/** Graph `deviceConfigurationUserStatus`. */
export interface GraphUserStatus {
  id: string;
  userDisplayName: string;
  userPrincipalName: string;
  devicesCount: number;
  status: ComplianceStatus;
  lastReportedDateTime: string;
}

/** Graph `deviceConfigurationUserOverview`. */
export type GraphUserOverview = { id: string; lastUpdateDateTime: string; configurationVersion: number } & Omit<OverviewCounts, 'notApplicablePlatformCount'>;
/** Graph `deviceConfigurationDeviceOverview` (beta: with `notApplicablePlatformCount`). */
export type GraphDeviceOverview = GraphUserOverview & Pick<OverviewCounts, 'notApplicablePlatformCount'>;

/** Graph `deviceConfigurationState` (beta) plus Envelope's reason and messages. */
export interface GraphDeviceConfigurationState {
  id: string;
  displayName: string;
  platformType: string;
  settingCount: number;
  settingStates: never[];
  state: ComplianceStatus;
  version: number;
  userId: string | null;
  userPrincipalName: string | null;
  reasonCode: string;
  adminMessage: string;
  endUserMessage: string | null;
}

/** Graph `deviceConfigurationDeviceStateSummary`. */
export interface GraphDeviceStateSummary {
  unknownDeviceCount: number;
  notApplicableDeviceCount: number;
  compliantDeviceCount: number;
  remediatedDeviceCount: number;
  nonCompliantDeviceCount: number;
  errorDeviceCount: number;
  conflictDeviceCount: number;
}

/**
 * Graph's "never" for a non-nullable DateTimeOffset: Intune reports `0001-01-01T00:00:00Z` for a time
 * that has not happened (no report yet, no grace period on a configuration profile).
 */
const graphNever = '0001-01-01T00:00:00Z';

/**
 * `policyPlatformType` member names and values (intune-email-model §4) per profile family and per
 * device. [inferred] deviceConfigurationDeviceStatus.platform (Int32) carries the device's value.
 */
const platformTypeOfFamily: Record<TargetPlatform, string> = {
  ios: 'iOS',
  windows: 'windows10AndLater',
  windowsPhone: 'windowsPhone81',
  knox: 'android',
  androidWorkProfile: 'androidWorkProfile',
  androidForWork: 'androidForWork',
};
function platformValueOf(os: DeviceOperatingSystem, mode: AndroidManagementMode | null): number {
  switch (os) {
    case 'iOS':
    case 'iPadOS':
      return 2;
    case 'WindowsPhone':
      return 4;
    case 'Windows':
      return 6;
    case 'Android':
      return mode === 'workProfile' ? 1 : 0;
  }
}

const statusOfBucket: Record<Exclude<OverviewBucket, 'notApplicablePlatform'>, ComplianceStatus> = {
  pending: 'unknown',
  notApplicable: 'notApplicable',
  success: 'compliant',
  error: 'error',
  failed: 'nonCompliant',
  conflict: 'conflict',
};

const iso = (value: number | null): string => (value === null ? graphNever : new Date(value).toISOString());

/** Reads delivery status in Graph's shapes; every read is tenant-scoped and 404s for another tenant's profile or device. */
export class DeliveryStatusService {
  readonly #status: DeliveryStatusStore;
  readonly #profiles: { get(tenantId: string, id: string): Promise<{ version: number } | null> };
  readonly #devices: { get(tenantId: string, id: string): Promise<unknown> };
  readonly #now: () => number;
  readonly #stuckAfterMs: number;

  constructor(deps: {
    status: DeliveryStatusStore;
    profiles: { get(tenantId: string, id: string): Promise<{ version: number } | null> };
    devices: { get(tenantId: string, id: string): Promise<unknown> };
    now: () => number;
    stuckAfterMs: number;
  }) {
    this.#status = deps.status;
    this.#profiles = deps.profiles;
    this.#devices = deps.devices;
    this.#now = deps.now;
    this.#stuckAfterMs = deps.stuckAfterMs;
  }

  async deviceStatuses(tenantId: string, profileId: string, query: ListQuery): Promise<Page<GraphDeviceStatus>> {
    await this.#profileOrThrow(tenantId, profileId);
    const page = await this.#status.deviceStatuses(tenantId, profileId, query);
    const now = this.#now();
    return { items: page.items.map((row) => this.#deviceStatus(row, now)), next: page.next };
  }

  async userStatuses(tenantId: string, profileId: string, query: ListQuery): Promise<Page<GraphUserStatus>> {
    await this.#profileOrThrow(tenantId, profileId);
    const page = await this.#status.userStatuses(tenantId, profileId, query);
    return {
      items: page.items.map((row) => {
        const bucket = userBucketOf(row.tally);
        return {
          id: `${profileId}_${row.userId}`,
          userDisplayName: row.userDisplayName,
          userPrincipalName: row.userPrincipalName,
          devicesCount: Object.values(row.tally).reduce((sum, n) => sum + n, 0),
          status: bucket === null || bucket === 'notApplicablePlatform' ? 'notApplicable' : statusOfBucket[bucket],
          lastReportedDateTime: iso(row.lastReportedAt),
        };
      }),
      next: page.next,
    };
  }

  /** The profile's device overview: sums of the counter shards, the profile's current version. */
  async deviceOverview(tenantId: string, profileId: string): Promise<GraphDeviceOverview> {
    const profile = await this.#profileOrThrow(tenantId, profileId);
    const record = await this.#status.overview(tenantId, profileId, 'device');
    return { id: `${profileId}_DeviceOverview`, ...record.counts, lastUpdateDateTime: iso(record.lastUpdatedAt), configurationVersion: profile.version };
  }

  /** The profile's user overview: each user counted once, in their most urgent bucket. */
  async userOverview(tenantId: string, profileId: string): Promise<GraphUserOverview> {
    const profile = await this.#profileOrThrow(tenantId, profileId);
    const record = await this.#status.overview(tenantId, profileId, 'user');
    const { notApplicablePlatformCount: _deviceOnly, ...counts } = record.counts;
    return { id: `${profileId}_UserOverview`, ...counts, lastUpdateDateTime: iso(record.lastUpdatedAt), configurationVersion: profile.version };
  }

  /** `managedDevices/{id}/deviceConfigurationStates`: every profile Envelope has a row for on the device, kept and removed ones included. */
  async deviceConfigurationStates(tenantId: string, deviceId: string): Promise<GraphDeviceConfigurationState[]> {
    if ((await this.#devices.get(tenantId, deviceId)) === null) throw notFound('Managed device', deviceId);
    const now = this.#now();
    return (await this.#status.deviceStates(tenantId, deviceId)).map((row) => {
      const status = deliveryStatusOf(row, now, this.#stuckAfterMs);
      return {
        id: `${deviceId}_${row.profileId}`,
        displayName: row.displayName,
        platformType: platformTypeOfFamily[targetPlatformOf(row.odataType)],
        // Envelope reports per profile, not per setting (no settingStates).
        settingCount: 0,
        settingStates: [],
        state: status.status,
        version: row.installed?.version ?? row.targetVersion ?? 0,
        userId: row.userId,
        userPrincipalName: row.userPrincipalName,
        reasonCode: status.reasonCode,
        adminMessage: status.adminMessage,
        endUserMessage: status.endUserMessage,
      };
    });
  }

  async deviceStateSummary(tenantId: string): Promise<GraphDeviceStateSummary> {
    const { counts } = await this.#status.tenantDeviceSummary(tenantId);
    return summaryOf(counts);
  }

  #deviceStatus(row: DeviceStatusRecord, now: number): GraphDeviceStatus {
    const status = deliveryStatusOf(row, now, this.#stuckAfterMs);
    return {
      id: `${row.profileId}_${row.deviceId}`,
      deviceDisplayName: row.deviceName,
      userName: row.userDisplayName,
      userPrincipalName: row.userPrincipalName,
      deviceModel: row.deviceModel,
      platform: platformValueOf(row.operatingSystem, row.androidManagementMode),
      complianceGracePeriodExpirationDateTime: graphNever,
      status: status.status,
      lastReportedDateTime: iso(status.lastReportedAt),
      reasonCode: status.reasonCode,
      adminMessage: status.adminMessage,
      endUserMessage: status.endUserMessage,
      attempts: row.attempts,
      verifiedDateTime: row.state === 'verified' ? new Date(row.stateChangedAt).toISOString() : null,
      stuck: status.stuck,
      waitingForUser: status.waitingForUser,
    };
  }

  async #profileOrThrow(tenantId: string, profileId: string): Promise<{ version: number }> {
    const profile = await this.#profiles.get(tenantId, profileId);
    if (profile === null) throw notFound('Device configuration', profileId);
    return profile;
  }
}

function summaryOf(counts: OverviewRecord['counts']): GraphDeviceStateSummary {
  return {
    unknownDeviceCount: counts.pendingCount,
    notApplicableDeviceCount: counts.notApplicableCount,
    compliantDeviceCount: counts.successCount,
    // Delivery never produces remediated (compliance policies do).
    remediatedDeviceCount: 0,
    nonCompliantDeviceCount: counts.failedCount,
    errorDeviceCount: counts.errorCount,
    conflictDeviceCount: counts.conflictCount,
  };
}
