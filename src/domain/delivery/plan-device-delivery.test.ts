import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeDesiredSet, type AssignedProfile, type DeliveryDevice } from './desired-set.ts';
import { assigned, certificateAuth, context, device, jane, joe } from './delivery-test-support.ts';
import type { LedgerRow } from './ledger-row.ts';
import { planDeviceDelivery, type DeliveryPlan } from './plan-device-delivery.ts';
import { recordDeviceResult } from './record-device-result.ts';

const hour = 3_600_000;
const t0 = Date.UTC(2026, 10, 30, 8);

function plan(dev: DeliveryDevice, profiles: AssignedProfile[], ledger: LedgerRow[], now = t0, options: { keepOnlyEmailProfile?: boolean } = {}): DeliveryPlan {
  return planDeviceDelivery(computeDesiredSet(dev, profiles), ledger, context(dev.id, now, options));
}

/** The rows after a plan, with every queued command fetched and acknowledged by the device. */
function acknowledgeAll(result: DeliveryPlan, now = t0): LedgerRow[] {
  return result.decisions.map((d) => {
    if (d.operation === null) return d.row;
    const fetched = recordDeviceResult(d.row, { kind: 'fetched', commandId: d.operation.commandId }, now);
    return recordDeviceResult(fetched, { kind: 'acknowledged', commandId: d.operation.commandId }, now);
  });
}

/** Rows after planning and acknowledging everything `rounds` times (an ideal device). */
function deliverAll(dev: DeliveryDevice, profiles: AssignedProfile[], ledger: LedgerRow[] = [], rounds = 3): LedgerRow[] {
  let rows = ledger;
  for (let i = 0; i < rounds; i++) rows = acknowledgeAll(plan(dev, profiles, rows));
  return rows;
}

const ops = (result: DeliveryPlan) => result.operations.map((op) => `${op.kind} ${op.profileId}`);
const rowOf = (result: DeliveryPlan, id: string) => {
  const row = result.decisions.find((d) => d.profileId === id)?.row;
  assert.ok(row, `no row for ${id}`);
  return row;
};

const iPhone = device('iPhone');
const mail = assigned('iosEasEmailProfileConfiguration', 'mail', { displayName: 'Contoso mail' });

describe('planDeviceDelivery: installing and updating', () => {
  it('installs a newly assigned profile and records the row as pending', () => {
    const result = plan(iPhone, [mail], []);
    assert.deepEqual(ops(result), ['install mail']);
    const row = rowOf(result, 'mail');
    assert.equal(row.state, 'pending');
    assert.equal(row.generation, 1);
    assert.equal(row.attempts, 1);
    assert.equal(row.commandId, result.operations[0]?.commandId);
    assert.equal(result.decisions[0]?.changed, true);
  });

  it('leaves the account id to the iOS renderer, which derives its identifiers from profile and user', () => {
    assert.equal(plan(iPhone, [mail], []).operations[0]?.target.accountId, null);
  });

  it('derives the same command ids when a crashed reconcile runs again on the same ledger', () => {
    assert.deepEqual(plan(iPhone, [mail], []).operations, plan(iPhone, [mail], []).operations);
  });

  it('offers a sent but unacknowledged command again under the same id without changing the row', () => {
    const first = plan(iPhone, [mail], []);
    const sent = recordDeviceResult(rowOf(first, 'mail'), { kind: 'fetched', commandId: first.operations[0]?.commandId ?? '' }, t0);
    const again = plan(iPhone, [mail], [sent], t0 + hour);
    assert.equal(again.operations[0]?.commandId, first.operations[0]?.commandId);
    assert.equal(again.operations[0]?.reoffer, true);
    assert.equal(again.operations[0]?.reasonCode, 'awaitingAcknowledgement');
    assert.equal(again.decisions[0]?.changed, false);
  });

  it('gives a stuck command a new id when the admin resends it', () => {
    const first = plan(iPhone, [mail], []);
    const resend = plan(iPhone, [mail], [{ ...rowOf(first, 'mail'), resendRequested: true }]);
    assert.notEqual(resend.operations[0]?.commandId, first.operations[0]?.commandId);
    assert.equal(resend.operations[0]?.reasonCode, 'adminResend');
    assert.equal(rowOf(resend, 'mail').resendRequested, false);
  });

  it('sends a profile held back for want of a primary user once the device has one', () => {
    const blocked = plan(device('iPhone', { primaryUser: null }), [mail], []);
    assert.equal(rowOf(blocked, 'mail').state, 'error');
    assert.deepEqual(ops(plan(iPhone, [mail], blocked.decisions.map((d) => d.row))), ['install mail']);
  });

  it('records a renamed profile\'s new display name without sending anything', () => {
    const result = plan(iPhone, [{ ...mail, displayName: 'Contoso Exchange' }], deliverAll(iPhone, [mail]));
    assert.deepEqual(result.operations, []);
    assert.equal(result.decisions[0]?.changed, true);
    assert.equal(rowOf(result, 'mail').displayName, 'Contoso Exchange');
  });

  it('does nothing for a profile installed at its current version', () => {
    const rows = deliverAll(iPhone, [mail]);
    const result = plan(iPhone, [mail], rows);
    assert.deepEqual(result.operations, []);
    assert.equal(result.decisions.every((d) => !d.changed), true);
    assert.equal(rowOf(result, 'mail').state, 'succeeded');
  });

  it('updates in place, keeping the account id, when the profile version changes', () => {
    const rows = deliverAll(iPhone, [mail]);
    const result = plan(iPhone, [{ ...mail, version: 2 }], rows);
    assert.deepEqual(ops(result), ['update mail']);
    assert.equal(result.operations[0]?.reasonCode, 'profileUpdated');
    assert.equal(result.operations[0]?.target.accountId, rows[0]?.installed?.accountId);
    assert.equal(result.operations[0]?.userPrompt, null);
  });

  it('updates when the user\'s directory values change at the same version', () => {
    const rows = deliverAll(iPhone, [mail]);
    const result = plan(device('iPhone', { primaryUser: { ...jane, userPrincipalName: 'jane.doe@contoso.com' } }), [mail], rows);
    assert.deepEqual(ops(result), ['update mail']);
    assert.equal(result.operations[0]?.reasonCode, 'userValuesChanged');
  });

  it('marks an iOS update that changes the synced services as one that asks for the password again', () => {
    const rows = deliverAll(iPhone, [mail]);
    const result = plan(iPhone, [{ ...mail, version: 2, settings: { ...mail.settings, easServices: 'email' } }], rows);
    assert.equal(result.operations[0]?.userPrompt, 'reenterPassword');
    assert.equal(rowOf(result, 'mail').userPrompt, 'reenterPassword');
  });

  it('replaces the iOS profile when the primary user changes, removing the previous user\'s first', () => {
    const rows = deliverAll(iPhone, [mail]);
    const result = plan(device('iPhone', { primaryUser: joe }), [mail], rows);
    const op = result.operations[0];
    assert.equal(op?.kind, 'replace');
    assert.equal(op?.reasonCode, 'primaryUserChanged');
    assert.equal(op?.previous?.userId, 'user-jane');
    assert.equal(op?.target.userId, 'user-joe');
    assert.notEqual(op?.removeCommandId, null);
    assert.notEqual(op?.removeCommandId, op?.commandId);
  });

  it('updates an Android Enterprise profile in place when the primary user changes', () => {
    const phone = device('workProfilePhone');
    const gmail = assigned('androidWorkProfileGmailEasConfiguration', 'gmail');
    const rows = deliverAll(phone, [gmail]);
    assert.deepEqual(ops(plan({ ...phone, primaryUser: joe }, [gmail], rows)), ['update gmail']);
  });

  it('replaces a Windows account under a new GUID when the user name changes', () => {
    const pc = device('windowsPc');
    const win = assigned('windows10EasEmailProfileConfiguration', 'win', { settings: { usernameAADSource: 'samAccountName' } });
    const rows = deliverAll(pc, [win]);
    const result = plan({ ...pc, primaryUser: { ...jane, onPremisesSamAccountName: 'jane.doe' } }, [win], rows);
    const op = result.operations[0];
    assert.equal(op?.kind, 'replace');
    assert.equal(op?.reasonCode, 'accountMustBeRecreated');
    assert.equal(op?.previous?.accountId, rows[0]?.installed?.accountId);
    assert.match(op?.target.accountId ?? '', /^[0-9A-F]{8}-[0-9A-F]{4}-5/);
    assert.notEqual(op?.target.accountId, op?.previous?.accountId);
    assert.equal(rowOf(result, 'win').accountIncarnation, 1);
    assert.match(op?.message ?? '', /Windows cannot change it on an account that has synced/);
  });

  it('updates a Windows account in place when only its address changes', () => {
    const pc = device('windowsPc');
    const win = assigned('windows10EasEmailProfileConfiguration', 'win', { settings: { usernameAADSource: 'samAccountName' } });
    const rows = deliverAll(pc, [win]);
    assert.deepEqual(ops(plan({ ...pc, primaryUser: { ...jane, userPrincipalName: 'jd@contoso.com' } }, [win], rows)), ['update win']);
  });

  it('replaces a Knox account when its address changes, because Knox would add a second account', () => {
    const phone = device('knoxPhone');
    const knox = assigned('androidEasEmailProfileConfiguration', 'knox');
    const rows = deliverAll(phone, [knox]);
    const result = plan({ ...phone, primaryUser: { ...jane, userPrincipalName: 'jd@contoso.com' } }, [knox], rows);
    assert.deepEqual(ops(result), ['replace knox']);
    assert.equal(result.operations[0]?.userPrompt, 'reenterPassword');
  });
});

describe('planDeviceDelivery: certificates first', () => {
  const knoxPhone = device('knoxPhone');
  const root = assigned('androidTrustedRootCertificate', 'root', { displayName: 'Contoso root' });
  const scep = assigned('androidScepCertificateProfile', 'scep', { displayName: 'User cert', links: { rootCertificate: 'root' } });
  const knoxMail = assigned('androidEasEmailProfileConfiguration', 'knox', { displayName: 'Knox mail', settings: certificateAuth, links: { identityCertificate: 'scep' } });

  it('installs the trusted root first and lets the rest wait for it on Knox', () => {
    const result = plan(knoxPhone, [knoxMail, scep, root], []);
    assert.deepEqual(ops(result), ['install root']);
    assert.equal(rowOf(result, 'scep').state, 'waitingForDependency');
    assert.equal(rowOf(result, 'knox').state, 'waitingForDependency');
    assert.match(rowOf(result, 'knox').message, /Waiting for 'User cert' \(identityCertificate\)/);
  });

  it('installs the email profile once its certificate is on the device', () => {
    let rows = acknowledgeAll(plan(knoxPhone, [knoxMail, scep, root], []));
    const second = plan(knoxPhone, [knoxMail, scep, root], rows);
    assert.deepEqual(ops(second), ['install scep']);
    assert.match(rowOf(second, 'knox').message, /Waiting for 'User cert'/);
    rows = acknowledgeAll(second);
    assert.deepEqual(ops(plan(knoxPhone, [knoxMail, scep, root], rows)), ['install knox']);
  });

  it('sends an iOS email profile with its certificate profile in one plan, certificate first, since iOS embeds it', () => {
    const iosPkcs = assigned('iosPkcsCertificateProfile', 'z-pkcs');
    const iosMail = assigned('iosEasEmailProfileConfiguration', 'a-mail', { settings: certificateAuth, links: { identityCertificate: 'z-pkcs' } });
    assert.deepEqual(ops(plan(iPhone, [iosMail, iosPkcs], [])), ['install z-pkcs', 'install a-mail']);
  });

  it('keeps an unassigned certificate that an email profile on the device still uses', () => {
    const rows = deliverAll(knoxPhone, [knoxMail, scep, root]);
    const result = plan(knoxPhone, [knoxMail, root], rows);
    assert.deepEqual(ops(result), []);
    assert.equal(rowOf(result, 'scep').state, 'kept');
    assert.equal(rowOf(result, 'scep').reasonCode, 'certificateInUse');
    assert.match(rowOf(result, 'scep').message, /'Knox mail' on the device still uses it/);
  });

  it('keeps the certificates of the only email profile when everything is unassigned', () => {
    const rows = deliverAll(knoxPhone, [knoxMail, scep, root]);
    const result = plan(knoxPhone, [], rows);
    assert.deepEqual(result.operations, []);
    assert.deepEqual(['knox', 'scep', 'root'].map((id) => [rowOf(result, id).state, rowOf(result, id).reasonCode]), [
      ['kept', 'onlyEmailProfile'],
      ['kept', 'certificateInUse'],
      ['kept', 'certificateInUse'],
    ]);
  });

  it('removes the email account before the certificates it used, and the root last', () => {
    const other = assigned('androidEasEmailProfileConfiguration', 'other', { settings: { emailAddressSource: 'primarySmtpAddress' } });
    const rows = deliverAll(knoxPhone, [knoxMail, scep, root, other]);
    assert.deepEqual(ops(plan(knoxPhone, [other], rows)), ['remove knox', 'remove scep', 'remove root']);
  });
});

describe('planDeviceDelivery: removal and the only email profile', () => {
  const second = assigned('iosEasEmailProfileConfiguration', 'second', { displayName: 'Second', settings: { hostName: 'eas.contoso.com' } });

  it('removes an unassigned email profile when another stays on the device', () => {
    const rows = deliverAll(iPhone, [mail, second]);
    const result = plan(iPhone, [second], rows);
    assert.deepEqual(ops(result), ['remove mail']);
    assert.equal(result.operations[0]?.target.userId, 'user-jane');
  });

  it('keeps the only email profile on the device when it is unassigned, and says so', () => {
    const rows = deliverAll(iPhone, [mail]);
    const result = plan(iPhone, [], rows);
    assert.deepEqual(result.operations, []);
    const row = rowOf(result, 'mail');
    assert.equal(row.state, 'kept');
    assert.equal(row.reasonCode, 'onlyEmailProfile');
    assert.match(row.message, /only email profile on the device/);
    assert.equal(row.installed?.version, 1);
  });

  it('removes the only email profile when the deployment chooses Intune\'s current behaviour', () => {
    const rows = deliverAll(iPhone, [mail]);
    assert.deepEqual(ops(plan(iPhone, [], rows, t0, { keepOnlyEmailProfile: false })), ['remove mail']);
  });

  it('removes one of two email profiles unassigned together and keeps the other', () => {
    const rows = deliverAll(iPhone, [mail, second]);
    const result = plan(iPhone, [], rows);
    assert.deepEqual(ops(result), ['remove second']);
    assert.equal(rowOf(result, 'mail').state, 'kept');
  });

  it('removes a kept profile before installing the email profile that succeeds it', () => {
    const kept = plan(iPhone, [], deliverAll(iPhone, [mail]));
    const successor = assigned('iosEasEmailProfileConfiguration', 'successor');
    assert.deepEqual(ops(plan(iPhone, [successor], kept.decisions.map((d) => d.row))), ['remove mail', 'install successor']);
  });

  it('keeps the only email profile while its successor still waits for a certificate', () => {
    const knoxPhone = device('knoxPhone');
    const old = assigned('androidEasEmailProfileConfiguration', 'old');
    const rows = deliverAll(knoxPhone, [old]);
    const successor = assigned('androidEasEmailProfileConfiguration', 'new', { settings: certificateAuth, links: { identityCertificate: 'pkcs' } });
    const result = plan(knoxPhone, [successor, assigned('androidPkcsCertificateProfile', 'pkcs')], rows);
    assert.deepEqual(ops(result), ['install pkcs']);
    assert.equal(rowOf(result, 'old').state, 'kept');
  });

  it('marks a never-installed, unassigned profile removed without sending anything', () => {
    const failed = { ...rowOf(plan(iPhone, [mail], []), 'mail'), state: 'error' as const, lastError: { errorClass: 'terminal' as const, code: 'x', message: 'y' } };
    const result = plan(iPhone, [], [failed]);
    assert.deepEqual(result.operations, []);
    assert.equal(rowOf(result, 'mail').state, 'removed');
  });

  it('sends a removal after an install that is still on its way, since the device may apply it', () => {
    const pending = rowOf(plan(iPhone, [mail], []), 'mail');
    const result = plan(iPhone, [], [pending]);
    assert.deepEqual(ops(result), ['remove mail']);
  });

  it('offers an unacknowledged removal again and leaves a completed one alone', () => {
    const rows = deliverAll(iPhone, [mail, second]);
    const removing = plan(iPhone, [second], rows);
    const again = plan(iPhone, [second], removing.decisions.map((d) => d.row));
    assert.equal(again.operations[0]?.reoffer, true);
    assert.equal(again.operations[0]?.commandId, removing.operations[0]?.commandId);
    const done = acknowledgeAll(removing);
    assert.equal(done.find((r) => r.profileId === 'mail')?.state, 'removed');
    assert.deepEqual(plan(iPhone, [second], done).operations, []);
  });

  it('removes a deleted profile by the type kept on its ledger row', () => {
    const rows = deliverAll(iPhone, [mail, second]);
    const result = planDeviceDelivery(computeDesiredSet(iPhone, [second]), rows, context(iPhone.id));
    assert.equal(result.operations[0]?.odataType, 'iosEasEmailProfileConfiguration');
  });
});

describe('planDeviceDelivery: conflicts', () => {
  const twin = assigned('iosEasEmailProfileConfiguration', 'twin', { displayName: 'Contoso mail (copy)' });

  it('sends neither of two conflicting profiles', () => {
    const result = plan(iPhone, [mail, twin], []);
    assert.deepEqual(result.operations, []);
    assert.equal(rowOf(result, 'mail').state, 'conflict');
    assert.match(rowOf(result, 'twin').message, /'Contoso mail \(copy\)' and 'Contoso mail'/);
  });

  it('leaves an installed profile that becomes conflicting on the device, neither updated nor removed', () => {
    const rows = deliverAll(iPhone, [mail]);
    const result = plan(iPhone, [{ ...mail, version: 2 }, twin], rows);
    assert.deepEqual(result.operations, []);
    assert.equal(rowOf(result, 'mail').state, 'conflict');
    assert.equal(rowOf(result, 'mail').installed?.version, 1);
  });

  it('updates the remaining profile once the conflict is resolved', () => {
    const rows = plan(iPhone, [{ ...mail, version: 2 }, twin], deliverAll(iPhone, [mail])).decisions.map((d) => d.row);
    assert.deepEqual(ops(plan(iPhone, [{ ...mail, version: 2 }], rows)), ['update mail']);
  });

  it('keeps offering a command already on its way instead of withdrawing it, and applies the conflict after its result', () => {
    const first = plan(iPhone, [mail], []);
    const result = plan(iPhone, [mail, twin], [rowOf(first, 'mail')]);
    assert.equal(result.decisions.find((d) => d.profileId === 'mail')?.changed, false);
    assert.deepEqual(result.operations.map((op) => [op.commandId, op.reoffer]), [[first.operations[0]?.commandId, true]]);
    const afterResult = plan(iPhone, [mail, twin], acknowledgeAll(result));
    assert.deepEqual(afterResult.operations, []);
    assert.equal(rowOf(afterResult, 'mail').state, 'conflict');
  });
});

describe('planDeviceDelivery: retries', () => {
  const failedRow = (errorClass: 'transient' | 'terminal' | 'duplicateAccount') => {
    const first = plan(iPhone, [mail], []);
    const commandId = first.operations[0]?.commandId ?? '';
    return recordDeviceResult(rowOf(first, 'mail'), { kind: 'failed', commandId, error: { errorClass, code: 'code', message: 'message' } }, t0);
  };

  it('waits for the backoff before retrying a transient failure', () => {
    const row = failedRow('transient');
    assert.deepEqual(plan(iPhone, [mail], [row], t0 + 1000).operations, []);
  });

  it('retries a transient failure under a new command id once the backoff has passed', () => {
    const row = failedRow('transient');
    const result = plan(iPhone, [mail], [row], (row.nextAttemptAt ?? 0) + 1);
    assert.equal(result.operations[0]?.reasonCode, 'retrying');
    assert.equal(result.operations[0]?.generation, 2);
    assert.equal(rowOf(result, 'mail').attempts, 2);
    assert.notEqual(result.operations[0]?.commandId, row.commandId);
  });

  it('never retries a terminal failure by itself', () => {
    assert.deepEqual(plan(iPhone, [mail], [failedRow('terminal')], t0 + 1000 * hour).operations, []);
  });

  it('retries a terminal failure at once when the admin resends', () => {
    const result = plan(iPhone, [mail], [{ ...failedRow('terminal'), resendRequested: true }]);
    assert.deepEqual(ops(result), ['install mail']);
    assert.equal(result.operations[0]?.reasonCode, 'adminResend');
  });

  it('retries a profile blocked by the user\'s own account on the slow schedule', () => {
    const row = failedRow('duplicateAccount');
    assert.equal(row.state, 'conflict');
    assert.deepEqual(plan(iPhone, [mail], [row], t0 + 30 * 60_000).operations, []);
    assert.deepEqual(ops(plan(iPhone, [mail], [row], t0 + 2 * hour)), ['install mail']);
  });

  it('starts over with a fresh attempt count when the admin fixes the profile', () => {
    const result = plan(iPhone, [{ ...mail, version: 2 }], [failedRow('terminal')]);
    assert.equal(result.operations[0]?.reasonCode, 'newAssignment');
    assert.equal(rowOf(result, 'mail').attempts, 1);
    assert.equal(rowOf(result, 'mail').lastError, null);
  });
});
