import type { ProfileType } from '../profiles/profile-types.ts';
import { deliveryCommandId } from './command-id.ts';
import type { DeliveryReasonCode } from './delivery-reason.ts';
import type { DesiredEntry } from './desired-set.ts';
import type { DeliveredSnapshot, DeliveryOperationKind, LedgerRow, LedgerState, UserPrompt } from './ledger-row.ts';

/**
 * What a plan produces and the small steps that produce it: issuing, re-issuing and re-offering a
 * command, and settling a row in a state without one. Each returns the decision for one profile;
 * the rules that choose between them are in plan-device-delivery.ts and plan-removal.ts.
 */

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

/** A new command for `row` (next generation) and the row as it stands once the command is queued (`pending`). */
export function issue(
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
export function reissue(row: LedgerRow, kind: DeliveryOperationKind, reasonCode: 'retrying' | 'adminResend', ctx: PlanContext): PlanDecision {
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
export function reoffer(row: LedgerRow, ctx: PlanContext): PlanDecision {
  const kind = row.operation as DeliveryOperationKind;
  const target = row.target as DeliveredSnapshot;
  const message = `Offer the ${kind} of '${row.displayName}' version ${target.version} again: sent, not yet acknowledged.`;
  const previous = kind === 'replace' ? row.installed : null;
  const operation = buildOperation(row, kind, target, previous, row.generation, 'awaitingAcknowledgement', message, true, row.userPrompt, ctx);
  return { profileId: row.profileId, operation, row, changed: false };
}

/** The command for one operation; ids from `deliveryCommandId`, a replace also gets its removal half's id. */
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

/** The row put in a state without a command (an outcome of the desired set, or waiting); `stateChangedAt` moves only with the state. */
export function settle(entry: DesiredEntry, row: LedgerRow | undefined, state: LedgerState, reasonCode: DeliveryReasonCode, message: string, ctx: PlanContext): PlanDecision {
  const base = row ?? newRow(entry, ctx);
  return changeRow(base, { state, reasonCode, message, displayName: entry.displayName, stateChangedAt: base.state === state ? base.stateChangedAt : ctx.now, resendRequested: false }, row === undefined);
}

/** The row of a profile the ledger does not know yet, before its first command. */
export function newRow(entry: DesiredEntry, ctx: PlanContext): LedgerRow {
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

/** No operation; the row as it is, or with `patch` applied (see `changeRow`). */
export function unchanged(row: LedgerRow, patch?: Partial<LedgerRow>): PlanDecision {
  return patch === undefined ? { profileId: row.profileId, operation: null, row, changed: false } : changeRow(row, patch);
}

/** `row` with `patch` applied; the same object (changed: false) when every patched field is already equal. */
export function changeRow(row: LedgerRow, patch: Partial<LedgerRow>, isNew = false): PlanDecision {
  let differs = isNew;
  for (const key of Object.keys(patch) as (keyof LedgerRow)[]) {
    if (row[key] !== patch[key]) differs = true;
  }
  return differs ? { profileId: row.profileId, operation: null, row: { ...row, ...patch }, changed: true } : { profileId: row.profileId, operation: null, row, changed: false };
}
