import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { complianceStatusOf, deliveryStatusOf, isStuck, type StatusRow } from './delivery-status.ts';
import type { DeliveryOperationKind, LedgerState } from './ledger-row.ts';

const hour = 3_600_000;
const t0 = Date.UTC(2026, 10, 30, 8);

function row(state: LedgerState, patch: Partial<StatusRow> = {}): StatusRow {
  return { state, operation: 'install', reasonCode: 'newAssignment', message: 'm', userPrompt: null, installed: null, nextAttemptAt: null, stateChangedAt: t0, lastReportedAt: null, ...patch };
}

describe('complianceStatusOf', () => {
  const cases: [string, LedgerState, DeliveryOperationKind | null, string][] = [
    ['a queued install is pending (unknown)', 'pending', 'install', 'unknown'],
    ['a sent update is pending (unknown)', 'sent', 'update', 'unknown'],
    ['a profile waiting for its certificate is pending (unknown)', 'waitingForDependency', null, 'unknown'],
    ['an acknowledged install is compliant', 'succeeded', 'install', 'compliant'],
    ['a verified install is compliant', 'verified', 'install', 'compliant'],
    ['a conflict is a conflict', 'conflict', null, 'conflict'],
    ['a failed install is an error', 'error', 'install', 'error'],
    ['a missing certificate is an error', 'missingDependency', null, 'error'],
    ['a platform mismatch is not applicable', 'notApplicable', null, 'notApplicable'],
    ['a failed removal stays visible as an error', 'error', 'remove', 'error'],
    ['a removal on its way is no longer assigned', 'sent', 'remove', 'notAssigned'],
    ['a removed profile is no longer assigned', 'removed', 'remove', 'notAssigned'],
    ['a kept only email profile is no longer assigned', 'kept', 'install', 'notAssigned'],
  ];
  for (const [sentence, state, operation, expected] of cases) {
    it(sentence, () => assert.equal(complianceStatusOf({ state, operation }), expected));
  }
});

describe('isStuck', () => {
  it('flags a command sent longer ago than the configured time', () => {
    assert.equal(isStuck(row('sent'), t0 + 25 * hour, 24 * hour), true);
    assert.equal(isStuck(row('sent'), t0 + 23 * hour, 24 * hour), false);
  });
  it('flags a profile that has waited too long for its certificate', () => {
    assert.equal(isStuck(row('waitingForDependency'), t0 + 25 * hour, 24 * hour), true);
  });
  it('never flags a finished row however old', () => {
    assert.equal(isStuck(row('succeeded'), t0 + 1000 * hour, 24 * hour), false);
    assert.equal(isStuck(row('error'), t0 + 1000 * hour, 24 * hour), false);
  });
});

describe('deliveryStatusOf', () => {
  it('tells the end user to remove the account they added themselves', () => {
    const status = deliveryStatusOf(row('conflict', { reasonCode: 'duplicateAccount' }), t0, hour);
    assert.equal(status.status, 'conflict');
    assert.match(status.endUserMessage ?? '', /Remove the account you added yourself/);
  });

  it('shows an update that prompts as waiting for the user, before and after the device applies it', () => {
    for (const state of ['pending', 'succeeded'] as const) {
      const status = deliveryStatusOf(row(state, { operation: 'update', userPrompt: 'reenterPassword' }), t0, hour);
      assert.equal(status.waitingForUser, true);
      assert.match(status.endUserMessage ?? '', /enter it to keep receiving mail/);
    }
  });

  it('stops showing waiting for the user once inventory verified the account', () => {
    assert.equal(deliveryStatusOf(row('verified', { userPrompt: 'reenterPassword' }), t0, hour).waitingForUser, false);
  });

  it('tells the device view and the end user that the only email profile was kept', () => {
    const status = deliveryStatusOf(row('kept', { reasonCode: 'onlyEmailProfile', message: 'stays: it is the only email profile on the device' }), t0, hour);
    assert.equal(status.status, 'notAssigned');
    assert.match(status.adminMessage, /only email profile on the device/);
    assert.match(status.endUserMessage ?? '', /only email account/);
  });

  it('tells the end user whether a failure is retried automatically', () => {
    assert.match(deliveryStatusOf(row('error', { reasonCode: 'deliveryFailed', nextAttemptAt: t0 + hour }), t0, hour).endUserMessage ?? '', /retried automatically/);
    assert.match(deliveryStatusOf(row('error', { reasonCode: 'deliveryFailed' }), t0, hour).endUserMessage ?? '', /Contact your IT department\.$/);
  });

  it('reports the installed version and the stuck flag', () => {
    const status = deliveryStatusOf(row('sent', { installed: { version: 4 } as StatusRow['installed'], lastReportedAt: t0 }), t0 + 2 * hour, hour);
    assert.equal(status.reportedVersion, 4);
    assert.equal(status.stuck, true);
    assert.equal(status.lastReportedAt, t0);
  });

  it('has nothing to tell the end user about a profile installed as it should be', () => {
    assert.equal(deliveryStatusOf(row('succeeded', { reasonCode: 'installed' }), t0, hour).endUserMessage, null);
  });
});
