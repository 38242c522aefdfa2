import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { activeSyncRoots } from '../../payloads/windows/activesync-account.ts';
import { deliveryOutcome, probeOutcome, scanOutcome, type CommandAnswer, type DeliveryDetail, type ProbeDetail, type ScanDetail } from './sent-units.ts';

const account = { kind: 'account' as const, root: activeSyncRoots.user, accountGuid: '{0F6B3E1D-2C4A-4B7E-9D8F-1A2B3C4D5E6F}', leaves: [{ path: 'ServerName', value: 'mail.contoso.com' }] };
const install: DeliveryDetail = {
  kind: 'install',
  nodes: [
    { cmdId: 5, verb: 'Atomic', locUri: null, previous: false },
    { cmdId: 6, verb: 'Add', locUri: './User/x/EmailAddress', previous: false },
    { cmdId: 7, verb: 'Add', locUri: './User/x/ServerName', previous: false },
  ],
  confirm: account,
  addNode: './User/x',
};
const answers = (codes: Record<number, number>): Map<number, CommandAnswer> =>
  new Map(Object.entries(codes).map(([cmdId, code]) => [Number(cmdId), { code, data: null, hasResults: false }]));

describe('deliveryOutcome', () => {
  it('succeeds only when every answered command says 200 or 202', () => {
    assert.deepEqual(deliveryOutcome(install, answers({ 5: 200, 6: 200, 7: 202 })), { kind: 'succeeded' });
    assert.deepEqual(deliveryOutcome(install, new Map()), { kind: 'unanswered' });
  });

  it('does not count 214, 215 or 216 as success', () => {
    for (const code of [214, 215, 216]) {
      const outcome = deliveryOutcome(install, answers({ 5: code, 6: code, 7: code }));
      assert.equal(outcome.kind, 'failed', `code ${code}`);
      if (outcome.kind === 'failed') assert.equal(outcome.error.code, `SyncML ${code}`);
    }
  });

  it('names the command that failed for its own reason, not the rolled-back ones, and classifies it', () => {
    const outcome = deliveryOutcome(install, answers({ 5: 507, 6: 216, 7: 500 }));
    assert.equal(outcome.kind, 'failed');
    if (outcome.kind !== 'failed') return;
    assert.equal(outcome.error.code, 'SyncML 500');
    assert.equal(outcome.error.errorClass, 'transient');
    assert.match(outcome.error.message, /^Add \.\/User\/x\/ServerName answered 500: command failed.*1 other command was rolled back/);
    const notAllowed = deliveryOutcome(install, answers({ 5: 507, 6: 405, 7: 216 }));
    assert.equal(notAllowed.kind === 'failed' && notAllowed.error.errorClass, 'terminal');
  });

  it('turns 418 on an account Add into a read-back, and takes 418 on a certificate Add as success', () => {
    assert.deepEqual(deliveryOutcome(install, answers({ 5: 507, 6: 418, 7: 216 })), { kind: 'alreadyExists' });
    const certificate: DeliveryDetail = { kind: 'install', nodes: [{ cmdId: 3, verb: 'Add', locUri: './Device/Vendor/MSFT/RootCATrustedCertificates/Root/AB/EncodedCertificate', previous: false }], confirm: { kind: 'certificate', nodeLocUri: './Device/Vendor/MSFT/RootCATrustedCertificates/Root/AB' }, addNode: null };
    assert.deepEqual(deliveryOutcome(certificate, answers({ 3: 418 })), { kind: 'succeeded' });
  });

  it('takes 404 on a Delete as done (nothing left to remove), but not on a write', () => {
    const remove: DeliveryDetail = { kind: 'remove', nodes: [{ cmdId: 2, verb: 'Delete', locUri: './User/x', previous: false }], confirm: null, addNode: null };
    assert.deepEqual(deliveryOutcome(remove, answers({ 2: 404 })), { kind: 'succeeded' });
    const outcome = deliveryOutcome(install, answers({ 5: 507, 6: 404, 7: 216 }));
    assert.equal(outcome.kind === 'failed' && outcome.error.errorClass, 'terminal');
  });
});

describe('probeOutcome', () => {
  const probe: ProbeDetail = {
    kind: 'install',
    account: { root: activeSyncRoots.user, accountGuid: account.accountGuid },
    desired: [{ path: 'EmailAddress', value: 'a@contoso.com' }, { path: 'ServerName', value: 'mail.contoso.com' }],
    gets: [{ cmdId: 4, path: 'EmailAddress' }, { cmdId: 5, path: 'ServerName' }],
    previous: null,
  };

  it('finds the account absent when every Get answers 404, present with what the Results hold otherwise', () => {
    assert.deepEqual(probeOutcome(probe, answers({ 4: 404, 5: 404 })), { kind: 'absent' });
    const found = new Map<number, CommandAnswer>([[4, { code: 200, data: 'a@contoso.com', hasResults: true }], [5, { code: 404, data: null, hasResults: false }]]);
    assert.deepEqual(probeOutcome(probe, found), { kind: 'present', leaves: [{ path: 'EmailAddress', value: 'a@contoso.com' }] });
    assert.deepEqual(probeOutcome(probe, answers({ 4: 404 })), { kind: 'unanswered' });
    assert.equal(probeOutcome(probe, answers({ 4: 404, 5: 425 })).kind, 'failed');
  });
});

describe('scanOutcome', () => {
  const own = '0F6B3E1D-2C4A-4B7E-9D8F-1A2B3C4D5E6F';
  const user = 'C556E16F-56C4-4EDB-9C64-D9469EE1FBE0';
  const envelope = '11111111-2222-4333-8444-555555555555';
  const list: ScanDetail = {
    kind: 'install',
    account: { root: activeSyncRoots.user, accountGuid: `{${own}}` },
    desired: [{ path: 'EmailAddress', value: 'jane@contoso.com' }, { path: 'ServerName', value: 'mail.contoso.com' }],
    listCmdId: 4,
    reads: [],
  };
  const results = (entries: [number, string][]) => new Map(entries.map(([cmdId, data]) => [cmdId, { code: 200, data, hasResults: true }]));

  it('lists the accounts Envelope did not make, from the URI-encoded child names', () => {
    const listing = `%7B${own.toLowerCase()}%7D/%7B${user}%7D/{${envelope}}`;
    assert.deepEqual(scanOutcome(list, results([[4, listing]]), new Set([envelope])), { kind: 'listed', foreign: [user] });
    assert.deepEqual(scanOutcome(list, answers({ 4: 404 }), new Set()), { kind: 'listed', foreign: [] });
    assert.deepEqual(scanOutcome(list, new Map(), new Set()), { kind: 'unanswered' });
  });

  it('finds the duplicates by server and address, ignoring case', () => {
    const other = '22222222-3333-4444-8555-666666666666';
    const reads: ScanDetail = { ...list, listCmdId: null, reads: [
      { cmdId: 5, guid: user, path: 'ServerName' }, { cmdId: 6, guid: user, path: 'EmailAddress' },
      { cmdId: 7, guid: other, path: 'ServerName' }, { cmdId: 8, guid: other, path: 'EmailAddress' },
    ] };
    const found = results([[5, 'MAIL.contoso.com'], [6, 'Jane@Contoso.com'], [7, 'other.example'], [8, 'jane@contoso.com']]);
    assert.deepEqual(scanOutcome(reads, found, new Set()), { kind: 'checked', duplicates: [user] });
    found.delete(8);
    assert.deepEqual(scanOutcome(reads, found, new Set()), { kind: 'unanswered' });
  });
});
