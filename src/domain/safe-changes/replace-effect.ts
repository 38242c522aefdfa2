import { computeDesiredSet, type AssignedProfile, type DeliveryDevice } from '../delivery/desired-set.ts';
import type { DeliveryReasonCode } from '../delivery/delivery-reason.ts';
import { isInFlight, type LedgerRow } from '../delivery/ledger-row.ts';
import { planDeviceDelivery } from '../delivery/plan-device-delivery.ts';

/** What happens to the old account on one device when its profile is replaced. */
export type OldAccountFate = 'remove' | 'kept' | 'none';

/** What happens to the new profile on one device. */
export type NewProfileFate = 'install' | 'blocked' | 'notApplicable' | 'none';

export interface ReplaceDeviceEffect {
  /** `remove`: the old account is removed (queued before the new install); `kept`: it stays (see `oldKeptReason`); `none`: nothing of it is on the device. */
  old: OldAccountFate;
  oldKeptReason: { code: DeliveryReasonCode; message: string } | null;
  /** `install`: the new profile goes on the device (now, or once its certificate is there); `blocked`: it cannot (see `blockedReason`). */
  new: NewProfileFate;
  blockedReason: { code: DeliveryReasonCode; message: string } | null;
}

/**
 * What replacing profile `oldId` by `replacement` (same targets, the old one unassigned) does on one
 * device, decided by the delivery core itself: the device's desired set after the replace
 * (`others` — every other profile assigned to it — plus the replacement where it is in scope) and
 * `planDeviceDelivery` against the device's ledger. Pure.
 *
 * The core plans removals before installs, so where the new profile is delivered the old account
 * is removed first in the same plan — on iOS a new host with the same address is another account,
 * on Knox the same address on two hosts would collide, on Android Enterprise the app's one managed
 * configuration is simply superseded; in each case the removal goes first and no conflict arises,
 * because the old profile is no longer desired. Where the new profile is blocked (a missing
 * attribute, a conflict with another profile, no primary user), the old account follows the normal
 * unassignment rules: it stays when it is the only email profile on the device (`kept`), so the user
 * is never left without mail because of a replace that cannot complete there.
 */
export function replaceDeviceEffect(
  device: DeliveryDevice,
  oldId: string,
  replacement: AssignedProfile | null,
  others: readonly AssignedProfile[],
  ledger: readonly LedgerRow[],
  ctx: { now: number; uuidNamespace: Uint8Array; keepOnlyEmailProfile: boolean },
): ReplaceDeviceEffect {
  const assigned = replacement === null ? others : [...others, replacement];
  const desired = computeDesiredSet(device, assigned);
  const entry = replacement === null ? undefined : desired.find((e) => e.profileId === replacement.id);
  const effect: ReplaceDeviceEffect = { old: 'none', oldKeptReason: null, new: 'none', blockedReason: null };
  if (entry !== undefined) {
    if (entry.outcome === 'deliver') effect.new = 'install';
    else if (entry.outcome === 'notApplicable') effect.new = 'notApplicable';
    else {
      effect.new = 'blocked';
      effect.blockedReason = { code: entry.reasonCode ?? 'notAssigned', message: entry.message ?? '' };
    }
  }
  const row = ledger.find((r) => r.profileId === oldId);
  const onDevice = row !== undefined && (row.installed !== null || (isInFlight(row) && row.operation !== 'remove'));
  if (!onDevice) return effect;
  const decision = planDeviceDelivery(desired, ledger, { deviceId: device.id, ...ctx }).decisions.find((d) => d.profileId === oldId);
  if (decision?.row.state === 'kept') {
    effect.old = 'kept';
    effect.oldKeptReason = { code: decision.row.reasonCode, message: decision.row.message };
  } else {
    effect.old = 'remove';
  }
  return effect;
}
