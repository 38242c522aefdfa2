import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeDesiredSet } from './desired-set.ts';
import { assigned, context, device } from './delivery-test-support.ts';
import type { LedgerRow } from './ledger-row.ts';
import { planDeviceDelivery } from './plan-device-delivery.ts';
import { complianceStatusOf } from './delivery-status.ts';
import { recordDeviceResult, unenrolledRow } from './record-device-result.ts';

const t0 = Date.UTC(2026, 10, 30, 8);
const iPhone = device('iPhone');
const mail = assigned('iosEasEmailProfileConfiguration', 'mail', { displayName: 'Contoso mail' });

function pendingInstall(): { row: LedgerRow; commandId: string } {
  const decision = planDeviceDelivery(computeDesiredSet(iPhone, [mail]), [], context(iPhone.id, t0)).decisions[0];
  assert.ok(decision?.operation);
  return { row: decision.row, commandId: decision.operation.commandId };
}

describe('recordDeviceResult', () => {
  it('moves a pending command to sent when the device fetches it', () => {
    const { row, commandId } = pendingInstall();
    const sent = recordDeviceResult(row, { kind: 'fetched', commandId }, t0 + 5);
    assert.equal(sent.state, 'sent');
    assert.equal(sent.stateChangedAt, t0 + 5);
  });

  it('records an acknowledged install as succeeded with the target installed', () => {
    const { row, commandId } = pendingInstall();
    const done = recordDeviceResult(row, { kind: 'acknowledged', commandId }, t0 + 10);
    assert.equal(done.state, 'succeeded');
    assert.equal(done.installed, row.target);
    assert.equal(done.lastReportedAt, t0 + 10);
    assert.equal(done.message, 'Version 1 is installed.');
  });

  it('says the user will be asked for the password when the acknowledged update prompts', () => {
    const { row, commandId } = pendingInstall();
    const done = recordDeviceResult({ ...row, userPrompt: 'reenterPassword' }, { kind: 'acknowledged', commandId }, t0);
    assert.match(done.message, /asks the user to enter the account's password again/);
  });

  it('ignores a result for a command that a newer operation superseded', () => {
    const { row } = pendingInstall();
    assert.equal(recordDeviceResult(row, { kind: 'acknowledged', commandId: 'OLD-COMMAND' }, t0), row);
  });

  it('ignores a repeated acknowledgement, so redelivered results change nothing', () => {
    const { row, commandId } = pendingInstall();
    const done = recordDeviceResult(row, { kind: 'acknowledged', commandId }, t0);
    assert.equal(recordDeviceResult(done, { kind: 'acknowledged', commandId }, t0 + 99), done);
    assert.equal(recordDeviceResult(done, { kind: 'failed', commandId, error: { errorClass: 'transient', code: 'x', message: 'late' } }, t0 + 99), done);
  });

  it('changes nothing on NotNow: the channel offers the command again', () => {
    const { row, commandId } = pendingInstall();
    const sent = recordDeviceResult(row, { kind: 'fetched', commandId }, t0);
    assert.equal(recordDeviceResult(sent, { kind: 'notNow', commandId }, t0 + 1), sent);
  });

  it('records verification only after an acknowledgement', () => {
    const { row, commandId } = pendingInstall();
    assert.equal(recordDeviceResult(row, { kind: 'verified', commandId }, t0), row);
    const done = recordDeviceResult(row, { kind: 'acknowledged', commandId }, t0);
    assert.equal(recordDeviceResult(done, { kind: 'verified', commandId }, t0 + 1).state, 'verified');
  });

  it('turns an installed profile the device no longer lists into an install planned at once', () => {
    const { row, commandId } = pendingInstall();
    assert.equal(recordDeviceResult(row, { kind: 'missing', commandId }, t0), row, 'nothing is installed yet');
    const done = recordDeviceResult(row, { kind: 'acknowledged', commandId }, t0);
    const lost = recordDeviceResult(done, { kind: 'missing', commandId }, t0 + 60_000);
    assert.equal(lost.state, 'error');
    assert.equal(lost.installed, null);
    assert.equal(lost.nextAttemptAt, t0 + 60_000);
    assert.match(lost.message, /no longer on the device/);
    const plan = planDeviceDelivery(computeDesiredSet(iPhone, [mail]), [lost], context(iPhone.id, t0 + 60_000));
    assert.equal(plan.operations.length, 1);
    assert.equal(plan.operations[0]?.kind, 'install');
    assert.notEqual(plan.operations[0]?.commandId, commandId, 'a new command id: the old one was answered');
  });

  it('records a transient failure as an error with a retry time and the device\'s code', () => {
    const { row, commandId } = pendingInstall();
    const failed = recordDeviceResult(row, { kind: 'failed', commandId, error: { errorClass: 'transient', code: 'MCInstallationErrorDomain (4001)', message: 'Profile installation failed' } }, t0);
    assert.equal(failed.state, 'error');
    assert.equal(failed.reasonCode, 'deliveryFailed');
    assert.ok((failed.nextAttemptAt ?? 0) > t0);
    assert.match(failed.message, /The install of 'Contoso mail' version 1 failed: MCInstallationErrorDomain \(4001\): Profile installation failed\. Next automatic attempt at 2026-11-30T08:0/);
  });

  it('records a terminal failure without a retry time', () => {
    const { row, commandId } = pendingInstall();
    const failed = recordDeviceResult(row, { kind: 'failed', commandId, error: { errorClass: 'terminal', code: 'CommandFormatError', message: 'bad plist' } }, t0);
    assert.equal(failed.nextAttemptAt, null);
    assert.match(failed.message, /Not retried automatically: fix the cause, then resend\./);
  });

  it('records a user-made duplicate account as a conflict the user must resolve', () => {
    const { row, commandId } = pendingInstall();
    const failed = recordDeviceResult(row, { kind: 'failed', commandId, error: { errorClass: 'duplicateAccount', code: 'MCEASErrorDomain (21005)', message: 'account not unique' } }, t0);
    assert.equal(failed.state, 'conflict');
    assert.equal(failed.reasonCode, 'duplicateAccount');
    assert.match(failed.message, /set up the same email account themselves/);
  });

  it('keeps the previous version installed when an update fails', () => {
    const { row, commandId } = pendingInstall();
    const installed = recordDeviceResult(row, { kind: 'acknowledged', commandId }, t0);
    const update = planDeviceDelivery(computeDesiredSet(iPhone, [{ ...mail, version: 2 }]), [installed], context(iPhone.id, t0)).decisions[0];
    assert.ok(update?.operation);
    const failed = recordDeviceResult(update.row, { kind: 'failed', commandId: update.operation.commandId, error: { errorClass: 'transient', code: 'x', message: 'y' } }, t0);
    assert.equal(failed.installed?.version, 1);
    assert.equal(failed.target?.version, 2);
  });

  it('records an acknowledged removal as removed with nothing left on the device', () => {
    const { row, commandId } = pendingInstall();
    const installed = recordDeviceResult(row, { kind: 'acknowledged', commandId }, t0);
    const removal = planDeviceDelivery([], [installed], context(iPhone.id, t0, { keepOnlyEmailProfile: false })).decisions[0];
    assert.ok(removal?.operation);
    const removed = recordDeviceResult(removal.row, { kind: 'acknowledged', commandId: removal.operation.commandId }, t0);
    assert.equal(removed.state, 'removed');
    assert.equal(removed.installed, null);
  });

  it('records a removal failing with a duplicate-account code as a retried error, never a conflict that would stick', () => {
    // Found by the random-history property (seed 1043260971): a removal queued behind an install the
    // device had put off (NotNow) failed as "duplicate account" and stayed in conflict forever.
    const { row, commandId } = pendingInstall();
    const sent = recordDeviceResult(row, { kind: 'fetched', commandId }, t0);
    const removal = planDeviceDelivery([], [sent], context(iPhone.id, t0, { keepOnlyEmailProfile: false })).decisions[0];
    assert.equal(removal?.operation?.kind, 'remove');
    const failed = recordDeviceResult(removal.row, { kind: 'failed', commandId: removal.operation.commandId, error: { errorClass: 'duplicateAccount', code: 'MCEASErrorDomain (21005)', message: 'account not unique' } }, t0);
    assert.equal(failed.state, 'error');
    assert.equal(failed.lastError?.errorClass, 'transient');
    assert.ok(failed.nextAttemptAt !== null && failed.nextAttemptAt > t0);
    const retried = planDeviceDelivery([], [{ ...failed, resendRequested: true }], context(iPhone.id, t0, { keepOnlyEmailProfile: false })).decisions[0];
    assert.equal(retried?.operation?.kind, 'remove');
  });
});

describe('unenrolledRow', () => {
  it('marks an installed profile removed with the enrollment, and a new plan installs it again', () => {
    const { row, commandId } = pendingInstall();
    const installed = recordDeviceResult(row, { kind: 'acknowledged', commandId }, t0 + 10);
    const gone = unenrolledRow(installed, t0 + 20);
    assert.deepEqual([gone.state, gone.reasonCode, gone.installed, gone.nextAttemptAt], ['removed', 'deviceUnenrolled', null, null]);
    assert.equal(complianceStatusOf(gone), 'notAssigned');
    assert.equal(unenrolledRow(gone, t0 + 30), gone, 'idempotent');
    const again = planDeviceDelivery(computeDesiredSet(iPhone, [mail]), [gone], context(iPhone.id, t0 + 40));
    assert.equal(again.operations[0]?.kind, 'install');
    assert.notEqual(again.operations[0]?.commandId, commandId);
  });
});
