import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeDesiredSet, type AssignedProfile } from '../delivery/desired-set.ts';
import { assigned, context, device, jane, testNamespace } from '../delivery/delivery-test-support.ts';
import type { LedgerRow } from '../delivery/ledger-row.ts';
import { planDeviceDelivery } from '../delivery/plan-device-delivery.ts';
import { recordDeviceResult } from '../delivery/record-device-result.ts';
import { deviceChangeEffect } from './device-change-effect.ts';

const now = Date.UTC(2026, 10, 30, 8);
const ctx = { now, uuidNamespace: testNamespace, keepOnlyEmailProfile: true };
const iphone = device('iPhone');
const mail = assigned('iosEasEmailProfileConfiguration', 'p-1', { displayName: 'Mail' });
const other = assigned('iosEasEmailProfileConfiguration', 'p-2', { displayName: 'Other', settings: { hostName: 'other.contoso.com' } });
const duplicate = assigned('iosEasEmailProfileConfiguration', 'p-3', { displayName: 'Duplicate' });

/** The device's ledger once `profiles` were delivered and acknowledged. */
function installed(profiles: AssignedProfile[]): LedgerRow[] {
  const plan = planDeviceDelivery(computeDesiredSet(iphone, profiles), [], context(iphone.id, now));
  return plan.decisions.map((d) => (d.operation === null ? d.row : recordDeviceResult(d.row, { kind: 'acknowledged', commandId: d.operation.commandId }, now)));
}

describe('deviceChangeEffect', () => {
  it('calls a profile newly delivered a gain, an unchanged one kept as is, a new version an update', () => {
    assert.equal(deviceChangeEffect(iphone, 'p-1', [], [mail], [], ctx).change, 'gain');
    assert.equal(deviceChangeEffect(iphone, 'p-1', [mail], [mail], [], ctx).change, 'keep');
    assert.equal(deviceChangeEffect(iphone, 'p-1', [mail], [{ ...mail, version: 2 }], [], ctx).change, 'update');
  });

  it('keeps the only email profile on the device, and removes one beside another', () => {
    const alone = deviceChangeEffect(iphone, 'p-1', [mail], [], installed([mail]), ctx);
    assert.equal(alone.change, 'kept');
    assert.equal(alone.keptReason?.code, 'onlyEmailProfile');
    assert.equal(deviceChangeEffect(iphone, 'p-1', [mail, other], [other], installed([mail, other]), ctx).change, 'lose');
    assert.equal(deviceChangeEffect(iphone, 'p-1', [mail], [], installed([mail]), { ...ctx, keepOnlyEmailProfile: false }).change, 'lose');
  });

  it('calls a delivered profile lost when nothing of it reached the device yet, and ignores one never delivered', () => {
    assert.equal(deviceChangeEffect(iphone, 'p-1', [mail], [], [], ctx).change, 'lose');
    const withoutUser = device('iPhone', { primaryUser: null });
    assert.equal(deviceChangeEffect(withoutUser, 'p-1', [mail], [], [], ctx).change, null);
  });

  it('reports a conflict the change creates once, naming both profiles, and one it resolves', () => {
    const created = deviceChangeEffect(iphone, 'p-3', [mail], [mail, duplicate], [], ctx);
    assert.equal(created.change, null);
    assert.deepEqual(created.conflictsCreated.map((c) => [c.kind, c.profiles.map((p) => p.displayName)]), [['ios', ['Mail', 'Duplicate']]]);
    assert.equal(deviceChangeEffect(iphone, 'p-3', [mail, duplicate], [mail, duplicate], [], ctx).conflictsCreated.length, 0, 'an existing conflict is not new');
    const resolved = deviceChangeEffect(iphone, 'p-3', [mail, duplicate], [mail], [], ctx);
    assert.equal(resolved.conflictResolved, true);
    assert.equal(resolved.conflictsCreated.length, 0);
  });

  it('names the attribute a user lacks, and flags devices without a primary user or of another platform', () => {
    const smtp = { ...mail, settings: { ...mail.settings, emailAddressSource: 'primarySmtpAddress' } };
    const effect = deviceChangeEffect(device('iPhone', { primaryUser: { ...jane, mail: null } }), 'p-1', [mail], [smtp], [], ctx);
    assert.equal(effect.change, null);
    assert.match(effect.missingAttribute ?? '', /mail/);
    assert.equal(deviceChangeEffect(device('iPhone', { primaryUser: null }), 'p-1', [], [mail], [], ctx).withoutPrimaryUser, true);
    assert.equal(deviceChangeEffect(device('windowsPc'), 'p-1', [], [{ ...mail, targeting: 'platformMismatch' }], [], ctx).notApplicable, true);
  });
});
