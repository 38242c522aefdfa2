import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createTestCa } from '../../sim/apns/apns-test-pki.ts';
import { WindowsMdmStore } from '../../src/store/postgres/windows-mdm-store.ts';
import type { ReadSyncMlCommand } from '../conformance/windows-syncml-reader.ts';
import { enrollTestPc, flatCommands, headerStatusOf, readServerMessage, startWindowsEnvelope, TestWindowsPc, type ServerMessageView, type WindowsTestEnvelope } from '../helpers/windows-pc.ts';

type Dict = Record<string, unknown>;

const writes = (messages: readonly ServerMessageView[]) =>
  messages.flatMap((m) => flatCommands(m.commands)).filter((c) => ['Add', 'Replace', 'Delete'].includes(c.command));
const accountAdds = (messages: readonly ServerMessageView[]) => writes(messages).filter((c) => c.command === 'Add' && /ActiveSync\/Accounts\//.test(c.LocURI ?? ''));
const guidOf = (command: ReadSyncMlCommand) => /Accounts\/%7B([0-9A-F-]+)%7D/.exec(command.LocURI ?? '')?.[1];

describe('Windows OMA-DM management endpoint (DIGEST over inject)', () => {
  let env: WindowsTestEnvelope;

  before(async () => {
    // Commands without an answer are offered again at once, and every session reads profiles back.
    env = await startWindowsEnvelope({ deliveryOptions: { reofferSentAfterMs: 0 }, windowsMdmOptions: { verifyEveryMs: 0, keepMessages: 6 } });
  });
  after(() => env.close());

  /** A user with their own group and PC, so each test's assignments reach only its PC. */
  async function scenario(name: string, options: { mail?: string } = {}): Promise<{ userId: string; groupId: string; pc: TestWindowsPc }> {
    const upn = `${name}-${randomBytes(3).toString('hex')}@contoso.com`;
    const user = await env.request('POST', '/graph/beta/users', { displayName: name, userPrincipalName: upn, mail: options.mail ?? upn, onPremisesSamAccountName: name });
    assert.equal(user.status, 201, JSON.stringify(user.body));
    const group = await env.request('POST', '/graph/beta/groups', { displayName: `${name} ${randomBytes(3).toString('hex')}`, 'members@odata.bind': [`https://graph.microsoft.com/beta/users/${user.body.id}`] });
    assert.equal(group.status, 201, JSON.stringify(group.body));
    const { pc } = await enrollTestPc(env, { userId: user.body.id });
    return { userId: user.body.id, groupId: group.body.id, pc };
  }

  async function mailProfile(displayName: string, hostName: string, extra: Dict = {}): Promise<string> {
    const created = await env.request('POST', '/graph/beta/deviceManagement/deviceConfigurations', {
      '@odata.type': '#microsoft.graph.windows10EasEmailProfileConfiguration', displayName, accountName: displayName, hostName,
      usernameSource: 'userPrincipalName', emailAddressSource: 'userPrincipalName', requireSsl: true, durationOfEmailToSync: 'oneWeek', emailSyncSchedule: 'asMessagesArrive', ...extra,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return created.body.id;
  }

  async function patchProfile(profileId: string, changes: Dict): Promise<void> {
    const reply = await env.request('PATCH', `/graph/beta/deviceManagement/deviceConfigurations/${profileId}`, { '@odata.type': '#microsoft.graph.windows10EasEmailProfileConfiguration', ...changes });
    assert.ok(reply.status === 200 || reply.status === 204, JSON.stringify(reply.body));
  }

  async function assign(profileId: string, groupIds: string[]): Promise<void> {
    const reply = await env.request('POST', `/graph/beta/deviceManagement/deviceConfigurations/${profileId}/assign`, {
      assignments: groupIds.map((groupId) => ({ target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId } })),
    });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
  }

  async function deviceStatus(profileId: string, deviceId: string): Promise<Dict> {
    const reply = await env.request('GET', `/graph/beta/deviceManagement/deviceConfigurations/${profileId}/deviceStatuses`);
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    const row = (reply.body.value as Dict[]).find((r) => String(r.id).includes(deviceId));
    assert.ok(row, `a status row for ${deviceId}: ${JSON.stringify(reply.body.value)}`);
    return row;
  }

  async function ledger(deviceId: string, profileId: string): Promise<{ state: string; attempts: number; target: { accountId: string | null } | null }> {
    const rows = await env.query<{ state: string; attempts: number; target: { accountId: string | null } | null }>(
      'SELECT state, attempts, target FROM delivery_ledger WHERE device_id = $1 AND profile_id = $2', [deviceId, profileId]);
    assert.ok(rows[0], 'a ledger row');
    return rows[0];
  }

  it('installs in the first session: an Atomic with a CmdID on every command, statuses 200 make it compliant, the channel URI is stored', async () => {
    const s = await scenario('ada');
    const profileId = await mailProfile('Contoso mail', 'mail.contoso.com');
    await assign(profileId, [s.groupId]);

    const messages = await s.pc.sync();
    for (const message of messages) {
      assert.deepEqual(message.problems, [], 'every command has a CmdID and one Item');
      const cmdIds = [...message.statuses.map((status) => Number(status.CmdID)), ...flatCommands(message.commands).map((c) => c.CmdID)];
      assert.ok(cmdIds.every((id) => Number.isInteger(id) && id > 0), JSON.stringify(cmdIds));
      assert.equal(new Set(cmdIds).size, cmdIds.length, 'CmdIDs are unique in the message');
      assert.equal(message.statuses[0]!.MsgRef, String(message.MsgID), 'the header status names the message it answers');
    }
    assert.deepEqual(messages.map((m) => m.MsgID), messages.map((_, i) => messages[0]!.MsgID + i), 'MsgIDs increase by one');
    const first = messages[0]!;
    assert.deepEqual(first.statuses.map((st) => [st.CmdRef, st.Cmd, st.Data]), [['0', 'SyncHdr', '200'], ['1', 'Alert', '200'], ['2', 'Alert', '200'], ['3', 'Replace', '200']]);
    assert.ok(first.commands.some((c) => c.command === 'Get' && c.LocURI === './User/Vendor/MSFT/ActiveSync/Accounts'), 'the PC\'s accounts are listed before the install');
    const atomic = messages[1]!.commands.find((c) => c.command === 'Atomic');
    assert.ok(atomic, 'the install Atomic');
    assert.ok(atomic.commands!.length >= 10 && atomic.commands!.every((c) => c.command === 'Add' && c.CmdID > atomic.CmdID));
    assert.ok(first.commands.some((c) => c.command === 'Get' && c.LocURI === './Vendor/MSFT/DMClient/Provider/Envelope/Push/ChannelURI'));

    const guid = guidOf(atomic.commands![0]!)!;
    assert.deepEqual(s.pc.account(guid), {
      EmailAddress: (await env.request('GET', `/graph/beta/users/${s.userId}`)).body.userPrincipalName,
      ServerName: 'mail.contoso.com',
      UserName: (await env.request('GET', `/graph/beta/users/${s.userId}`)).body.userPrincipalName,
      AccountName: 'Contoso mail',
      AccountType: 'Exchange',
      'Options/UseSSL': '1',
      'Options/MailAgeFilter': '3',
      'Options/Schedule': '-1',
      'Options/ContentTypes/%7Bc6d47067-6e92-480e-b0fc-4ba82182fac7%7D/Enabled': '1',
      'Options/ContentTypes/%7B0dd8685c-e272-4fcb-9ecf-2ead7ea2497b%7D/Enabled': '0',
      'Options/ContentTypes/%7B4a5d9fe0-f139-4a63-a5a4-4f31ceea02ad%7D/Enabled': '0',
      'Options/ContentTypes/%7B783ae4f6-4c12-4423-8270-66361260d4f1%7D/Enabled': '0',
    });
    const status = await deviceStatus(profileId, s.pc.deviceId);
    assert.equal(status.status, 'compliant', JSON.stringify(status));
    assert.equal((await ledger(s.pc.deviceId, profileId)).target?.accountId?.toUpperCase(), guid, 'the account GUID is the ledger\'s');
    const [enrollment] = await env.query<{ push_channel_uri: string; login_status: string; last_seen_at: Date | null }>('SELECT push_channel_uri, login_status, last_seen_at FROM windows_enrollments WHERE device_id = $1', [s.pc.deviceId]);
    assert.equal(enrollment!.push_channel_uri, s.pc.channelUri);
    assert.equal(enrollment!.login_status, 'user');
    assert.ok(enrollment!.last_seen_at);
    const [inventory] = await env.query<{ software_version: string; dev_info: Dict }>('SELECT software_version, dev_info FROM windows_mdm_devices WHERE device_id = $1', [s.pc.deviceId]);
    assert.equal(inventory!.software_version, s.pc.softwareVersion);
    assert.equal(inventory!.dev_info.Mod, 'Surface Laptop 5');

    // A new channel URI is stored at the next session.
    s.pc.channelUri = 'https://wns2-by3p.notify.windows.com/w/?token=renewed';
    await s.pc.sync();
    assert.equal((await env.query<{ push_channel_uri: string }>('SELECT push_channel_uri FROM windows_enrollments WHERE device_id = $1', [s.pc.deviceId]))[0]!.push_channel_uri, s.pc.channelUri);
  });

  it('changes nothing for a repeated message or a repeated Status', async () => {
    const s = await scenario('barbara-m');
    const profileId = await mailProfile('Repeat mail', 'repeat.contoso.com');
    await assign(profileId, [s.groupId]);
    const messages = await s.pc.sync({ dropAfter: 2 });
    const install = messages[1]!;
    const answer = s.pc.unsentAnswer!;
    const sessionId = install.SessionID;
    const first = await s.pc.send(answer, { sessionId, msgId: install.MsgID + 1 });
    assert.equal(first.status, 200);
    const before = await ledger(s.pc.deviceId, profileId);
    assert.equal(before.state, 'succeeded');
    const stateRows = await env.query('SELECT confirmed FROM windows_mdm_profile_state WHERE device_id = $1', [s.pc.deviceId]);

    // The same message again (its answer was lost): answered with statuses only, nothing processed.
    const again = await s.pc.send(answer, { sessionId, msgId: install.MsgID + 1 });
    assert.equal(again.status, 200);
    assert.deepEqual(readServerMessage(again.body).commands, []);
    // The same statuses in a new message: the command was answered, so they change nothing.
    const later = await s.pc.send(answer, { sessionId, msgId: install.MsgID + 2 });
    assert.equal(later.status, 200);
    assert.deepEqual(writes([readServerMessage(later.body)]), []);
    assert.deepEqual(await ledger(s.pc.deviceId, profileId), before);
    assert.deepEqual(await env.query('SELECT confirmed FROM windows_mdm_profile_state WHERE device_id = $1', [s.pc.deviceId]), stateRows);
  });

  it('reads the installed account back in a later session and marks it verified; an account deleted on the PC is installed again', async () => {
    const s = await scenario('grace');
    const profileId = await mailProfile('Verified mail', 'verified.contoso.com');
    await assign(profileId, [s.groupId]);
    await s.pc.sync();
    const verifying = await s.pc.sync();
    assert.ok(verifying[0]!.commands.some((c) => c.command === 'Get' && /Accounts\/%7B.+%7D\/ServerName$/.test(c.LocURI ?? '')), 'the written leaves are read back');
    assert.deepEqual(writes(verifying), [], 'nothing is written again');
    const status = await deviceStatus(profileId, s.pc.deviceId);
    assert.equal(status.reasonCode, 'verified', JSON.stringify(status));

    const guid = s.pc.accountGuids()[0]!;
    for (const key of [...s.pc.tree.keys()]) s.pc.tree.delete(key);
    const repair = await s.pc.sync();
    assert.ok(s.pc.account(guid), 'the account is back under the same GUID');
    assert.equal(accountAdds(repair).length, 12, 'installed once, after reading back that nothing is there');
    assert.equal((await deviceStatus(profileId, s.pc.deviceId)).status, 'compliant');
  });

  it('updates in place with only the changed leaves', async () => {
    const s = await scenario('linus');
    const profileId = await mailProfile('Update mail', 'update.contoso.com');
    await assign(profileId, [s.groupId]);
    await s.pc.sync();
    const guid = s.pc.accountGuids()[0]!;
    await patchProfile(profileId, { accountName: 'Renamed mail', durationOfEmailToSync: 'twoWeeks' });

    const messages = await s.pc.sync();
    const atomic = messages.flatMap((m) => m.commands).filter((c) => c.command === 'Atomic');
    assert.equal(atomic.length, 1);
    assert.deepEqual(atomic[0]!.commands!.map((c) => [c.command, c.LocURI!.split('%7D/')[1], c.Data]), [['Replace', 'AccountName', 'Renamed mail'], ['Replace', 'Options/MailAgeFilter', '4']]);
    assert.equal(s.pc.account(guid)!.AccountName, 'Renamed mail');
    assert.deepEqual(s.pc.accountGuids(), [guid]);
    const status = await deviceStatus(profileId, s.pc.deviceId);
    assert.equal(status.status, 'compliant', JSON.stringify(status));
    assert.match(String(status.adminMessage), /Version 2/);
  });

  it('recreates the account after a UserName change: Delete of the old GUID outside the Atomic, then Adds under a new GUID', async () => {
    const s = await scenario('margaret', { mail: `margaret.h-${randomBytes(2).toString('hex')}@contoso.com` });
    const profileId = await mailProfile('Recreate mail', 'recreate.contoso.com');
    await assign(profileId, [s.groupId]);
    await s.pc.sync();
    const [oldGuid] = s.pc.accountGuids();
    await patchProfile(profileId, { usernameSource: 'primarySmtpAddress' });

    const messages = await s.pc.sync();
    const top = messages.flatMap((m) => m.commands).filter((c) => c.command !== 'Get');
    assert.deepEqual(top.map((c) => c.command), ['Delete', 'Atomic']);
    assert.equal(guidOf(top[0]!), oldGuid);
    assert.match(top[0]!.LocURI!, /Accounts\/%7B[0-9A-F-]+%7D$/, 'the account node is deleted, not a leaf');
    const newGuid = guidOf(top[1]!.commands![0]!)!;
    assert.notEqual(newGuid, oldGuid);
    assert.ok(top[1]!.commands!.every((c) => c.command === 'Add' && guidOf(c) === newGuid));
    assert.deepEqual(s.pc.accountGuids(), [newGuid]);
    assert.match(s.pc.account(newGuid)!.UserName!, /^margaret\.h-/);
    assert.equal((await deviceStatus(profileId, s.pc.deviceId)).status, 'compliant');
  });

  it('removes an unassigned profile with a Delete of its account (another email profile stays)', async () => {
    const s = await scenario('barbara');
    const keep = await mailProfile('Kept mail', 'kept.contoso.com');
    const drop = await mailProfile('Dropped mail', 'dropped.contoso.com');
    await assign(keep, [s.groupId]);
    await assign(drop, [s.groupId]);
    await s.pc.sync();
    assert.equal(s.pc.accountGuids().length, 2);
    const dropGuid = (await ledger(s.pc.deviceId, drop)).target!.accountId!.toUpperCase();
    await assign(drop, []);

    const messages = await s.pc.sync();
    const removal = writes(messages);
    assert.deepEqual(removal.map((c) => [c.command, guidOf(c)]), [['Delete', dropGuid]]);
    assert.equal(s.pc.accountGuids().length, 1);
    assert.equal(s.pc.account(dropGuid), null);
    assert.equal((await ledger(s.pc.deviceId, drop)).state, 'removed');
    assert.equal((await deviceStatus(keep, s.pc.deviceId)).status, 'compliant');
  });

  it('never sends an account Add twice: a lost answer (crash) and a 418 both lead to a Get of what is there', async () => {
    // The PC applies the install but its answer never arrives.
    const s = await scenario('edsger');
    const profileId = await mailProfile('Crash mail', 'crash.contoso.com');
    await assign(profileId, [s.groupId]);
    const lost = await s.pc.sync({ dropAfter: 2 });
    assert.equal(accountAdds(lost).length, 12);
    const guid = s.pc.accountGuids()[0]!;
    assert.equal((await ledger(s.pc.deviceId, profileId)).state, 'sent');

    const next = await s.pc.sync();
    assert.deepEqual(accountAdds(next), [], 'no second Add');
    assert.ok(next[0]!.commands.filter((c) => c.command === 'Get' && guidOf(c) === guid).length >= 10, 'the account is read back');
    assert.deepEqual(s.pc.accountGuids(), [guid]);
    assert.equal((await deviceStatus(profileId, s.pc.deviceId)).status, 'compliant');
    assert.equal((await ledger(s.pc.deviceId, profileId)).attempts, 1);

    // An account the PC already holds, which Envelope has no record of sending: the Add answers 418.
    const t = await scenario('tony');
    const other = await mailProfile('Existing mail', 'existing.contoso.com');
    t.pc.loginStatus = 'none';
    await assign(other, [t.groupId]);
    await t.pc.sync();
    const accountId = (await ledger(t.pc.deviceId, other)).target!.accountId!.toUpperCase();
    for (const [leaf, value] of Object.entries(s.pc.account(guid)!)) {
      t.pc.tree.set(`./User/Vendor/MSFT/ActiveSync/Accounts/%7B${accountId}%7D/${leaf}`, leaf === 'ServerName' ? 'existing.contoso.com' : leaf === 'AccountName' ? 'Existing mail' : value);
    }
    t.pc.tree.set(`./User/Vendor/MSFT/ActiveSync/Accounts/%7B${accountId}%7D/EmailAddress`, (await env.request('GET', `/graph/beta/users/${t.userId}`)).body.userPrincipalName);
    t.pc.tree.set(`./User/Vendor/MSFT/ActiveSync/Accounts/%7B${accountId}%7D/UserName`, (await env.request('GET', `/graph/beta/users/${t.userId}`)).body.userPrincipalName);
    t.pc.loginStatus = 'user';
    const session = await t.pc.sync();
    assert.equal(session.flatMap((m) => m.commands).filter((c) => c.command === 'Atomic').length, 1, 'one install Atomic, answered 418');
    const afterAdd = session.findIndex((m) => m.commands.some((c) => c.command === 'Atomic'));
    assert.ok(session[afterAdd + 1]!.commands.some((c) => c.command === 'Get' && guidOf(c) === accountId), 'the 418 is followed by Gets of the account');
    assert.equal((await deviceStatus(other, t.pc.deviceId)).status, 'compliant');
  });

  it('replaces a user-made account for the same server and address, keeps the user\'s other accounts, and says so', async () => {
    const s = await scenario('frances');
    const address = (await env.request('GET', `/graph/beta/users/${s.userId}`)).body.userPrincipalName as string;
    const duplicate = randomUUID().toUpperCase();
    const unrelated = randomUUID().toUpperCase();
    const userAccount = (guid: string, leaves: Record<string, string>) => {
      for (const [leaf, value] of Object.entries(leaves)) s.pc.tree.set(`./User/Vendor/MSFT/ActiveSync/Accounts/%7B${guid}%7D/${leaf}`, value);
    };
    userAccount(duplicate, { ServerName: 'MAIL.Frances.Contoso.com', EmailAddress: address.toUpperCase(), AccountName: 'My work mail', AccountType: 'Exchange' });
    userAccount(unrelated, { ServerName: 'eas.elsewhere.example', EmailAddress: address, AccountName: 'Other mail', AccountType: 'Exchange' });
    const profileId = await mailProfile('Frances mail', 'mail.frances.contoso.com');
    await assign(profileId, [s.groupId]);

    const messages = await s.pc.sync();
    const removal = writes(messages).filter((c) => c.command === 'Delete');
    assert.deepEqual(removal.map(guidOf), [duplicate]);
    assert.equal(s.pc.account(duplicate), null);
    assert.ok(s.pc.account(unrelated), 'the user\'s account for another server stays');
    const ours = (await ledger(s.pc.deviceId, profileId)).target!.accountId!.toUpperCase();
    assert.equal(s.pc.account(ours)!.ServerName, 'mail.frances.contoso.com');
    const status = await deviceStatus(profileId, s.pc.deviceId);
    assert.equal(status.status, 'compliant', JSON.stringify(status));
    assert.match(String(status.adminMessage), new RegExp(`replaced an Exchange account the user had set up on the PC for the same server and address \\(\\{${duplicate}\\}\\)`));
  });

  it('reports a rolled-back Atomic as an error naming the command that failed', async () => {
    const s = await scenario('alan');
    const profileId = await mailProfile('Rollback mail', 'rollback.contoso.com');
    await assign(profileId, [s.groupId]);
    s.pc.statusFor = (command) => (command.command === 'Add' && command.LocURI?.endsWith('/Options/UseSSL') ? 405 : undefined);
    const messages = await s.pc.sync();
    assert.equal(accountAdds(messages).length, 12);
    assert.deepEqual(s.pc.accountGuids(), [], 'the PC rolled everything back');
    const status = await deviceStatus(profileId, s.pc.deviceId);
    assert.equal(status.status, 'error', JSON.stringify(status));
    assert.match(String(status.adminMessage), /SyncML 405/);
    assert.match(String(status.adminMessage), /Options\/UseSSL answered 405: command not allowed/);
    assert.match(String(status.adminMessage), /11 other commands were rolled back \(216\)/);
    assert.match(String(status.adminMessage), /Not retried automatically/);
  });

  it('holds ./User commands while nobody is logged in, without counting an attempt; ./Device certificates go out', async () => {
    const s = await scenario('katherine');
    const profileId = await mailProfile('Held mail', 'held.contoso.com');
    const ca = await createTestCa('Contoso Root');
    const root = await env.request('POST', '/graph/beta/deviceManagement/deviceConfigurations', {
      '@odata.type': '#microsoft.graph.windows81TrustedRootCertificate', displayName: `Contoso root ${randomBytes(2).toString('hex')}`,
      trustedRootCertificate: Buffer.from(ca.certificate.rawData).toString('base64'), certFileName: 'root.cer', destinationStore: 'computerCertStoreRoot',
    });
    assert.equal(root.status, 201, JSON.stringify(root.body));
    await assign(profileId, [s.groupId]);
    await assign(root.body.id, [s.groupId]);

    s.pc.loginStatus = 'none';
    const held = await s.pc.sync();
    assert.deepEqual(writes(held).map((c) => c.LocURI!.replace(/Root\/[0-9A-F]{40}/, 'Root/<thumbprint>')), ['./Device/Vendor/MSFT/RootCATrustedCertificates/Root/<thumbprint>/EncodedCertificate']);
    assert.deepEqual(s.pc.accountGuids(), []);
    assert.deepEqual(await ledger(s.pc.deviceId, profileId).then((row) => [row.state, row.attempts]), ['pending', 1]);
    assert.equal((await deviceStatus(profileId, s.pc.deviceId)).status, 'unknown');
    assert.equal((await deviceStatus(root.body.id, s.pc.deviceId)).status, 'compliant');

    s.pc.loginStatus = 'user';
    const released = await s.pc.sync();
    assert.equal(accountAdds(released).length, 12);
    assert.deepEqual(await ledger(s.pc.deviceId, profileId).then((row) => [row.state, row.attempts]), ['succeeded', 1]);
  });

  it('disables the enrollment on Alert 1226, marks what the PC held removed with the reason, and refuses later sessions', async () => {
    const s = await scenario('grace-h');
    const profileId = await mailProfile('Leaving mail', 'leaving.contoso.com');
    await assign(profileId, [s.groupId]);
    await s.pc.sync({ dropAfter: 2 });
    const unenroll = '<Alert><CmdID>4</CmdID><Data>1226</Data><Item><Meta><Type xmlns="syncml:metinf">com.microsoft:mdm.unenrollment.userrequest</Type><Format xmlns="syncml:metinf">int</Format></Meta><Data>1</Data></Item></Alert>';
    const messages = await s.pc.sync({ extraAlerts: unenroll });
    assert.deepEqual(messages[0]!.commands, [], 'nothing more is sent');
    assert.equal(messages[0]!.statuses.find((st) => st.CmdRef === '4')?.Data, '200');
    assert.equal((await env.query<{ enabled: boolean }>('SELECT enabled FROM windows_enrollments WHERE device_id = $1', [s.pc.deviceId]))[0]!.enabled, false);
    // The whole row went with the enrollment: Windows removes what the MDM configured when it unenrolls.
    const states = (await env.request('GET', `/graph/beta/deviceManagement/managedDevices/${s.pc.deviceId}/deviceConfigurationStates`)).body.value as Record<string, unknown>[];
    const state = states.find((row) => String(row.id).includes(profileId));
    assert.ok(state, JSON.stringify(states));
    assert.equal(state.state, 'notAssigned', JSON.stringify(state));
    assert.equal(state.reasonCode, 'deviceUnenrolled');
    assert.match(String(state.adminMessage), /left management \(unenrolled\)/);
    const overview = await env.request('GET', `/graph/beta/deviceManagement/deviceConfigurations/${profileId}/deviceStatusOverview`);
    assert.equal(overview.body.errorCount + overview.body.pendingCount + overview.body.successCount, 0, 'out of the counts');

    const refused = await s.pc.send('<Alert><CmdID>1</CmdID><Data>1201</Data></Alert>', { sessionId: 'AA', msgId: 1 });
    assert.equal(refused.status, 200);
    assert.equal(headerStatusOf(refused.body), '401');
    assert.equal(readServerMessage(refused.body).commands.length, 0);
  });

  it('refuses a wrong or replayed credential, an unknown PC, another PC\'s session, malformed XML and WBXML, and changes nothing', async () => {
    const s = await scenario('ken');
    const profileId = await mailProfile('Guarded mail', 'guarded.contoso.com');
    await assign(profileId, [s.groupId]);
    const pending = (await s.pc.sync({ dropAfter: 2 })).filter((m) => m.commands.some((c) => c.command === 'Atomic'));
    const atomic = pending[0]!.commands.find((c) => c.command === 'Atomic')!;
    const { pc: intruder } = await enrollTestPc(env, { userId: null });
    // What the refused requests must not change; the two sessions valid credentials open below (B2, C0) are left out.
    const snapshot = async () => Promise.all([
      env.count('delivery_ledger'),
      env.count('delivery_commands'),
      env.count('windows_mdm_profile_state'),
      env.query<{ n: number }>("SELECT count(*)::int AS n FROM windows_mdm_sessions WHERE session_id NOT IN ('B2', 'C0')").then((rows) => rows[0]!.n),
      env.query<{ n: number }>("SELECT count(*)::int AS n FROM windows_mdm_sent WHERE session_id NOT IN ('B2', 'C0')").then((rows) => rows[0]!.n),
      ledger(s.pc.deviceId, profileId).then((row) => row.state),
    ]);
    const before = await snapshot();

    // A wrong secret: challenged (SyncHdr status 401, in an HTTP 200) with a fresh nonce, and again with it.
    const secret = s.pc.digestSecret;
    s.pc.digestSecret = 'not-the-secret';
    const wrong = await s.pc.send('<Alert><CmdID>1</CmdID><Data>1201</Data></Alert>', { sessionId: 'B1', msgId: 1 });
    assert.equal(wrong.status, 200);
    const challenge = readServerMessage(wrong.body);
    assert.deepEqual(challenge.statuses.map((st) => [st.CmdRef, st.Cmd, st.Data]), [['0', 'SyncHdr', '401']], 'the message is not processed: only the header status');
    assert.deepEqual(challenge.commands, []);
    assert.equal(Buffer.from(challenge.statuses[0]!.NextNonce!, 'base64').length, 16);
    assert.equal(headerStatusOf((await s.pc.send('<Alert><CmdID>1</CmdID><Data>1201</Data></Alert>', { sessionId: 'B1', msgId: 2 })).body), '401');
    s.pc.digestSecret = secret;

    // A credential for a nonce another session used (replay): refused.
    const fresh = await s.pc.send('<Alert><CmdID>1</CmdID><Data>1201</Data></Alert>', { sessionId: 'B2', msgId: 1 });
    assert.equal(headerStatusOf(fresh.body), '200', fresh.body);
    const usedNonce = s.pc.nonce;
    const replay = await s.pc.send('<Alert><CmdID>1</CmdID><Data>1201</Data></Alert>', { sessionId: 'B3', msgId: 1 });
    assert.equal(headerStatusOf(replay.body), '401');
    assert.deepEqual(s.pc.nonce.equals(usedNonce), false, 'the challenge brings a new nonce');

    // No credential at all: 407.
    s.pc.sendCredentials = false;
    const bare = await s.pc.send('<Alert><CmdID>1</CmdID><Data>1201</Data></Alert>', { sessionId: 'B4', msgId: 1 });
    assert.equal(readServerMessage(bare.body).statuses[0]!.Data, '407');
    s.pc.sendCredentials = true;

    // An unknown PC gets the same challenge, and no nonce is stored for it.
    const nonces = await env.count('windows_mdm_nonces');
    const stranger = new TestWindowsPc({ deviceId: 'none', windowsDeviceId: 'NOT-ENROLLED', digestUserName: 'x', digestSecret: 'y', transport: env.inject, serverUrl: 'https://envelope.test/ManagementServer/MDM.svc' });
    const unknown = await stranger.send('<Alert><CmdID>1</CmdID><Data>1201</Data></Alert>', { sessionId: '1', msgId: 1 });
    assert.equal(headerStatusOf(unknown.body), '401');
    assert.notEqual(readServerMessage(unknown.body).statuses[0]!.NextNonce, null);
    assert.equal(await env.count('windows_mdm_nonces'), nonces);

    // Another (authenticated) PC answering the first PC's commands under its session id.
    const answers = `<Status><CmdID>1</CmdID><MsgRef>${pending[0]!.MsgID}</MsgRef><CmdRef>0</CmdRef><Cmd>SyncHdr</Cmd><Data>200</Data></Status>`
      + [atomic, ...atomic.commands!].map((c, i) => `<Status><CmdID>${i + 2}</CmdID><MsgRef>${pending[0]!.MsgID}</MsgRef><CmdRef>${c.CmdID}</CmdRef><Cmd>${c.command}</Cmd><Data>200</Data></Status>`).join('');
    assert.equal(headerStatusOf((await intruder.send('<Alert><CmdID>1</CmdID><Data>1201</Data></Alert>', { sessionId: 'C0', msgId: 1 })).body), '200', 'the provisioned nonce opens its first session');
    assert.equal(headerStatusOf((await intruder.send('<Alert><CmdID>1</CmdID><Data>1201</Data></Alert>', { sessionId: 'C1', msgId: 1 })).body), '401', 'and no other');
    const hijack = await intruder.send(answers, { sessionId: pending[0]!.SessionID, msgId: pending[0]!.MsgID + 1 });
    assert.equal(hijack.status, 400, hijack.body);
    assert.match(hijack.body, /no open session/);

    // Malformed XML and WBXML: plain-text refusals without SyncML.
    const malformed = await env.inject('<SyncML xmlns="SYNCML:SYNCML1.2"><SyncHdr><VerDTD>1.2</VerDTD>');
    assert.equal(malformed.status, 400);
    assert.match(malformed.body, /^Unreadable SyncML message: not well-formed XML/);
    const incomplete = await env.inject(s.pc.message('<Alert><Data>1201</Data></Alert>', 'B5', 1));
    assert.equal(incomplete.status, 400);
    assert.match(incomplete.body, /SyncBody\/Alert\[1\]\/CmdID/);
    const wbxml = await env.inject('\u0002\u0000', 'application/vnd.syncml.dm+wbxml');
    assert.equal(wbxml.status, 415);
    assert.match(wbxml.body, /WBXML is not supported/);

    assert.deepEqual(await snapshot(), before);
    assert.equal(before[5], 'sent');
  });

  it('lets maintenance delete idle sessions with what was sent in them, and expired nonces', async () => {
    const s = await scenario('barbara-l');
    await s.pc.sync();
    const forDevice = async (table: string) => (await env.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE device_id = $1`, [s.pc.deviceId]))[0]!.n;
    assert.ok(await forDevice('windows_mdm_sessions') >= 1);
    assert.ok(await forDevice('windows_mdm_sent') >= 1);
    assert.ok(await forDevice('windows_mdm_nonces') >= 1);
    const round = await env.envelope.maintenance.runOnce();
    assert.equal(typeof round.windowsMdm, 'number');
    assert.ok(await forDevice('windows_mdm_sessions') >= 1, 'a session of today stays');

    const later = Date.now() + 2 * 24 * 3600_000;
    const pruned = await new WindowsMdmStore(env.envelope.db).prune(later, later - 24 * 3600_000, 10_000);
    assert.ok(pruned.sessions >= 1 && pruned.nonces >= 1, JSON.stringify(pruned));
    assert.deepEqual([await forDevice('windows_mdm_sessions'), await forDevice('windows_mdm_sent'), await forDevice('windows_mdm_nonces')], [0, 0, 0]);
  });

  it('keeps the PC\'s last messages for support, without credentials, bounded', async () => {
    const s = await scenario('hedy');
    for (let i = 0; i < 4; i++) await s.pc.sync();
    const kept = await env.query<{ body: string; msg_id: number }>('SELECT body, msg_id FROM windows_mdm_messages WHERE device_id = $1 ORDER BY id', [s.pc.deviceId]);
    assert.equal(kept.length, 6);
    for (const message of kept) {
      assert.match(message.body, /<Cred>\[removed\]<\/Cred>/);
      assert.doesNotMatch(message.body, /syncml:auth-md5/);
    }

    // The admin reads them, newest first; a read-only token may not, and another id is a 404.
    const path = `/graph/beta/deviceManagement/managedDevices/${s.pc.deviceId}/envelope/protocolMessages`;
    const shown = await env.request('GET', path);
    assert.equal(shown.status, 200, JSON.stringify(shown.body));
    assert.deepEqual(shown.body.value.map((m: { body: string }) => m.body), kept.map((m) => m.body).reverse());
    assert.equal(typeof shown.body.value[0].receivedDateTime, 'string');
    const readOnly = (await env.envelope.services.tenants.createToken('default', 'readOnly')).token;
    const refused = await env.envelope.app.inject({ method: 'GET', url: path, headers: { authorization: `Bearer ${readOnly}` } });
    assert.equal(refused.statusCode, 403);
    assert.equal((await env.request('GET', `/graph/beta/deviceManagement/managedDevices/${randomUUID()}/envelope/protocolMessages`)).status, 404);
  });
});
