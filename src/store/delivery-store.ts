import type { AssignmentTarget } from '../domain/assignments/assignment-target.ts';
import type { ManagedDevice, DirectoryUser } from '../domain/directory.ts';
import type {
  ComplianceStatus,
  DeliveredSnapshot,
  DeliveryOperationKind,
  LedgerRow,
  OverviewBucket,
  OverviewCounts,
  PlannedOperation,
  UserPrompt,
} from '../domain/delivery/index.ts';
import type { Profile, ProfileType } from '../domain/profiles/index.ts';
import type { RolloutGate } from '../domain/safe-changes/rollout-gate.ts';

/**
 * What delivery persists (docs/decisions/0011): the ledger, the per-device command queue, the
 * overview counters and the epochs that say whether a device must be reconciled. One implementation
 * per backend (store/postgres/delivery-store.ts); the service asks only for this.
 *
 * Methods that change a device's rows expect the caller to hold the device's lock (`lockDevice`) in
 * the same transaction: that is what keeps two server processes from reconciling one device at once.
 */
export interface DeliveryStore {
  /**
   * The idle check-in test, one indexed read: true when the device must be reconciled (never seen,
   * stale, behind its tenant's epoch, a retry due at `now`) or has an active command. With
   * `contact`, the same statement records the device's `lastSyncDateTime` when the stored one is a
   * minute or more old (so an idle device writes at most once a minute, and no trigger fires).
   */
  needsCheckInWork(tenantId: string, deviceId: string, now: number, contact?: boolean): Promise<boolean>;
  /** Locks the device's delivery state (`FOR UPDATE`), creating it on first use; null when the device does not exist. */
  lockDevice(tenantId: string, deviceId: string): Promise<DeviceDeliveryLock | null>;
  /** The device, its primary user, their groups and the profiles whose `apply` assignments could reach it. */
  reconcileInput(tenantId: string, deviceId: string): Promise<ReconcileInput | null>;
  ledgerRows(tenantId: string, deviceId: string): Promise<StoredLedgerRow[]>;
  ledgerRow(tenantId: string, deviceId: string, profileId: string): Promise<StoredLedgerRow | null>;
  /** Inserts or replaces ledger rows (with how they are counted now). */
  writeLedgerRows(tenantId: string, rows: readonly StoredLedgerRow[], now: number): Promise<void>;
  /**
   * Enqueues operations in plan order with `ON CONFLICT (command id) DO NOTHING`; a new (not
   * re-offered) operation deactivates the profile's older active command on this device (superseded).
   */
  enqueue(tenantId: string, deviceId: string, operations: readonly PlannedOperation[], now: number): Promise<void>;
  /** Records a completed reconcile at `epoch` and the device's earliest automatic retry. */
  markReconciled(tenantId: string, deviceId: string, epoch: number, nextAttemptAt: number | null, now: number): Promise<void>;
  /** Recomputes the device's earliest automatic retry from its ledger rows. */
  refreshNextAttempt(tenantId: string, deviceId: string): Promise<void>;
  /**
   * The next command to hand out: the oldest active one (queue order), skipping NotNow'd ones when
   * `skipNotNow`, and sent ones whose send is more recent than `sentBefore` (a concurrent check-in's);
   * with `odataTypes`, only commands of those profile types.
   */
  nextCommand(tenantId: string, deviceId: string, options: { skipNotNow: boolean; sentBefore: number; odataTypes?: readonly ProfileType[] | null }): Promise<QueuedCommand | null>;
  command(commandId: string): Promise<QueuedCommand | null>;
  markCommandSent(commandId: string, now: number): Promise<void>;
  markCommandNotNow(commandId: string, now: number): Promise<void>;
  /** Every active command of the device leaves the queue as superseded (the device left management). */
  supersedeDeviceCommands(tenantId: string, deviceId: string, now: number): Promise<number>;
  /** Marks the device for a reconcile at its next check-in. */
  markStale(tenantId: string, deviceId: string): Promise<void>;
  /** A final result: the command leaves the active queue. */
  finishCommand(commandId: string, status: 'acknowledged' | 'failed', now: number): Promise<void>;
  /**
   * Adds bucket deltas to the tallies of these (profile, user) pairs (keyed by `tallyKey`; a missing
   * tally starts at zero), locking them in key order until the transaction ends, and returns each
   * tally as it is after the addition: one statement per pair.
   */
  addToUserTallies(tenantId: string, deltas: ReadonlyMap<string, Partial<Record<OverviewBucket, number>>>): Promise<Map<string, Record<OverviewBucket, number>>>;
  /** Adds counter deltas to one shard of each profile's device or user overview, in one statement. */
  addToOverview(tenantId: string, shard: number, deltas: readonly OverviewDelta[], now: number): Promise<void>;
  /**
   * Sets `resend_requested` on the profile's rows that match (device ids; Graph statuses `error`,
   * `conflict`; `stuck` = waiting since before `stuckBefore`) and marks their devices stale.
   * Returns the number of devices, or null when the profile does not exist in the tenant.
   */
  requestResend(tenantId: string, profileId: string, filter: ResendFilter): Promise<number | null>;
  /**
   * Devices whose next check-in has work: never reconciled, stale, behind the tenant's epoch, a retry
   * due, or an active command; keyset-paged by device id. Read-only — the push side wakes them.
   */
  devicesToWake(tenantId: string, now: number, afterDeviceId: string | null, limit: number): Promise<string[]>;
  /** Deletes inactive commands last changed before `before`; returns how many. */
  deleteFinishedCommands(before: number, limit: number): Promise<number>;
}

/** A ledger row as stored: the domain row plus how the overview counters count it now. */
export interface StoredLedgerRow extends LedgerRow {
  complianceStatus: ComplianceStatus;
  /** The user the row is tallied under (the device's primary user when last written). */
  countedUserId: string | null;
}

export interface DeviceDeliveryLock {
  tenantEpoch: number;
  reconciledEpoch: number;
  stale: boolean;
  nextAttemptAt: number | null;
  /** The device's primary user now (whom its rows are counted under). */
  userId: string | null;
}

export interface ReconcileInput {
  device: ManagedDevice;
  user: DirectoryUser | null;
  deviceGroupIds: string[];
  userGroupIds: string[];
  /** Candidate profiles (an `apply` assignment names all users/devices or one of the groups) with their `apply` targets. */
  profiles: { profile: Profile; targets: AssignmentTarget[] }[];
  /** The tenant's staged rollouts in force (decision 0029); their profiles are among `profiles` (targets may be empty). */
  rollouts: RolloutGate[];
}

export interface QueuedCommand {
  commandId: string;
  tenantId: string;
  deviceId: string;
  profileId: string;
  kind: DeliveryOperationKind;
  odataType: ProfileType;
  version: number;
  generation: number;
  removeCommandId: string | null;
  userPrompt: UserPrompt | null;
  target: DeliveredSnapshot;
  previous: DeliveredSnapshot | null;
  status: 'queued' | 'sent' | 'notNow' | 'acknowledged' | 'failed' | 'superseded';
  active: boolean;
  notNowCount: number;
}

export interface TallyKey {
  profileId: string;
  userId: string;
}

export interface OverviewDelta {
  profileId: string;
  kind: 'device' | 'user';
  counts: Partial<OverviewCounts>;
}

export interface ResendFilter {
  deviceIds: readonly string[] | null;
  statuses: readonly ('error' | 'conflict' | 'stuck')[] | null;
  stuckBefore: number;
}

export function tallyKey(key: TallyKey): string {
  return `${key.profileId}|${key.userId}`;
}
