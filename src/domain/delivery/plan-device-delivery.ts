import { platformFamilyOf, type ProfileType } from '../profiles/profile-types.ts';
import { certificatesTravelInsideProfile, hasEnvelopeAccountId, replacesOnUserChange } from './account-change-rules.ts';
import { accountIdFor } from './command-id.ts';
import type { DeliveryReasonCode } from './delivery-reason.ts';
import type { DesiredEntry } from './desired-set.ts';
import { isInFlight, type DeliveredSnapshot, type LedgerRow, type UserPrompt } from './ledger-row.ts';
import { compareRemovalOrder, keepReason, planLeftover } from './plan-removal.ts';
import { changeRow, issue, newRow, reissue, reoffer, settle, unchanged, type PlanContext, type PlanDecision, type PlannedOperation } from './planned-operation.ts';

export type { PlanContext, PlanDecision, PlannedOperation } from './planned-operation.ts';

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
