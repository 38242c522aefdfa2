import type { ComplianceStatus } from './delivery-status.ts';

/**
 * Graph's per-profile overview counters (`deviceConfigurationDeviceOverview`,
 * `deviceConfigurationUserOverview`, intune-email-model §7). `notApplicablePlatformCount` (beta,
 * device overview only) counts the not-applicable rows whose reason is a platform mismatch; Envelope
 * reads it as a subset of `notApplicableCount` [inferred: Graph does not say].
 */
export const overviewCounters = [
  'pendingCount',
  'notApplicableCount',
  'notApplicablePlatformCount',
  'successCount',
  'errorCount',
  'failedCount',
  'conflictCount',
] as const;
export type OverviewCounter = (typeof overviewCounters)[number];
export type OverviewCounts = Record<OverviewCounter, number>;

/** The bucket one status row is counted in; `notApplicablePlatform` is a not-applicable row due to platform. */
export const overviewBuckets = ['pending', 'notApplicable', 'notApplicablePlatform', 'success', 'error', 'failed', 'conflict'] as const;
export type OverviewBucket = (typeof overviewBuckets)[number];

/** One (profile, device) status row as counted: its Graph status and reason code; null = no row. */
export interface CountedStatus {
  status: ComplianceStatus;
  reasonCode: string;
}

/** Per (profile, user): how many of the user's device rows sit in each bucket. The store keeps one per pair. */
export type UserDeviceTally = Readonly<Partial<Record<OverviewBucket, number>>>;

export interface CountDeltas {
  /** Changes to the profile's device overview (non-zero counters only). */
  device: Partial<OverviewCounts>;
  /** Changes to the profile's user overview (non-zero counters only; never `notApplicablePlatformCount`). */
  user: Partial<OverviewCounts>;
  /** Changes to the (profile, user) tally (non-zero buckets only). */
  userTally: Partial<Record<OverviewBucket, number>>;
}

/**
 * The bucket of a status (Intune's UI mapping, intune-email-model §7 [inferred]): `unknown` →
 * pending; `compliant`/`remediated` → success; `nonCompliant` → failed; `error`, `conflict`,
 * `notApplicable` as named; `notAssigned` (kept, removed) and no row → not counted.
 */
export function overviewBucketOf(row: CountedStatus | null): OverviewBucket | null {
  if (row === null) return null;
  switch (row.status) {
    case 'unknown':
      return 'pending';
    case 'compliant':
    case 'remediated':
      return 'success';
    case 'nonCompliant':
      return 'failed';
    case 'error':
      return 'error';
    case 'conflict':
      return 'conflict';
    case 'notApplicable':
      return row.reasonCode === 'platformMismatch' ? 'notApplicablePlatform' : 'notApplicable';
    case 'notAssigned':
      return null;
  }
}

/**
 * A user's status for a profile rolls up their devices' rows: the most urgent bucket wins — error,
 * conflict, failed, pending, success, not applicable (a user is a success only when every counted
 * device is) [inferred: Intune shows a status per user without documenting the roll-up].
 */
const userPrecedence: readonly OverviewBucket[] = ['error', 'conflict', 'failed', 'pending', 'success', 'notApplicable', 'notApplicablePlatform'];

export function userBucketOf(tally: UserDeviceTally): OverviewBucket | null {
  for (const bucket of userPrecedence) {
    if ((tally[bucket] ?? 0) > 0) return bucket === 'notApplicablePlatform' ? 'notApplicable' : bucket;
  }
  return null;
}

const deviceCountersOf: Record<OverviewBucket, readonly OverviewCounter[]> = {
  pending: ['pendingCount'],
  notApplicable: ['notApplicableCount'],
  notApplicablePlatform: ['notApplicableCount', 'notApplicablePlatformCount'],
  success: ['successCount'],
  error: ['errorCount'],
  failed: ['failedCount'],
  conflict: ['conflictCount'],
};
const userCounterOf: Record<OverviewBucket, OverviewCounter> = {
  pending: 'pendingCount',
  notApplicable: 'notApplicableCount',
  notApplicablePlatform: 'notApplicableCount',
  success: 'successCount',
  error: 'errorCount',
  failed: 'failedCount',
  conflict: 'conflictCount',
};

/**
 * What one status row's change does to the counters, so the store maintains the overviews with
 * `counter = counter + delta` in the transaction that writes the row, instead of scanning
 * 1,000,000 rows per read. `before`/`after` are the row's status before and after (null: the row
 * does not exist, or is not counted); `userTallyBefore` is the tally of the row's user for this
 * profile before the change. A row that moves to another user (the device's primary user changed)
 * is two changes: old user `before → null`, new user `null → after`.
 */
export function statusCountDeltas(before: CountedStatus | null, after: CountedStatus | null, userTallyBefore: UserDeviceTally): CountDeltas {
  const deltas: CountDeltas = { device: {}, user: {}, userTally: {} };
  const from = overviewBucketOf(before);
  const to = overviewBucketOf(after);
  if (from === to) return deltas;
  if (from !== null) {
    for (const counter of deviceCountersOf[from]) add(deltas.device, counter, -1);
    add(deltas.userTally, from, -1);
  }
  if (to !== null) {
    for (const counter of deviceCountersOf[to]) add(deltas.device, counter, 1);
    add(deltas.userTally, to, 1);
  }
  const tallyAfter: Partial<Record<OverviewBucket, number>> = { ...userTallyBefore };
  for (const [bucket, delta] of Object.entries(deltas.userTally) as [OverviewBucket, number][]) tallyAfter[bucket] = (tallyAfter[bucket] ?? 0) + delta;
  const userFrom = userBucketOf(userTallyBefore);
  const userTo = userBucketOf(tallyAfter);
  if (userFrom !== userTo) {
    if (userFrom !== null) add(deltas.user, userCounterOf[userFrom], -1);
    if (userTo !== null) add(deltas.user, userCounterOf[userTo], 1);
  }
  return deltas;
}

function add<K extends string>(target: Partial<Record<K, number>>, key: K, delta: number): void {
  const value = (target[key] ?? 0) + delta;
  if (value === 0) delete target[key];
  else target[key] = value;
}
