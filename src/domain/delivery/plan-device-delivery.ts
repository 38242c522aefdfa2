import { isEmailProfileType, platformFamilyOf, profileKindOf, type ProfileType } from '../profiles/profile-types.ts';
import { certificatesTravelInsideProfile, hasEnvelopeAccountId, replacesOnUserChange } from './account-change-rules.ts';
import { accountIdFor, deliveryCommandId } from './command-id.ts';
import type { DeliveryReasonCode } from './delivery-reason.ts';
import { kindRankOf, type DesiredEntry } from './desired-set.ts';
import {
  isInFlight,
  type DeliveredSnapshot,
  type DeliveryOperationKind,
  type LedgerRow,
  type LedgerState,
  type UserPrompt,
} from './ledger-row.ts';

export interface PlanContext {
  deviceId: string;
  /** Epoch ms; the injected clock. */
  now: number;
  /** The deployment's UUID namespace (16 bytes, `uuidBytes(config)`), for command and account ids. */
  uuidNamespace: Uint8Array;
  /**
   * SPEC §6 and the seed documents: unassigning the only email profile on a device does not remove
   * it. Default true; false follows current Intune, which removes it anyway.
   */
  keepOnlyEmailProfile?: boolean;
}

/** One command to queue, in plan order. */
export interface PlannedOperation {
  kind: DeliveryOperationKind;
  profileId: string;
  odataType: ProfileType;
  /** The version installed or updated to; for a remove, the version being removed. */
  version: number;
  commandId: string;
  /** Replace only: the id of its removal half, for channels that send two commands. */
  removeCommandId: string | null;
  generation: number;
  reasonCode: DeliveryReasonCode;
  message: string;
  /**
   * The same command as before (sent, never acknowledged), offered again with the same id: the
   * store enqueues it with `ON CONFLICT DO NOTHING` and does not count an attempt. The Windows
   * channel should `Get` the account node before re-sending an `Add` (re-adding a live account
   * deletes it).
   */
  reoffer: boolean;
  /** The device will ask the user to act when it applies this operation. */
  userPrompt: UserPrompt | null;
  /** Install/update/replace: what to put on the device. Remove: what to remove (user, account id). */
  target: DeliveredSnapshot;
  /** Replace: the account to delete first. */
  previous: DeliveredSnapshot | null;
}

export interface PlanDecision {
  profileId: string;
  /** The operation to queue, or null for none. */
  operation: PlannedOperation | null;
  /** The ledger row to persist in the same transaction as the queued command. */
  row: LedgerRow;
  /** False when `row` is the ledger's row unchanged (nothing to write). */
  changed: boolean;
}

export interface DeliveryPlan {
  /**
   * Commands in queue order: removals first — email accounts before the certificates they used —
   * then installs, updates and replaces — trusted roots, then identity certificates, then email
   * profiles. Removing first also frees an account identity a newly assigned profile takes over
   * (on iOS an install beside an equal account fails as a duplicate).
   */
  operations: PlannedOperation[];
  /** One per profile of the desired set or the ledger, desired ones first. */
  decisions: PlanDecision[];
}

/**
 * Reconciles one device: its desired set (`computeDesiredSet`) against its ledger rows. Pure; the
 * caller persists `decisions[].row` and enqueues `operations` in one transaction. Running it again
 * on the unchanged inputs yields the same command ids (a crashed reconcile repeats itself safely).
 *
 * Per desired profile:
 * - not `deliver` → no operation; the row takes the outcome's state and reason. In particular a
 *   profile already installed that becomes a conflict stays installed at its version (nothing is
 *   sent or removed for either side) until the admin resolves the conflict.
 * - `deliver`, but a certificate it needs is not yet on the device (platforms where certificates
 *   are installed first) → `waitingForDependency`, no operation.
 * - in both cases a command already on its way is not withdrawn (that would race with the device
 *   fetching it): it is re-offered until its result arrives, and the outcome applies at the next plan.
 * - the same target (version and render key) as the current operation: in flight → re-offered with
 *   the same id (a new id on an admin resend); failed → retried when `nextAttemptAt` has come, at
 *   once on an admin resend, never automatically for a terminal error; installed → nothing.
 * - a new target: `install` when nothing is on the device; `replace` when the primary user changed
 *   or the account cannot change in place (`recreateKeyOf`); otherwise `update` in place, keeping the
 *   installed account id, marked `reenterPassword` when the iOS prompt key changed.
 * Per ledger row no longer desired (unassigned, or the profile was deleted): `remove`, except
 * - the only email profile left on the device (none other on it or being installed, none other
 *   staying) → `kept`, when `keepOnlyEmailProfile`; of two unassigned at once, the one with the
 *   greater id is removed first and the other kept, as if unassigned one after the other;
 * - a certificate that an email or SCEP profile staying on the device uses → `kept`.
 * A removal in flight is re-offered, a failed one retried like any other operation.
 */
export function planDeviceDelivery(desired: readonly DesiredEntry[], ledger: readonly LedgerRow[], ctx: PlanContext): DeliveryPlan {
  const rows = new Map<string, LedgerRow>();
  for (const row of ledger) rows.set(row.profileId, row);
  const decisions: PlanDecision[] = [];
  const installs: PlannedOperation[] = [];
  const desiredById = new Map<string, DesiredEntry>();
  for (const entry of desired) desiredById.set(entry.profileId, entry);
  for (const entry of desired) {
    const decision = planDesiredRenamed(entry, rows.get(entry.profileId), rows, desiredById, ctx);
    decisions.push(decision);
    if (decision.operation !== null) installs.push(decision.operation);
  }

  const leftovers = ledger.filter((row) => !desiredById.has(row.profileId)).sort(compareRemovalOrder);
  const removing = new Set<string>();
  for (const row of leftovers) if (row.operation === 'remove' && row.state !== 'removed') removing.add(row.profileId);
  const removals: PlannedOperation[] = [];
  for (const row of leftovers) {
    const keep = row.installed === null || removing.has(row.profileId) ? null : keepReason(row, ledger, removing, installs, ctx);
    const decision = planLeftover(row, keep, ctx);
    decisions.push(decision);
    if (decision.operation !== null) {
      removals.push(decision.operation);
      removing.add(row.profileId);
    }
  }
  return { operations: [...removals, ...installs], decisions };
}

/** `planDesired` on a row carrying the profile's current display name (admins rename profiles). */
function planDesiredRenamed(
  entry: DesiredEntry,
  row: LedgerRow | undefined,
  rows: ReadonlyMap<string, LedgerRow>,
  desiredById: ReadonlyMap<string, DesiredEntry>,
  ctx: PlanContext,
): PlanDecision {
  if (row === undefined || row.displayName === entry.displayName) return planDesired(entry, row, rows, desiredById, ctx);
  const renamed = { ...row, displayName: entry.displayName };
  const decision = planDesired(entry, renamed, rows, desiredById, ctx);
  return decision.row === renamed ? { ...decision, changed: true } : decision;
}

function planDesired(
  entry: DesiredEntry,
  row: LedgerRow | undefined,
  rows: ReadonlyMap<string, LedgerRow>,
  desiredById: ReadonlyMap<string, DesiredEntry>,
  ctx: PlanContext,
): PlanDecision {
  const waitingFor =
    entry.outcome === 'deliver' && !certificatesTravelInsideProfile(entry.odataType)
      ? entry.dependencies.filter((dependency) => rows.get(dependency.profileId)?.installed == null)
      : [];
  if ((entry.outcome !== 'deliver' || waitingFor.length > 0) && row !== undefined && isInFlight(row)) {
    // Not withdrawn: a withdrawal would race with the device fetching the command. It is offered
    // until its result arrives; the new outcome applies at the next plan.
    return reoffer(row, ctx);
  }
  if (entry.outcome !== 'deliver') {
    return settle(entry, row, entry.outcome, entry.reasonCode ?? 'notAssigned', entry.message ?? '', ctx);
  }
  if (waitingFor.length > 0) {
    const names = waitingFor.map((d) => `'${desiredById.get(d.profileId)?.displayName ?? d.profileId}' (${d.role})`).join(', ');
    return settle(entry, row, 'waitingForDependency', 'waitingForCertificate',
      `Waiting for ${names} to be installed on the device first; '${entry.displayName}' follows automatically.`, ctx);
  }

  const target = row?.target ?? null;
  if (row !== undefined && target !== null && row.operation !== null && row.operation !== 'remove' && sameTarget(target, entry)) {
    if (isInFlight(row)) {
      return row.resendRequested ? reissue(row, row.operation, 'adminResend', ctx) : reoffer(row, ctx);
    }
    // Only a failure the device reported is retried; an error or conflict the desired set decided
    // (no primary user, two profiles) is over once the entry is `deliver` again.
    if (row.reasonCode === 'deliveryFailed' || row.reasonCode === 'duplicateAccount') {
      if (row.resendRequested) return reissue(row, row.operation, 'adminResend', ctx);
      if (row.nextAttemptAt !== null && ctx.now >= row.nextAttemptAt) {
        return reissue(row, row.operation, 'retrying', ctx);
      }
      return unchanged(row);
    }
  }
  const installed = row?.installed ?? null;
  if (row !== undefined && installed !== null && sameTarget(installed, entry)) {
    if (row.state === 'succeeded' || row.state === 'verified') return unchanged(row, { resendRequested: false });
    return changeRow(row, { state: 'succeeded', reasonCode: 'upToDate', message: `Version ${entry.version} is on the device.`, stateChangedAt: ctx.now, resendRequested: false });
  }
  return newOperation(entry, row, ctx);
}

function newOperation(entry: DesiredEntry, row: LedgerRow | undefined, ctx: PlanContext): PlanDecision {
  const installed = row?.installed ?? null;
  const incarnation = row?.accountIncarnation ?? 0;
  const accountId = (incarnationOfAccount: number): string | null =>
    hasEnvelopeAccountId(entry.odataType) ? accountIdFor(ctx.uuidNamespace, ctx.deviceId, entry.profileId, incarnationOfAccount) : null;
  const snapshot = (accountId: string | null): DeliveredSnapshot => ({
    version: entry.version,
    renderKey: entry.renderKey,
    userId: entry.userId,
    identityKey: entry.identityKey,
    recreateKey: entry.recreateKey,
    promptKey: entry.promptKey,
    dependencyProfileIds: entry.dependencies.map((d) => d.profileId),
    accountId,
  });
  const base = row ?? newRow(entry, ctx);
  if (installed === null) {
    const op = { kind: 'install' as const, reasonCode: 'newAssignment' as const, message: `Install '${entry.displayName}' version ${entry.version}.` };
    return issue(base, op, snapshot(accountId(incarnation)), null, 1, incarnation, null, ctx);
  }
  const userChanged = installed.userId !== entry.userId && replacesOnUserChange(platformFamilyOf(entry.odataType));
  const mustRecreate = installed.recreateKey !== null && entry.recreateKey !== null && installed.recreateKey !== entry.recreateKey;
  if (userChanged || mustRecreate) {
    const message = userChanged
      ? `Replace '${entry.displayName}': the device's primary user changed; the previous user's account is removed, then the new one installed.`
      : `Replace '${entry.displayName}': ${recreateExplanation(entry.odataType)} The old account is deleted, then created again under a new id.`;
    const op = { kind: 'replace' as const, reasonCode: userChanged ? ('primaryUserChanged' as const) : ('accountMustBeRecreated' as const), message };
    const prompt: UserPrompt | null = entry.kind === 'email' && !entry.dependencies.some((d) => d.role === 'identityCertificate') ? 'reenterPassword' : null;
    const next = snapshot(accountId(incarnation + 1));
    return issue(base, op, next, installed, 1, incarnation + 1, prompt, ctx);
  }
  const reasonCode: DeliveryReasonCode =
    installed.version !== entry.version ? 'profileUpdated' : userPart(installed.renderKey) !== userPart(entry.renderKey) ? 'userValuesChanged' : 'certificateUpdated';
  const message =
    reasonCode === 'profileUpdated'
      ? `Update '${entry.displayName}' in place from version ${installed.version} to ${entry.version}.`
      : reasonCode === 'userValuesChanged'
        ? `Update '${entry.displayName}' in place: the user's directory values changed.`
        : `Update '${entry.displayName}' in place: a certificate it carries changed.`;
  const prompt: UserPrompt | null = installed.promptKey !== null && entry.promptKey !== installed.promptKey ? 'reenterPassword' : null;
  return issue(base, { kind: 'update', reasonCode, message }, snapshot(installed.accountId), null, 1, incarnation, prompt, ctx);
}

function recreateExplanation(type: ProfileType): string {
  return platformFamilyOf(type) === 'knox'
    ? 'the email address changed, and Knox keys accounts by address, so updating would add a second account.'
    : 'the user name changed, and Windows cannot change it on an account that has synced.';
}

/** The renderKey without the embedded-certificate part. */
function userPart(renderKey: string): string {
  const at = renderKey.indexOf('|certificates:');
  return at === -1 ? renderKey : renderKey.slice(0, at);
}

function sameTarget(snapshot: DeliveredSnapshot, entry: DesiredEntry): boolean {
  return snapshot.version === entry.version && snapshot.renderKey === entry.renderKey;
}

function keepReason(row: LedgerRow, ledger: readonly LedgerRow[], removing: ReadonlySet<string>, installs: readonly PlannedOperation[], ctx: PlanContext): { code: DeliveryReasonCode; message: string } | null {
  const stays = (other: LedgerRow) => other !== row && other.installed !== null && !removing.has(other.profileId);
  if (isEmailProfileType(row.odataType)) {
    if (ctx.keepOnlyEmailProfile === false) return null;
    const otherEmail =
      ledger.some((other) => stays(other) && isEmailProfileType(other.odataType)) ||
      installs.some((op) => op.profileId !== row.profileId && isEmailProfileType(op.odataType));
    if (otherEmail) return null;
    return {
      code: 'onlyEmailProfile',
      message: `'${row.displayName}' is no longer assigned to this device but stays: it is the only email profile on the device, and unassigning does not remove the last one. Assign another email profile, or retire the device, to remove it.`,
    };
  }
  const user = ledger.find((other) => stays(other) && other.installed?.dependencyProfileIds.includes(row.profileId));
  if (user === undefined) return null;
  return {
    code: 'certificateInUse',
    message: `'${row.displayName}' is no longer assigned to this device but stays: '${user.displayName}' on the device still uses it.`,
  };
}

function planLeftover(row: LedgerRow, keep: { code: DeliveryReasonCode; message: string } | null, ctx: PlanContext): PlanDecision {
  if (row.operation === 'remove' && row.target !== null) {
    if (isInFlight(row)) return row.resendRequested ? reissue(row, 'remove', 'adminResend', ctx) : reoffer(row, ctx);
    if (row.state === 'error' && row.reasonCode === 'deliveryFailed') {
      if (row.resendRequested) return reissue(row, 'remove', 'adminResend', ctx);
      if (row.nextAttemptAt !== null && ctx.now >= row.nextAttemptAt) return reissue(row, 'remove', 'retrying', ctx);
      return unchanged(row);
    }
    if (row.installed === null) return unchanged(row);
  }
  // With an install, update or replace on its way, remove what it puts there: queued after it, the
  // removal runs last (after a replace, the new account is the one left to delete).
  const onDevice = isInFlight(row) ? row.target : row.installed;
  if (onDevice === null) {
    if (row.state === 'removed') return unchanged(row);
    return changeRow(row, { state: 'removed', reasonCode: 'notAssigned', message: `'${row.displayName}' is no longer assigned to this device; nothing of it is on the device.`, stateChangedAt: ctx.now, userPrompt: null, resendRequested: false });
  }
  if (keep !== null) {
    if (row.state === 'kept' && row.reasonCode === keep.code) return unchanged(row);
    return changeRow(row, { state: 'kept', reasonCode: keep.code, message: keep.message, stateChangedAt: ctx.now, resendRequested: false });
  }
  const op = { kind: 'remove' as const, reasonCode: 'notAssigned' as const, message: `Remove '${row.displayName}' version ${onDevice.version}: no longer assigned to this device.` };
  return issue(row, op, onDevice, null, 1, row.accountIncarnation, null, ctx);
}

function issue(
  row: LedgerRow,
  op: { kind: DeliveryOperationKind; reasonCode: DeliveryReasonCode; message: string },
  target: DeliveredSnapshot,
  previous: DeliveredSnapshot | null,
  attempts: number,
  accountIncarnation: number,
  userPrompt: UserPrompt | null,
  ctx: PlanContext,
): PlanDecision {
  const generation = row.generation + 1;
  const operation = buildOperation(row, op.kind, target, previous, generation, op.reasonCode, op.message, false, userPrompt, ctx);
  const next: LedgerRow = {
    ...row,
    state: 'pending',
    reasonCode: op.reasonCode,
    message: op.message,
    operation: op.kind,
    commandId: operation.commandId,
    generation,
    attempts,
    target,
    accountIncarnation,
    lastError: attempts === 1 ? null : row.lastError,
    nextAttemptAt: null,
    resendRequested: false,
    userPrompt,
    stateChangedAt: ctx.now,
  };
  return { profileId: row.profileId, operation, row: next, changed: true };
}

/** The current operation again under a new generation: a retry or an admin resend. */
function reissue(row: LedgerRow, kind: DeliveryOperationKind, reasonCode: 'retrying' | 'adminResend', ctx: PlanContext): PlanDecision {
  const target = row.target as DeliveredSnapshot;
  const what = `the ${kind} of '${row.displayName}' version ${target.version}`;
  const message =
    reasonCode === 'adminResend'
      ? `Resend ${what} on the admin's request.`
      : `Retry ${what} (attempt ${row.attempts + 1}) after: ${row.lastError?.message ?? 'no result'}.`;
  const previous = kind === 'replace' ? row.installed : null;
  return issue(row, { kind, reasonCode, message }, target, previous, row.attempts + 1, row.accountIncarnation, row.userPrompt, ctx);
}

/** The in-flight command offered again under its own id; the row does not change. */
function reoffer(row: LedgerRow, ctx: PlanContext): PlanDecision {
  const kind = row.operation as DeliveryOperationKind;
  const target = row.target as DeliveredSnapshot;
  const message = `Offer the ${kind} of '${row.displayName}' version ${target.version} again: sent, not yet acknowledged.`;
  const previous = kind === 'replace' ? row.installed : null;
  const operation = buildOperation(row, kind, target, previous, row.generation, 'awaitingAcknowledgement', message, true, row.userPrompt, ctx);
  return { profileId: row.profileId, operation, row, changed: false };
}

function buildOperation(
  row: LedgerRow,
  kind: DeliveryOperationKind,
  target: DeliveredSnapshot,
  previous: DeliveredSnapshot | null,
  generation: number,
  reasonCode: DeliveryReasonCode,
  message: string,
  reoffer: boolean,
  userPrompt: UserPrompt | null,
  ctx: PlanContext,
): PlannedOperation {
  const ids = { deviceId: ctx.deviceId, profileId: row.profileId, version: target.version, generation };
  return {
    kind,
    profileId: row.profileId,
    odataType: row.odataType,
    version: target.version,
    commandId: deliveryCommandId(ctx.uuidNamespace, { ...ids, operation: kind }),
    removeCommandId: kind === 'replace' ? deliveryCommandId(ctx.uuidNamespace, { ...ids, operation: 'replaceRemove' }) : null,
    generation,
    reasonCode,
    message,
    reoffer,
    userPrompt,
    target,
    previous,
  };
}

function settle(entry: DesiredEntry, row: LedgerRow | undefined, state: LedgerState, reasonCode: DeliveryReasonCode, message: string, ctx: PlanContext): PlanDecision {
  const base = row ?? newRow(entry, ctx);
  return changeRow(base, { state, reasonCode, message, displayName: entry.displayName, stateChangedAt: base.state === state ? base.stateChangedAt : ctx.now, resendRequested: false }, row === undefined);
}

function newRow(entry: DesiredEntry, ctx: PlanContext): LedgerRow {
  return {
    deviceId: ctx.deviceId,
    profileId: entry.profileId,
    odataType: entry.odataType,
    displayName: entry.displayName,
    state: 'pending',
    reasonCode: 'newAssignment',
    message: '',
    operation: null,
    commandId: null,
    generation: 0,
    attempts: 0,
    target: null,
    installed: null,
    accountIncarnation: 0,
    lastError: null,
    nextAttemptAt: null,
    resendRequested: false,
    userPrompt: null,
    stateChangedAt: ctx.now,
    lastReportedAt: null,
  };
}

function unchanged(row: LedgerRow, patch?: Partial<LedgerRow>): PlanDecision {
  return patch === undefined ? { profileId: row.profileId, operation: null, row, changed: false } : changeRow(row, patch);
}

/** `row` with `patch` applied; the same object (changed: false) when every patched field is already equal. */
function changeRow(row: LedgerRow, patch: Partial<LedgerRow>, isNew = false): PlanDecision {
  let differs = isNew;
  for (const key of Object.keys(patch) as (keyof LedgerRow)[]) {
    if (row[key] !== patch[key]) differs = true;
  }
  return differs ? { profileId: row.profileId, operation: null, row: { ...row, ...patch }, changed: true } : { profileId: row.profileId, operation: null, row, changed: false };
}

/** Email profiles first, then identity certificates, then trusted roots (the reverse of delivery order); by id, greater first. */
function compareRemovalOrder(a: LedgerRow, b: LedgerRow): number {
  return kindRankOf(profileKindOf(b.odataType)) - kindRankOf(profileKindOf(a.odataType)) || (a.profileId < b.profileId ? 1 : a.profileId > b.profileId ? -1 : 0);
}
