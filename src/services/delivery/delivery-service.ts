import { resolveTargets } from '../../domain/assignments/resolve-targets.ts';
import {
  computeDesiredSet,
  deviceTargetingIndex,
  planDeviceDelivery,
  recordDeviceResult,
  targetPlatformOf,
  unenrolledRow,
  type AssignedProfile,
  type DeliveredSnapshot,
  type DeliveryError,
  type DeliveryOperationKind,
  type RetryPolicy,
  type UserPrompt,
} from '../../domain/delivery/index.ts';
import { notFound } from '../../domain/errors.ts';
import { applyRolloutGates } from '../../domain/safe-changes/rollout-gate.ts';
import type { ProfileType } from '../../domain/profiles/index.ts';
import type { DeliveryStore, DeviceDeliveryLock, QueuedCommand, ResendFilter, StoredLedgerRow } from '../../store/delivery-store.ts';
import { writeCountedRows } from './count-changes.ts';

/** What a device channel needs to render and send one command (payload bytes are rendered then, not stored). */
export interface DeliveryCommand {
  commandId: string;
  deviceId: string;
  profileId: string;
  odataType: ProfileType;
  kind: DeliveryOperationKind;
  version: number;
  generation: number;
  /** Replace only: the removal half's id, for channels that send two commands. */
  removeCommandId: string | null;
  userPrompt: UserPrompt | null;
  /** The user the payload is rendered for (null for trusted roots). */
  userId: string | null;
  target: DeliveredSnapshot;
  /** Replace: the account to delete first. */
  previous: DeliveredSnapshot | null;
}

/** What a channel renders from a queued command. */
export function deliveryCommandOf(command: QueuedCommand): DeliveryCommand {
  return {
    commandId: command.commandId,
    deviceId: command.deviceId,
    profileId: command.profileId,
    odataType: command.odataType,
    kind: command.kind,
    version: command.version,
    generation: command.generation,
    removeCommandId: command.removeCommandId,
    userPrompt: command.userPrompt,
    userId: command.target.userId,
    target: command.target,
    previous: command.previous,
  };
}

/** A device's answer to one command (the domain's `DeviceResult` without `fetched`, which `checkIn` records). */
export type DeliveryResult =
  | { kind: 'verified' | 'notNow' }
  | { kind: 'acknowledged'; note?: string }
  | { kind: 'failed'; error: DeliveryError };

export interface DeliveryOptions {
  /**
   * A command handed out but not answered is offered again after this long (a device that lost it
   * — crashed between fetch and result — gets the same id back). Meanwhile a concurrent check-in of
   * the same device gets the next command instead, so no command is handed out twice at once.
   */
  reofferSentAfterMs: number;
  /** A row waiting longer than this is `stuck` (status) and matches resend's `stuck`. */
  stuckAfterMs: number;
  keepOnlyEmailProfile: boolean;
  retryPolicy?: RetryPolicy;
}

export const defaultDeliveryOptions: Readonly<DeliveryOptions> = Object.freeze({
  reofferSentAfterMs: 60_000,
  stuckAfterMs: 24 * 60 * 60_000,
  keepOnlyEmailProfile: true,
});

interface Logger {
  warn(details: object, message: string): void;
}

/**
 * Delivery below the device channels (issue 7, docs/decisions/0011): a check-in reconciles the
 * device when something changed and hands out its next command; a device result moves the ledger.
 * Everything a device's transaction writes — ledger rows, counters, queue — commits together under
 * the device's lock, so several server processes can serve one device safely.
 */
export class DeliveryService {
  readonly #delivery: DeliveryStore;
  readonly #transact: <T>(fn: (store: DeliveryStore) => Promise<T>) => Promise<T>;
  readonly #uuidNamespace: Uint8Array;
  readonly #options: DeliveryOptions;
  readonly #log: Logger;
  readonly #now: () => number;

  constructor(deps: {
    delivery: DeliveryStore;
    transact: <T>(fn: (store: DeliveryStore) => Promise<T>) => Promise<T>;
    uuidNamespace: Uint8Array;
    options?: Partial<DeliveryOptions>;
    log?: Logger;
    /** Epoch ms, for admin actions (device paths take `now` from their channel). */
    now?: () => number;
  }) {
    this.#now = deps.now ?? Date.now;
    this.#delivery = deps.delivery;
    this.#transact = deps.transact;
    this.#uuidNamespace = deps.uuidNamespace;
    this.#options = { ...defaultDeliveryOptions, ...deps.options };
    this.#log = deps.log ?? { warn: () => undefined };
  }

  /**
   * A device checks in (`now`, epoch ms): returns its next command, or null when there is none.
   * When nothing is pending and nothing changed since its last reconcile, this is one read and no
   * write. Otherwise, in one transaction holding the device's lock: reconcile if the tenant's epoch
   * moved, the device is stale or a retry is due; then take the next active command (queue order;
   * with `skipNotNow` — the check-in carried a NotNow — NotNow'd commands wait for the next
   * check-in), mark it sent and its ledger row fetched. An unknown device gets null.
   *
   * The device's `lastSyncDateTime` moves to `now` (at most once a minute, in the idle read) unless
   * `deviceContact` is false: a channel that fetches commands on the device's behalf (a server-side
   * worker) passes false and records contact from what the device itself reports.
   */
  async checkIn(tenantId: string, deviceId: string, now: number, options: { skipNotNow?: boolean; deviceContact?: boolean } = {}): Promise<DeliveryCommand | null> {
    return this.#checkIn(tenantId, deviceId, now, options.skipNotNow === true, null, options.deviceContact !== false);
  }

  /**
   * `checkIn` for a channel that can take only some commands now: hands out the next command of one
   * of `odataTypes`; the others stay queued as they are (not fetched, no attempt counted) for a
   * later check-in. The Windows channel holds `./User` commands so while no user is logged in.
   */
  checkInFor(tenantId: string, deviceId: string, now: number, odataTypes: readonly ProfileType[]): Promise<DeliveryCommand | null> {
    return this.#checkIn(tenantId, deviceId, now, false, odataTypes, true);
  }

  async #checkIn(
    tenantId: string,
    deviceId: string,
    now: number,
    skipNotNow: boolean,
    odataTypes: readonly ProfileType[] | null,
    deviceContact: boolean,
  ): Promise<DeliveryCommand | null> {
    if (!(await this.#delivery.needsCheckInWork(tenantId, deviceId, now, deviceContact))) return null;
    return this.#transact(async (store) => {
      const lock = await store.lockDevice(tenantId, deviceId);
      if (lock === null) return null;
      // A reconcile leaves the device's ledger rows in hand: no need to read the command's row again.
      let rows: Map<string, StoredLedgerRow> | null = null;
      if (lock.stale || lock.reconciledEpoch < lock.tenantEpoch || (lock.nextAttemptAt !== null && lock.nextAttemptAt <= now)) {
        rows = await this.#reconcile(store, tenantId, deviceId, lock, now);
      }
      const command = await store.nextCommand(tenantId, deviceId, { skipNotNow, sentBefore: now - this.#options.reofferSentAfterMs, odataTypes });
      if (command === null) return null;
      await store.markCommandSent(command.commandId, now);
      const row = rows?.get(command.profileId) ?? (await store.ledgerRow(tenantId, deviceId, command.profileId));
      if (row !== null) {
        const fetched = recordDeviceResult(row, { kind: 'fetched', commandId: command.commandId }, now, this.#options.retryPolicy);
        if (fetched !== row) await writeCountedRows(store, tenantId, deviceId, [{ before: row, after: fetched, changed: true }], lock.userId, now);
      }
      return deliveryCommandOf(command);
    });
  }

  /**
   * Records a device's result for `commandId`. Idempotent: a repeated result changes nothing. A
   * result for a command Envelope does not know, or one of another device or tenant, is logged and
   * ignored (returns false) — never an error, so a channel never answers a device with a 500 for it.
   * A final result (acknowledged, failed) deactivates the command in the transaction that writes
   * the ledger row and the counters; NotNow only counts on the command. `known`: the command as the
   * channel already read it with `command()` (saves reading it again; its status is not trusted).
   */
  async recordResult(tenantId: string, deviceId: string, commandId: string, result: DeliveryResult, now: number, known?: QueuedCommand): Promise<boolean> {
    return this.#transact(async (store) => {
      const lock = await store.lockDevice(tenantId, deviceId);
      const command = lock === null ? null : known?.commandId === commandId ? known : await store.command(commandId);
      if (lock === null || command === null || command.tenantId !== tenantId || command.deviceId !== deviceId) {
        this.#log.warn({ tenantId, deviceId, commandId, result: result.kind }, 'delivery: result for an unknown command ignored');
        return false;
      }
      if (result.kind === 'notNow') {
        await store.markCommandNotNow(commandId, now);
        return true;
      }
      if (result.kind === 'acknowledged' || result.kind === 'failed') {
        await store.finishCommand(commandId, result.kind === 'acknowledged' ? 'acknowledged' : 'failed', now);
      }
      const row = await store.ledgerRow(tenantId, deviceId, command.profileId);
      if (row === null) return true;
      const next = recordDeviceResult(row, { ...result, commandId }, now, this.#options.retryPolicy);
      if (next !== row) {
        await writeCountedRows(store, tenantId, deviceId, [{ before: row, after: next, changed: true }], lock.userId, now);
        if (next.nextAttemptAt !== row.nextAttemptAt) await store.refreshNextAttempt(tenantId, deviceId);
      }
      return true;
    });
  }

  /** The queued command `commandId` of this device (any status), or null: what a channel maps a device answer with. */
  async command(tenantId: string, deviceId: string, commandId: string): Promise<QueuedCommand | null> {
    const command = await this.#delivery.command(commandId);
    return command !== null && command.tenantId === tenantId && command.deviceId === deviceId ? command : null;
  }

  /**
   * Applies a device inventory (Apple `ProfileList`, a Windows `Get`, an AMAPI report): each profile
   * the ledger says is on the device and settled (`succeeded`, `verified`) is `verified` when
   * `isPresent` finds it, else `missing` — it is then installed again at the device's next check-in,
   * under a new command id. Rows with an operation in flight are left alone. Returns the counts.
   */
  async verifyInventory(
    tenantId: string,
    deviceId: string,
    isPresent: (row: { profileId: string; odataType: ProfileType; installed: DeliveredSnapshot }) => boolean,
    now: number,
  ): Promise<{ verified: number; missing: number }> {
    return this.#transact(async (store) => {
      const lock = await store.lockDevice(tenantId, deviceId);
      if (lock === null) return { verified: 0, missing: 0 };
      const counts = { verified: 0, missing: 0 };
      const changes = [];
      for (const row of await store.ledgerRows(tenantId, deviceId)) {
        if (row.installed === null || row.commandId === null || row.operation === 'remove' || !(row.state === 'succeeded' || row.state === 'verified')) continue;
        const present = isPresent({ profileId: row.profileId, odataType: row.odataType, installed: row.installed });
        counts[present ? 'verified' : 'missing'] += 1;
        const next = recordDeviceResult(row, { kind: present ? 'verified' : 'missing', commandId: row.commandId }, now, this.#options.retryPolicy);
        if (next !== row) changes.push({ before: row, after: next, changed: true });
      }
      if (changes.length > 0) await writeCountedRows(store, tenantId, deviceId, changes, lock.userId, now);
      if (counts.missing > 0) await store.refreshNextAttempt(tenantId, deviceId);
      return counts;
    });
  }

  /**
   * The device left management (Apple `CheckOut`, Windows Alert 1226): its OS removed what Envelope
   * installed, so every ledger row becomes `removed` (`deviceUnenrolled`, out of the overviews) and
   * its commands leave the queue, in one transaction under the device's lock. The device is marked
   * for a reconcile should it ever check in again under the same id. Returns how many rows changed.
   */
  async deviceUnenrolled(tenantId: string, deviceId: string, now: number): Promise<number> {
    return this.#transact(async (store) => {
      const lock = await store.lockDevice(tenantId, deviceId);
      if (lock === null) return 0;
      await store.supersedeDeviceCommands(tenantId, deviceId, now);
      const changes = [];
      for (const row of await store.ledgerRows(tenantId, deviceId)) {
        const next = unenrolledRow(row, now);
        if (next !== row) changes.push({ before: row, after: next, changed: true });
      }
      if (changes.length > 0) await writeCountedRows(store, tenantId, deviceId, changes, lock.userId, now);
      await store.refreshNextAttempt(tenantId, deviceId);
      await store.markStale(tenantId, deviceId);
      return changes.length;
    });
  }

  /**
   * Admin resend of a profile: marks the matching rows (`deviceIds`; `statuses` error, conflict,
   * stuck — all three when omitted) for a new attempt and their devices for reconcile at their next
   * check-in. Returns the number of devices; nothing is rendered or queued here. 404 for a profile
   * not in the tenant.
   */
  async resend(tenantId: string, profileId: string, filter: { deviceIds?: readonly string[]; statuses?: readonly ('error' | 'conflict' | 'stuck')[] }): Promise<number> {
    const stuckBefore = this.#now() - this.#options.stuckAfterMs;
    const resendFilter: ResendFilter = { deviceIds: filter.deviceIds ?? null, statuses: filter.statuses ?? null, stuckBefore };
    const count = await this.#transact((store) => store.requestResend(tenantId, profileId, resendFilter));
    if (count === null) throw notFound('Device configuration', profileId);
    return count;
  }

  /**
   * Devices whose next check-in has work (changed desired set, retry due, queued command), in
   * device-id pages: what the push side wakes after a change. Read-only: an assignment change
   * writes one epoch row, never a row per device.
   */
  devicesToWake(tenantId: string, now: number, page: { after?: string | null; limit?: number } = {}): Promise<string[]> {
    return this.#delivery.devicesToWake(tenantId, now, page.after ?? null, page.limit ?? 1000);
  }

  /** Deletes answered and superseded commands older than `olderThanMs` (a batch at a time); returns how many. */
  collectFinishedCommands(now: number, olderThanMs: number, limit = 5000): Promise<number> {
    return this.#delivery.deleteFinishedCommands(now - olderThanMs, limit);
  }

  /** Returns the device's ledger rows as stored after the reconcile, by profile (null: the device is gone). */
  async #reconcile(store: DeliveryStore, tenantId: string, deviceId: string, lock: DeviceDeliveryLock, now: number): Promise<Map<string, StoredLedgerRow> | null> {
    const input = await store.reconcileInput(tenantId, deviceId);
    if (input === null) return null;
    const { device, user } = input;
    const resolverDevice = { id: device.id, operatingSystem: device.operatingSystem, androidManagementMode: device.androidManagementMode, userId: device.userId, groupIds: input.deviceGroupIds };
    const userGroupIds = new Map(device.userId === null ? [] : [[device.userId, input.userGroupIds]]);
    const assigned: AssignedProfile[] = [];
    // Staged rollouts in force: outside the reached rings, a device keeps the previous targets or version (decision 0029).
    const candidates = applyRolloutGates(input.profiles, input.rollouts, { id: deviceId, memberOf: [...input.deviceGroupIds, ...input.userGroupIds] });
    for (const { profile, targets } of candidates) {
      const verdict = deviceTargetingIndex(resolveTargets({ targetPlatform: targetPlatformOf(profile.odataType), targets, devices: [resolverDevice], userGroupIds })).get(deviceId);
      if (verdict === undefined) continue;
      assigned.push({ id: profile.id, displayName: profile.displayName, odataType: profile.odataType, version: profile.version, settings: profile.settings, links: profile.links, targeting: verdict });
    }
    const desired = computeDesiredSet(
      { id: device.id, operatingSystem: device.operatingSystem, osVersion: device.osVersion, androidManagementMode: device.androidManagementMode, primaryUser: user },
      assigned,
    );
    const stored = await store.ledgerRows(tenantId, deviceId);
    const byProfile = new Map(stored.map((row) => [row.profileId, row]));
    const plan = planDeviceDelivery(desired, stored, {
      deviceId,
      now,
      uuidNamespace: this.#uuidNamespace,
      keepOnlyEmailProfile: this.#options.keepOnlyEmailProfile,
    });
    const changes = plan.decisions.map((d) => ({ before: byProfile.get(d.profileId) ?? null, after: d.row, changed: d.changed }));
    const rows = await writeCountedRows(store, tenantId, deviceId, changes, device.userId, now);
    await store.enqueue(tenantId, deviceId, plan.operations, now);
    // Only future retries: a past one the plan did not act on (the profile is no longer deliverable)
    // must not make every check-in reconcile again.
    const retries = plan.decisions.map((d) => d.row.nextAttemptAt).filter((t): t is number => t !== null && t > now);
    await store.markReconciled(tenantId, deviceId, lock.tenantEpoch, retries.length === 0 ? null : Math.min(...retries), now);
    return rows;
  }
}
