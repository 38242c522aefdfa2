import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeDesiredSet, type AssignedProfile, type DeliveryDevice } from '../delivery/desired-set.ts';
import { assigned, context, device, jane } from '../delivery/delivery-test-support.ts';
import type { LedgerRow } from '../delivery/ledger-row.ts';
import { planDeviceDelivery } from '../delivery/plan-device-delivery.ts';
import { recordDeviceResult } from '../delivery/record-device-result.ts';
import type { ProfileType } from '../profiles/profile-types.ts';
import { replaceDeviceEffect } from './replace-effect.ts';

const now = Date.UTC(2026, 10, 30, 8);
const ctx = { now, uuidNamespace: context('x').uuidNamespace, keepOnlyEmailProfile: true };

/** The device's ledger once `profiles` were delivered and acknowledged. */
function installed(on: DeliveryDevice, profiles: AssignedProfile[]): LedgerRow[] {
  const plan = planDeviceDelivery(computeDesiredSet(on, profiles), [], context(on.id, now));
  return plan.decisions.map((d) => (d.operation === null ? d.row : recordDeviceResult(d.row, { kind: 'acknowledged', commandId: d.operation.commandId }, now)));
}

/** The profile on a new host, as replace creates it. */
function onNewHost(type: ProfileType, id: string, host: string, settings: Record<string, unknown> = {}): AssignedProfile {
  return assigned(type, id, { displayName: `Mail ${host}`, settings: { hostName: host, ...settings } });
}

/** The commands a device gets after the replace: the old profile unassigned, the new one assigned. */
function operationsAfter(on: DeliveryDevice, ledger: LedgerRow[], assignedAfter: AssignedProfile[]) {
  return planDeviceDelivery(computeDesiredSet(on, assignedAfter), ledger, context(on.id, now)).operations.map((op) => `${op.kind} ${op.profileId}`);
}

describe('replaceDeviceEffect and the order devices apply a replace in', () => {
  for (const [platform, type] of [
    ['iOS (same address on a new host is another account)', 'iosEasEmailProfileConfiguration'],
    ['Knox (same address on two hosts would collide)', 'androidEasEmailProfileConfiguration'],
    ['Android Enterprise (one managed configuration per app)', 'androidWorkProfileGmailEasConfiguration'],
    ['Windows', 'windows10EasEmailProfileConfiguration'],
  ] as const) {
    it(`${platform}: the old account is removed first, then the new one installed, and no conflict is reported`, () => {
      const kind = type.startsWith('ios') ? 'iPhone' : type.startsWith('windows') ? 'windowsPc' : type.includes('WorkProfile') ? 'workProfilePhone' : 'knoxPhone';
      const on = device(kind);
      const old = assigned(type, 'p-old', { displayName: 'Mail' });
      const ledger = installed(on, [old]);
      const replacement = onNewHost(type, 'p-new', 'new.contoso.com');
      assert.deepEqual(replaceDeviceEffect(on, 'p-old', replacement, [], ledger, ctx), { old: 'remove', oldKeptReason: null, new: 'install', blockedReason: null });
      assert.deepEqual(operationsAfter(on, ledger, [replacement]), ['remove p-old', 'install p-new']);
    });
  }

  it('removes the old account even where it was the only email profile on the device: the new one takes its place', () => {
    const on = device('iPhone');
    const old = assigned('iosEasEmailProfileConfiguration', 'p-old');
    const effect = replaceDeviceEffect(on, 'p-old', onNewHost('iosEasEmailProfileConfiguration', 'p-new', 'new.contoso.com'), [], installed(on, [old]), ctx);
    assert.equal(effect.old, 'remove');
  });

  it('keeps the only old account where the new profile is blocked, and says why the new one is blocked', () => {
    const on = device('iPhone', { primaryUser: { ...jane, mail: null } });
    const old = assigned('iosEasEmailProfileConfiguration', 'p-old');
    const needsMail = onNewHost('iosEasEmailProfileConfiguration', 'p-new', 'new.contoso.com', { emailAddressSource: 'primarySmtpAddress' });
    const effect = replaceDeviceEffect(on, 'p-old', needsMail, [], installed(on, [old]), ctx);
    assert.equal(effect.new, 'blocked');
    assert.equal(effect.blockedReason?.code, 'userAttributeMissing');
    assert.equal(effect.old, 'kept');
    assert.equal(effect.oldKeptReason?.code, 'onlyEmailProfile');
  });

  it('reports a conflict of the new profile with another profile as blocked', () => {
    const on = device('knoxPhone');
    const old = assigned('androidEasEmailProfileConfiguration', 'p-old');
    const other = assigned('androidEasEmailProfileConfiguration', 'p-other', { displayName: 'Other', settings: { hostName: 'other.contoso.com' } });
    const ledger = installed(on, [old]);
    // Another Knox profile with the same address already targets the device: the new one collides with it, the old one no longer does.
    const effect = replaceDeviceEffect(on, 'p-old', onNewHost('androidEasEmailProfileConfiguration', 'p-new', 'new.contoso.com'), [other], ledger, ctx);
    assert.equal(effect.new, 'blocked');
    assert.equal(effect.blockedReason?.code, 'accountConflict');
  });

  it('calls devices of another platform not applicable, and an old profile never delivered nothing to remove', () => {
    const pc = device('windowsPc');
    const iosNew = { ...onNewHost('iosEasEmailProfileConfiguration', 'p-new', 'new.contoso.com'), targeting: 'platformMismatch' as const };
    assert.deepEqual(replaceDeviceEffect(pc, 'p-old', iosNew, [], [], ctx), { old: 'none', oldKeptReason: null, new: 'notApplicable', blockedReason: null });
    assert.equal(replaceDeviceEffect(device('iPhone'), 'p-old', null, [], [], ctx).new, 'none');
  });
});
