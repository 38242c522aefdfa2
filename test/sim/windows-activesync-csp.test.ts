import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCommands } from '../../sim/windows/command-runner.ts';
import { DmTree, type LoginStatus } from '../../sim/windows/dm-tree.ts';
import { readServerMessage, type DeviceCommand } from '../../sim/windows/syncml.ts';

const root = './User/Vendor/MSFT/ActiveSync/Accounts';
const guid = '%7B0F6B3E1D-2C4A-4B7E-9D8F-1A2B3C4D5E6F%7D';
const account = `${root}/${guid}`;
const email = '%7Bc6d47067-6e92-480e-b0fc-4ba82182fac7%7D';

function newTree(options: { kind?: 'pc' | 'phone'; events?: string[] } = {}): DmTree {
  return new DmTree({
    providerId: 'Envelope',
    facts: { deviceId: 'DEV1', manufacturer: 'Microsoft Corporation', model: 'sim', dmVersion: '1.3', language: 'en-US', swVersion: '10.0.26100', oem: 'sim', deviceName: 'PC', serialNumber: 'S1', osPlatform: 'Windows 11 Pro', kind: options.kind ?? 'pc' },
    channelUriFor: () => 'https://wns.sim.invalid/?token=abc',
    onEvent: (event) => options.events?.push(event.kind),
  });
}

let cmdIds = 0;
const add = (target: string, data: string, format = 'chr') => `<Add><CmdID>${++cmdIds}</CmdID><Item><Target><LocURI>${target}</LocURI></Target><Meta><Format xmlns="syncml:metinf">${format}</Format></Meta><Data>${data}</Data></Item></Add>`;
const replace = (target: string, data: string) => `<Replace><CmdID>${++cmdIds}</CmdID><Item><Target><LocURI>${target}</LocURI></Target><Meta><Format xmlns="syncml:metinf">chr</Format></Meta><Data>${data}</Data></Item></Replace>`;
const del = (target: string) => `<Delete><CmdID>${++cmdIds}</CmdID><Item><Target><LocURI>${target}</LocURI></Target></Item></Delete>`;
const get = (target: string) => `<Get><CmdID>${++cmdIds}</CmdID><Item><Target><LocURI>${target}</LocURI></Target></Item></Get>`;
const atomic = (...commands: string[]) => `<Atomic><CmdID>${++cmdIds}</CmdID>${commands.join('')}</Atomic>`;

const createAccount = (id = account) => [
  add(`${id}/EmailAddress`, 'jane@contoso.com'), add(`${id}/ServerName`, 'mail.contoso.com'), add(`${id}/UserName`, 'jane'),
  add(`${id}/Password`, 'hunter2'), add(`${id}/AccountName`, 'Work'), add(`${id}/AccountType`, 'Exchange'),
  add(`${id}/Options/UseSSL`, '1'), add(`${id}/Options/MailAgeFilter`, '3'), add(`${id}/Options/ContentTypes/${email}/Enabled`, '1'),
];

/** Runs one server message (its SyncBody commands) and returns the device's answers. */
function send(tree: DmTree, commands: string[], loginStatus: LoginStatus = 'user'): { statuses: (DeviceCommand & { kind: 'Status' })[]; results: (DeviceCommand & { kind: 'Results' })[] } {
  const message = readServerMessage(`<SyncML xmlns="SYNCML:SYNCML1.2"><SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto><SessionID>1</SessionID><MsgID>1</MsgID><Target><LocURI>DEV1</LocURI></Target><Source><LocURI>https://mdm</LocURI></Source></SyncHdr><SyncBody>${commands.join('')}<Final/></SyncBody></SyncML>`);
  let id = 0;
  const outcome = runCommands(message.commands, { tree, loginStatus, serverMsgId: '1', nextCmdId: () => ++id });
  return {
    statuses: outcome.answers.filter((answer): answer is DeviceCommand & { kind: 'Status' } => answer.kind === 'Status'),
    results: outcome.answers.filter((answer): answer is DeviceCommand & { kind: 'Results' } => answer.kind === 'Results'),
  };
}

const codes = (answer: ReturnType<typeof send>) => answer.statuses.map((status) => `${status.cmd}:${status.code}`);

describe('ActiveSync CSP store (DDF and activesync-csp.md rules)', () => {
  it('creates an account with an Atomic of Adds, and Get returns its values but asterisks for the password', () => {
    const tree = newTree();
    assert.deepEqual(codes(send(tree, [atomic(...createAccount())])), ['Atomic:200', ...Array(9).fill('Add:200')]);
    const [created] = tree.activeSync.accounts();
    assert.equal(created?.guid, '{0F6B3E1D-2C4A-4B7E-9D8F-1A2B3C4D5E6F}');
    assert.equal(created?.values.ServerName, 'mail.contoso.com');
    assert.equal(created?.passwordSet, true);
    assert.equal('Password' in created!.values, false);
    const answer = send(tree, [get(`${account}/Password`), get(`${account}/ServerName`), get(`${account}/Options/Schedule`), get(root)]);
    assert.deepEqual(codes(answer), ['Get:200', 'Get:200', 'Get:200', 'Get:200']);
    assert.deepEqual(answer.results.map((result) => result.items[0]!.data), ['********', 'mail.contoso.com', '-1', guid]);
    assert.ok(answer.results.every((result) => !JSON.stringify(result).includes('hunter2')));
  });

  it('answers 418 to an Add of an account that exists, and the re-provisioned account is deleted as documented', () => {
    const events: string[] = [];
    const tree = newTree({ events });
    send(tree, [atomic(...createAccount())]);
    const again = send(tree, [atomic(...createAccount())]);
    assert.equal(again.statuses[0]!.code, 507, 'the Atomic failed');
    assert.ok(again.statuses.slice(1).every((status) => status.code === 418), 'each Add found its node');
    // activesync-csp.md: "Provisioning with an account that has the same GUID as an existing one deletes the existing account and does not create the new account."
    assert.deepEqual(tree.activeSync.accounts(), []);
    assert.deepEqual(events, ['account-deleted-by-reprovisioning']);
    assert.equal(send(tree, [get(`${account}/ServerName`)]).statuses[0]!.code, 404);
  });

  it('answers 418 to an Add of the account node itself when it exists', () => {
    const tree = newTree();
    assert.deepEqual(codes(send(tree, [add(account, '', 'node')])), ['Add:200']);
    assert.deepEqual(codes(send(tree, [add(account, '', 'node')])), ['Add:418']);
  });

  it('rolls back an Atomic when one child fails: the children answer 216, the failing one its code, the Atomic 507, nothing is kept', () => {
    const tree = newTree();
    const answer = send(tree, [atomic(...createAccount(), add(`${account}/Options/MailAgeFilter`, '9'))]);
    assert.equal(answer.statuses[0]!.cmd, 'Atomic');
    assert.equal(answer.statuses[0]!.code, 507);
    assert.deepEqual(answer.statuses.slice(1).map((status) => status.code), [...Array(9).fill(216), 400], 'MailAgeFilter 9 is outside the DDF enum');
    assert.deepEqual(tree.activeSync.accounts(), []);
  });

  it('keeps creation-time leaves from being added later, AccountType from being replaced, UserName after a sync, and refuses their Delete', () => {
    const tree = newTree();
    send(tree, [atomic(...createAccount())]);
    assert.deepEqual(codes(send(tree, [replace(`${account}/AccountType`, 'Exchange')])), ['Replace:405']);
    assert.deepEqual(codes(send(tree, [replace(`${account}/UserName`, 'other')])), ['Replace:405']);
    assert.deepEqual(codes(send(tree, [del(`${account}/EmailAddress`), del(`${account}/Options/UseSSL`)])), ['Delete:405', 'Delete:405']);
    // Leaves that can change: Replace works and only they change.
    assert.deepEqual(codes(send(tree, [replace(`${account}/ServerName`, 'mail2.contoso.com'), replace(`${account}/Password`, 'new'), replace(`${account}/Options/Schedule`, '15')])), ['Replace:200', 'Replace:200', 'Replace:200']);
    assert.equal(tree.activeSync.accounts()[0]!.values.ServerName, 'mail2.contoso.com');
    // Domain and Password may be added after creation; Domain then exists (418 on a second Add).
    assert.deepEqual(codes(send(tree, [add(`${account}/Domain`, 'CONTOSO')])), ['Add:200']);
    assert.deepEqual(codes(send(tree, [add(`${account}/Domain`, 'CONTOSO')])), ['Add:418']);
    assert.equal(tree.activeSync.accounts().length, 1, 'Domain is not a creation-time leaf: no re-provisioning');
    // An Add of a creation-time leaf after creation re-provisions the account, which deletes it.
    assert.deepEqual(codes(send(tree, [add(`${account}/AccountName`, 'Work 2')])), ['Add:418']);
    assert.deepEqual(tree.activeSync.accounts(), []);
  });

  it('deletes an account, and answers 404 to a Delete, Replace or Get of what is not there', () => {
    const tree = newTree();
    send(tree, [atomic(...createAccount())]);
    assert.deepEqual(codes(send(tree, [del(account)])), ['Delete:200']);
    assert.deepEqual(tree.activeSync.accounts(), []);
    assert.deepEqual(codes(send(tree, [del(account), replace(`${account}/ServerName`, 'x'), get(account), del(`${account}/Domain`)])), ['Delete:404', 'Replace:404', 'Get:404', 'Delete:404']);
  });

  it('checks paths and values against the DDF: unknown nodes 404, operations the DDF does not allow 405, bad values 400, wrong format 415', () => {
    const tree = newTree();
    assert.deepEqual(codes(send(tree, [
      add(`${account}/Nickname`, 'x'),
      add(`${root}/NOT-A-GUID/EmailAddress`, 'jane@contoso.com'),
      add(`${account}/Options/ContentTypes/%7B00000000-0000-0000-0000-000000000000%7D/Enabled`, '1'),
      add(`${root}/{0F6B3E1D-2C4A-4B7E-9D8F-1A2B3C4D5E6F}/EmailAddress`, 'jane@contoso.com'),
      add(root, '', 'node'),
      replace('./User/Vendor/MSFT/ActiveSync', 'x'),
      add(`${account}/Options/UseSSL`, 'yes'),
      add(`${account}/Options/Schedule`, '-2'),
      add(`${account}/EmailAddress`, 'not-an-address'),
      add(`${account}/AccountType`, 'POP'),
      add(`${account}/Options/Logging`, '1', 'int'),
    ])), ['Add:404', 'Add:404', 'Add:404', 'Add:404', 'Add:405', 'Replace:405', 'Add:400', 'Add:400', 'Add:400', 'Add:400', 'Add:415']);
    assert.deepEqual(tree.activeSync.accounts(), []);
  });

  it('does not support ContentTypes/{GUID}/Name or an Add then Replace of one node inside an Atomic', () => {
    const tree = newTree();
    const name = send(tree, [atomic(...createAccount(), add(`${account}/Options/ContentTypes/${email}/Name`, 'Email'))]);
    assert.equal(name.statuses[0]!.code, 507);
    assert.equal(name.statuses.at(-1)!.code, 500);
    const addThenReplace = send(tree, [atomic(...createAccount(), replace(`${account}/ServerName`, 'other'))]);
    assert.equal(addThenReplace.statuses[0]!.code, 507);
    assert.equal(addThenReplace.statuses.at(-1)!.code, 500);
    assert.deepEqual(tree.activeSync.accounts(), []);
  });

  it('fails ./User commands while the enrolled user is not logged in', () => {
    const tree = newTree();
    assert.deepEqual(codes(send(tree, [atomic(...createAccount())], 'none')).slice(0, 2), ['Atomic:507', 'Add:500']);
    assert.deepEqual(codes(send(tree, [get(root)], 'others')), ['Get:500']);
  });

  it('serves the deprecated ./Vendor/MSFT/ActiveSync path from the 1607 DDF, and on a Windows Phone only that path', () => {
    const legacy = './Vendor/MSFT/ActiveSync/Accounts/' + guid;
    const pc = newTree();
    assert.equal(send(pc, [atomic(...createAccount(legacy))]).statuses[0]!.code, 200);
    assert.equal(pc.activeSync.accounts().length, 1);
    const phone = newTree({ kind: 'phone' });
    assert.deepEqual(codes(send(phone, [add(`${account}/EmailAddress`, 'jane@contoso.com')])), ['Add:404']);
    assert.equal(send(phone, [atomic(...createAccount(legacy))]).statuses[0]!.code, 200);
  });

  it('replaces a user-made account with the same host and address when MDM provisions it (Intune: "overwrites the user\'s profile")', () => {
    const events: string[] = [];
    const tree = newTree({ events });
    tree.activeSync.addUserAccount('MAIL.contoso.com', 'Jane@Contoso.com');
    tree.activeSync.addUserAccount('other.contoso.com', 'jane@contoso.com');
    send(tree, [atomic(...createAccount())]);
    assert.deepEqual(tree.activeSync.userAccounts().map((item) => item.host), ['other.contoso.com']);
    assert.deepEqual(events, ['user-account-replaced']);
    assert.throws(() => tree.activeSync.addUserAccount('mail.contoso.com', 'jane@contoso.com'), /already exists/);
  });

  it('answers DMClient, DevDetail and RootCATrustedCertificates nodes', () => {
    const tree = newTree();
    const push = './Vendor/MSFT/DMClient/Provider/Envelope/Push';
    let answer = send(tree, [get(`${push}/ChannelURI`), get('./DevDetail/SwV'), get('./DevDetail/Ext/Microsoft/SMBIOSSerialNumber'), replace('./DevDetail/SwV', 'x'), get('./Vendor/MSFT/Nope')]);
    assert.deepEqual(codes(answer), ['Get:200', 'Get:200', 'Get:200', 'Replace:405', 'Get:404']);
    assert.deepEqual(answer.results.map((result) => result.items[0]!.data), ['', '10.0.26100', 'S1'], 'no ChannelURI while no PFN is set');
    answer = send(tree, [replace(`${push}/PFN`, 'Envelope.MDM_8wekyb3d8bbwe'), get(`${push}/ChannelURI`), get('./Device/Vendor/MSFT/DMClient/Provider/Envelope/Push/Status')]);
    assert.deepEqual(answer.results.map((result) => result.items[0]!.data), ['https://wns.sim.invalid/?token=abc', '0']);
    assert.deepEqual(codes(send(tree, [add('./Device/Vendor/MSFT/RootCATrustedCertificates/Root/ABCDEF/EncodedCertificate', 'bm90IGEgY2VydA==', 'b64')])), ['Add:400']);
  });
});
