import { isEmailProfileType, profileKindOf } from '../profiles/profile-types.ts';
import type { DeliveryReasonCode } from './delivery-reason.ts';
import { kindRankOf } from './desired-set.ts';
import { isInFlight, type LedgerRow } from './ledger-row.ts';
import { changeRow, issue, reissue, reoffer, unchanged, type PlanContext, type PlanDecision, type PlannedOperation } from './planned-operation.ts';

/** Why a profile that is no longer assigned stays on the device. */
export interface KeepReason {
  code: DeliveryReasonCode;
  message: string;
}

/**
 * Why a no-longer-assigned `row` stays on the device, or null when it goes. An email profile stays
 * when no other email profile stays on the device or is being installed in this plan (`removing`
 * holds what this plan already removes; rows are visited in removal order). A certificate stays
 * while a profile remaining on the device uses it (`installed.dependencyProfileIds`).
 */
export function keepReason(row: LedgerRow, ledger: readonly LedgerRow[], removing: ReadonlySet<string>, installs: readonly PlannedOperation[], ctx: PlanContext): KeepReason | null {
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

/**
 * The decision for a row no longer desired: re-offer or retry a removal on its way, mark a row
 * with nothing on the device `removed`, keep it (`keep`), or remove what is (or is about to be) on
 * the device.
 */
export function planLeftover(row: LedgerRow, keep: KeepReason | null, ctx: PlanContext): PlanDecision {
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

/** Email profiles first, then identity certificates, then trusted roots (the reverse of delivery order); by id, greater first. */
export function compareRemovalOrder(a: LedgerRow, b: LedgerRow): number {
  return kindRankOf(profileKindOf(b.odataType)) - kindRankOf(profileKindOf(a.odataType)) || (a.profileId < b.profileId ? 1 : a.profileId > b.profileId ? -1 : 0);
}
