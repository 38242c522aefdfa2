import { isInFlight, type LedgerRow } from '../delivery/ledger-row.ts';
import { computeDesiredSet, type AssignedProfile, type DeliveryDevice, type DesiredEntry } from '../delivery/desired-set.ts';
import { planDeviceDelivery } from '../delivery/plan-device-delivery.ts';
import type { DeliveryReasonCode } from '../delivery/delivery-reason.ts';

/** What a proposed change does to the changed profile on one device (null: nothing it would see). */
export type ProfileChange = 'gain' | 'keep' | 'update' | 'lose' | 'kept';

/** A conflict between Envelope profiles that exists on the device after the change and did not before. */
export interface CreatedConflict {
  /** `ios|…`, `windows|…`, `knox|…` or `androidEnterprise|…`: the namespace of `conflictKeyOf`. */
  kind: string;
  /** Every profile of the colliding group, by id order. */
  profiles: { id: string; displayName: string }[];
  /** The desired set's message (names the profiles and the shared identity). */
  message: string;
}

export interface DeviceChangeEffect {
  change: ProfileChange | null;
  /** For `kept`: why the profile stays although it is no longer assigned (`onlyEmailProfile`, `certificateInUse`). */
  keptReason: { code: DeliveryReasonCode; message: string } | null;
  /** Conflicts that appear with the change (every group once). */
  conflictsCreated: CreatedConflict[];
  /** Whether a conflict the changed profile was in before is gone after. */
  conflictResolved: boolean;
  /** The desired set's message when the changed profile needs an attribute the device's user lacks, after the change. */
  missingAttribute: string | null;
  /** The changed profile is in scope after the change but the device has no primary user. */
  withoutPrimaryUser: boolean;
  /** The changed profile is in scope after the change but does not apply to the device's platform or OS version. */
  notApplicable: boolean;
}

/**
 * The effect on one device of changing one profile (`profileId`): its assigned profiles before and
 * after the change (the changed profile absent where it is out of scope; everything else equal), and
 * the device's ledger rows. Uses the delivery core's own rules — `computeDesiredSet` for outcomes and
 * conflicts, `planDeviceDelivery` for what a removal really does — so the preview cannot drift from
 * what devices will get. Pure.
 *
 * - `gain`: delivered after, not before; `keep`: delivered before and after at the same version and
 *   render key; `update`: delivered before and after, version or the user's values differ;
 * - `lose`: no longer assigned, and the profile was delivered or something of it is on the device
 *   (or on its way); `kept` instead when the plan keeps it (the only email profile on the device,
 *   or a certificate a staying profile uses).
 * A profile in scope whose outcome is neither before nor after `deliver` has no `change`; the other
 * fields say why (conflict, missing attribute, no primary user, not applicable).
 */
export function deviceChangeEffect(
  device: DeliveryDevice,
  profileId: string,
  assignedBefore: readonly AssignedProfile[],
  assignedAfter: readonly AssignedProfile[],
  ledger: readonly LedgerRow[],
  ctx: { now: number; uuidNamespace: Uint8Array; keepOnlyEmailProfile: boolean },
): DeviceChangeEffect {
  const before = computeDesiredSet(device, assignedBefore);
  // The same list (a device the change does not touch) gives the same desired set: computed once.
  const after = assignedAfter === assignedBefore ? before : computeDesiredSet(device, assignedAfter);
  const was = before.find((e) => e.profileId === profileId);
  const will = after.find((e) => e.profileId === profileId);
  const effect: DeviceChangeEffect = {
    change: null,
    keptReason: null,
    conflictsCreated: newConflicts(before, after),
    conflictResolved: was?.outcome === 'conflict' && will?.outcome !== 'conflict',
    missingAttribute: will?.reasonCode === 'userAttributeMissing' ? will.message : null,
    withoutPrimaryUser: will?.reasonCode === 'noPrimaryUser',
    notApplicable: will?.outcome === 'notApplicable',
  };
  const delivered = was?.outcome === 'deliver';
  if (will !== undefined) {
    if (will.outcome !== 'deliver') return effect;
    effect.change = !delivered ? 'gain' : was.version === will.version && was.renderKey === will.renderKey ? 'keep' : 'update';
    return effect;
  }
  const row = ledger.find((r) => r.profileId === profileId);
  const onDevice = row !== undefined && (row.installed !== null || (isInFlight(row) && row.operation !== 'remove'));
  if (!delivered && !onDevice) return effect;
  if (onDevice) {
    const plan = planDeviceDelivery(after, ledger, { deviceId: device.id, ...ctx });
    const decision = plan.decisions.find((d) => d.profileId === profileId);
    if (decision?.row.state === 'kept') {
      effect.change = 'kept';
      effect.keptReason = { code: decision.row.reasonCode, message: decision.row.message };
      return effect;
    }
  }
  effect.change = 'lose';
  return effect;
}

/** Conflict groups of `after` whose members were not in that same conflict in `before`. */
function newConflicts(before: readonly DesiredEntry[], after: readonly DesiredEntry[]): CreatedConflict[] {
  const previous = new Map(before.filter((e) => e.outcome === 'conflict').map((e) => [e.profileId, e.conflictsWith.join(',')]));
  const created: CreatedConflict[] = [];
  const seen = new Set<string>();
  for (const entry of after) {
    if (entry.outcome !== 'conflict' || previous.get(entry.profileId) === entry.conflictsWith.join(',')) continue;
    const members = [entry.profileId, ...entry.conflictsWith].sort();
    const key = members.join(',');
    if (seen.has(key)) continue;
    seen.add(key);
    const names = new Map(after.map((e) => [e.profileId, e.displayName]));
    created.push({
      kind: (entry.conflictKey ?? '').split('|')[0] ?? '',
      profiles: members.map((id) => ({ id, displayName: names.get(id) ?? id })),
      message: entry.message ?? '',
    });
  }
  return created;
}
