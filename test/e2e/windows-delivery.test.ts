import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SyncMlAuthenticationError, runOmaDmSession } from '../../sim/windows/oma-dm-session.ts';
import { PcNetworkError } from '../../sim/windows/pc-http.ts';
import type { SimulatedPc } from '../../sim/windows/simulated-pc.ts';
import { encodeDeviceMessage, readServerMessage } from '../../sim/windows/syncml.ts';
import {
  accountWrites, enrollPc, eventually, headerStatus, postSyncMl, serverCommandsOf, startWindowsE2e, windowsAdmin, wnsApp, type WindowsE2e,
} from '../helpers/windows-e2e.ts';

/**
 * Issue 8's end-to-end scenarios: simulated Windows PCs (sim/windows, written from Microsoft's
 * documents) enroll over MS-MDE2 and are managed over OMA-DM by a real Envelope over HTTPS on
 * 127.0.0.1, on the suite's database backend (PGlite, or PostgreSQL with TEST_DATABASE_URL). One
 * server for the suite; each test has its own user and PC.
 */
describe('delivering email profiles to simulated Windows PCs over HTTPS', () => {
  let e2e: WindowsE2e;
  let admin: ReturnType<typeof windowsAdmin>;

  before(async () => {
    e2e = await startWindowsE2e();
    admin = windowsAdmin(e2e);
  });
  after(() => e2e.close());

  /** A user in a group of their own and their PC, enrolled and through its first session. */
  async function userWithPc(name: string, options: Parameters<typeof enrollPc>[3] & { mail?: string } = {}) {
    const user = await admin.user(name, options.mail === undefined ? {} : { mail: options.mail });
    const pc = await enrollPc(e2e, await admin.enrollmentToken(user.userId), user.upn, options);
    await pc.runSession('enrollment');
    const deviceId = await admin.managedDeviceId(pc);
    return { ...user, pc, deviceId };
  }

  /** Sessions until one in which the server writes nothing, only reads (at most `max`); the account writes of them all. */
  async function settle(pc: SimulatedPc, max = 4): Promise<ReturnType<typeof accountWrites>> {
    const writes: ReturnType<typeof accountWrites> = [];
    for (let i = 0; i < max; i++) {
      await pc.runSession();
      writes.push(...accountWrites(pc));
      if (serverCommandsOf(pc).every((command) => command.name === 'Get')) return writes;
    }
    assert.fail(`the PC did not settle in ${max} sessions`);
  }

  const managedAccounts = (pc: SimulatedPc) => pc.accounts();

  it('enrolls a PC (discovery with RequestVersion 9.0, a CSR with the subject Windows writes), runs its first session, and lists it with its user', async () => {
    const { pc, deviceId, userId, upn } = await userWithPc('ada', { requestVersion: '9.0', windowsStyleCsrSubject: true });
    assert.deepEqual(pc.enrollment.notes, []);
    assert.equal(pc.enrollment.discovery.authPolicy, 'OnPremise');
    assert.equal(pc.lastError, undefined);
    const device = await e2e.request('GET', `/graph/beta/deviceManagement/managedDevices/${deviceId}`);
    assert.equal(device.status, 200);
    assert.equal(device.body.userId, userId);
    assert.equal(device.body.userPrincipalName, upn);
    assert.equal(device.body.operatingSystem, 'Windows');
    assert.equal(device.body.deviceName, pc.enrollment.hardware.deviceName);
    const [enrollment] = await e2e.query<{ last_seen_at: Date | null; login_status: string }>('SELECT last_seen_at, login_status FROM windows_enrollments WHERE device_id = $1', [deviceId]);
    assert.ok(enrollment!.last_seen_at, 'the first session reached the server');
    assert.equal(enrollment!.login_status, 'user');
    const [session] = await e2e.query<{ auth: string }>('SELECT auth FROM windows_mdm_sessions WHERE device_id = $1', [deviceId]);
    assert.equal(session!.auth, 'certificate');
  });

  it('installs a windows10EasEmailProfileConfiguration: the account in the PC\'s ActiveSync store with the profile\'s values, compliant, then verified', async () => {
    const { pc, deviceId, groupId, upn } = await userWithPc('grace');
    const profileId = await admin.mailProfile('Contoso mail', 'mail.contoso.com', { durationOfEmailToSync: 'twoWeeks', emailSyncSchedule: 'fifteenMinutes' });
    await admin.assign(profileId, [groupId]);
    await pc.runSession();
    const [account, ...others] = managedAccounts(pc);
    assert.deepEqual(others, []);
    assert.ok(account!.committed && account!.synced);
    assert.deepEqual(account!.values, {
      EmailAddress: upn,
      ServerName: 'mail.contoso.com',
      UserName: upn,
      AccountName: 'Contoso mail',
      AccountType: 'Exchange',
      'Options/UseSSL': '1',
      'Options/MailAgeFilter': '4',
      'Options/Schedule': '15',
      'Options/ContentTypes/{c6d47067-6e92-480e-b0fc-4ba82182fac7}/Enabled': '1',
      'Options/ContentTypes/{0dd8685c-e272-4fcb-9ecf-2ead7ea2497b}/Enabled': '0',
      'Options/ContentTypes/{4a5d9fe0-f139-4a63-a5a4-4f31ceea02ad}/Enabled': '0',
      'Options/ContentTypes/{783ae4f6-4c12-4423-8270-66361260d4f1}/Enabled': '0',
    });
    assert.deepEqual(Object.keys(pc.counters.statuses).filter((code) => code !== '200'), [], 'the PC answered every command 200');
    const status = await admin.deviceStatus(profileId, deviceId);
    assert.equal(status.status, 'compliant', JSON.stringify(status));
    const ledger = await e2e.query<{ target: { accountId: string } }>('SELECT target FROM delivery_ledger WHERE device_id = $1 AND profile_id = $2', [deviceId, profileId]);
    assert.equal(`{${ledger[0]!.target.accountId.toUpperCase()}}`, account!.guid.toUpperCase(), 'the account GUID is the ledger\'s');

    await pc.runSession();
    assert.deepEqual(accountWrites(pc), [], 'the next session only reads the account back');
    const verified = await admin.deviceStatus(profileId, deviceId);
    assert.equal(verified.status, 'compliant');
    assert.equal(verified.reasonCode, 'verified', JSON.stringify(verified));
  });
  it('holds the account while nobody is logged in (./User needs the user), and installs it in the session the user\'s login starts', async () => {
    const { pc, deviceId, groupId } = await userWithPc('katherine');
    pc.logOut();
    const profileId = await admin.mailProfile('Login mail', 'login.contoso.com');
    await admin.assign(profileId, [groupId]);
    await pc.runSession();
    assert.ok(serverCommandsOf(pc).every((command) => !command.items.some((item) => item.target?.startsWith('./User/'))), 'no ./User command while LoginStatus is none');
    assert.equal(managedAccounts(pc).length, 0);
    assert.notEqual(await admin.statusOf(profileId, deviceId), 'compliant');

    await pc.logIn();
    assert.ok(pc.log.some((entry) => /session \d+ \(login\)/.test(entry.detail)), 'PollOnLogin from the provisioning document starts a session');
    assert.equal(managedAccounts(pc).length, 1);
    assert.equal((await admin.deviceStatus(profileId, deviceId)).status, 'compliant');
  });

  it('updates in place: only the changed leaves go out (Replace in one Atomic), the same account GUID, still one account', async () => {
    const { pc, deviceId, groupId } = await userWithPc('linus');
    const profileId = await admin.mailProfile('Update mail', 'update.contoso.com');
    await admin.assign(profileId, [groupId]);
    await settle(pc);
    const [before] = managedAccounts(pc);
    await admin.patchProfile(profileId, { accountName: 'Renamed mail', durationOfEmailToSync: 'oneMonth' });

    await pc.runSession();
    const guid = before!.guid.replace(/[{}]/g, '');
    assert.deepEqual(accountWrites(pc), [
      ['Replace', `%7B${guid}%7D/AccountName`, 'Renamed mail'],
      ['Replace', `%7B${guid}%7D/Options/MailAgeFilter`, '5'],
    ]);
    assert.ok(serverCommandsOf(pc).some((command) => command.name === 'Atomic' && command.children.length === 2), 'the two Replaces in one Atomic');
    const accounts = managedAccounts(pc);
    assert.equal(accounts.length, 1);
    assert.equal(accounts[0]!.guid, before!.guid);
    assert.equal(accounts[0]!.values.AccountName, 'Renamed mail');
    assert.equal(accounts[0]!.values['Options/MailAgeFilter'], '5');
    assert.equal(pc.counters.accountsDeletedByReprovisioning, 0);
    const status = await admin.deviceStatus(profileId, deviceId);
    assert.equal(status.status, 'compliant', JSON.stringify(status));
    assert.match(String(status.adminMessage), /Version 2/);
  });

  it('recreates the account when UserName changes after it synced: the old account is gone, one account under a new GUID', async () => {
    const { pc, deviceId, groupId, mail } = await userWithPc('margaret', { mail: `margaret.hamilton-${Date.now().toString(36)}@contoso.com` });
    const profileId = await admin.mailProfile('Recreate mail', 'recreate.contoso.com');
    await admin.assign(profileId, [groupId]);
    await settle(pc);
    const [old] = managedAccounts(pc);
    assert.ok(old!.synced, 'the account synced, so its UserName can no longer change in place');
    await admin.patchProfile(profileId, { usernameSource: 'primarySmtpAddress' });

    await pc.runSession();
    const writes = accountWrites(pc);
    const oldGuid = old!.guid.replace(/[{}]/g, '');
    assert.deepEqual(writes[0], ['Delete', `%7B${oldGuid}%7D`, undefined], 'the old account node is deleted first');
    assert.ok(writes.slice(1).every(([verb, target]) => verb === 'Add' && !target.includes(oldGuid)), JSON.stringify(writes));
    const accounts = managedAccounts(pc);
    assert.equal(accounts.length, 1);
    assert.notEqual(accounts[0]!.guid, old!.guid);
    assert.equal(accounts[0]!.values.UserName, mail);
    assert.equal(pc.counters.accountsDeletedByReprovisioning, 0);
    assert.equal((await admin.deviceStatus(profileId, deviceId)).status, 'compliant');
  });

  it('overwrites an account the user made for the same server and address: one account, Envelope\'s, and the status succeeded', async () => {
    const { pc, deviceId, groupId, upn } = await userWithPc('frances');
    pc.addUserAccount('MAIL.Frances.Contoso.com', upn.toUpperCase());
    const other = pc.addUserAccount('eas.elsewhere.example', upn);
    const profileId = await admin.mailProfile('Frances mail', 'mail.frances.contoso.com');
    await admin.assign(profileId, [groupId]);
    await settle(pc);
    assert.deepEqual(pc.userAccounts(), [other], 'the duplicate is gone, the user\'s other account stays');
    assert.equal(pc.counters.userAccountsReplaced, 1);
    const accounts = managedAccounts(pc);
    assert.equal(accounts.length, 1);
    assert.equal(accounts[0]!.values.ServerName, 'mail.frances.contoso.com');
    const status = await admin.deviceStatus(profileId, deviceId);
    assert.equal(status.status, 'compliant', JSON.stringify(status));
    // The simulated PC does not list user-made accounts under ActiveSync/Accounts (sim/windows/README.md),
    // so the server cannot see the one it replaced, and its status carries no note about it.
    assert.doesNotMatch(String(status.adminMessage), /replaced an Exchange account/);
  });

  it('removes an unassigned profile\'s account while another email profile stays; the only email profile is kept and says why', async () => {
    const { pc, deviceId, groupId } = await userWithPc('barbara');
    const stay = await admin.mailProfile('Stay mail', 'stay.contoso.com');
    const go = await admin.mailProfile('Go mail', 'go.contoso.com');
    await admin.assign(stay, [groupId]);
    await admin.assign(go, [groupId]);
    await settle(pc);
    assert.deepEqual(managedAccounts(pc).map((a) => a.values.ServerName).sort(), ['go.contoso.com', 'stay.contoso.com']);
    const goGuid = managedAccounts(pc).find((a) => a.values.ServerName === 'go.contoso.com')!.guid;

    await admin.assign(go, []);
    assert.deepEqual(await settle(pc), [['Delete', goGuid.replace('{', '%7B').replace('}', '%7D'), undefined]]);
    assert.deepEqual(managedAccounts(pc).map((a) => a.values.ServerName), ['stay.contoso.com']);
    const [ledger] = await e2e.query<{ state: string }>('SELECT state FROM delivery_ledger WHERE device_id = $1 AND profile_id = $2', [deviceId, go]);
    assert.equal(ledger!.state, 'removed');
    const removed = await admin.configurationState(deviceId, go);
    assert.equal(removed?.state, 'notAssigned', JSON.stringify(removed));
    assert.equal(removed?.reasonCode, 'removed');
    assert.match(String(removed?.adminMessage), /was removed from the device/);

    await admin.assign(stay, []);
    assert.deepEqual(await settle(pc), [], 'nothing is removed');
    assert.deepEqual(managedAccounts(pc).map((a) => a.values.ServerName), ['stay.contoso.com'], 'the only email profile stays on the PC');
    const kept = await admin.configurationState(deviceId, stay);
    assert.equal(kept?.reasonCode, 'onlyEmailProfile', JSON.stringify(kept));
    assert.match(String(kept?.adminMessage), /it is the only email profile on the device/);
  });
  it('loses nothing and applies nothing twice when the server dies between a command and its status: the account is read back, never added again', async () => {
    // Kim's PC runs the install, but its Status never reaches the server, which then dies.
    const kim = await userWithPc('kim');
    // Lou's PC never gets the install: the server's answer that carried it is lost.
    const lou = await userWithPc('lou');
    const profileId = await admin.mailProfile('Crash mail', 'crash.contoso.com');
    await admin.assign(profileId, [kim.groupId, lou.groupId]);
    kim.pc.loseNextMessage({ when: (xml) => /<Cmd>Atomic<\/Cmd>/.test(xml) });
    await assert.rejects(kim.pc.runSession(), PcNetworkError);
    assert.equal(managedAccounts(kim.pc).length, 1, 'Kim\'s PC ran the install');
    const guid = managedAccounts(kim.pc)[0]!.guid;
    lou.pc.loseNextMessage({ direction: 'response' });
    await assert.rejects(lou.pc.runSession(), PcNetworkError);
    assert.equal(managedAccounts(lou.pc).length, 0, 'Lou\'s PC never got the install');
    const states = await e2e.query<{ status: string }>('SELECT status FROM delivery_commands WHERE profile_id = $1 ORDER BY device_id', [profileId]);
    assert.deepEqual(states.map((row) => row.status), ['sent', 'sent'], 'both installs are out, unanswered');

    await e2e.restart();

    await kim.pc.runSession();
    const kimWrites = accountWrites(kim.pc);
    assert.deepEqual(kimWrites, [], 'no Add to the account the PC may hold: it is read back instead');
    assert.ok(serverCommandsOf(kim.pc).some((command) => command.name === 'Get' && /Accounts\/%7B.+%7D\/ServerName$/.test(command.items[0]?.target ?? '')), 'the account is read back with Get');
    assert.deepEqual(managedAccounts(kim.pc).map((account) => account.guid), [guid], 'no duplicate, the same account');
    assert.equal(kim.pc.counters.accountsDeletedByReprovisioning, 0);

    await lou.pc.runSession();
    assert.equal(accountWrites(lou.pc).filter(([verb]) => verb === 'Add').length, 12, 'read back (nothing there), then installed once');
    assert.equal(managedAccounts(lou.pc).length, 1);
    assert.equal(lou.pc.counters.accountsDeletedByReprovisioning, 0);

    for (const { deviceId } of [kim, lou]) {
      const status = await admin.deviceStatus(profileId, deviceId);
      assert.equal(status.status, 'compliant', JSON.stringify(status));
      assert.equal(status.attempts, 1, 'one attempt: the re-offer after the crash is the same command');
    }
  });

  it('refuses a wrong DIGEST credential, a credential replayed in another session, malformed messages and another PC\'s session, and changes nothing', async () => {
    // A PC that authenticates with SyncML DIGEST only (as behind a TLS-terminating load balancer).
    const dora = await userWithPc('dora', { tlsClientCertificate: false });
    assert.equal(dora.pc.lastError, undefined);
    const [doraSession] = await e2e.query<{ auth: string }>('SELECT auth FROM windows_mdm_sessions WHERE device_id = $1', [dora.deviceId]);
    assert.equal(doraSession!.auth, 'digest');
    const captured = dora.pc.lastSessionMessages.find((m) => m.direction === 'sent' && m.xml.includes('<Cred>'))!.xml;
    // Carl's PC has an install out whose Status never arrived: its session is open on the server.
    const carl = await userWithPc('carl');
    const profileId = await admin.mailProfile('Guarded mail', 'guarded.contoso.com');
    await admin.assign(profileId, [dora.groupId, carl.groupId]);
    carl.pc.loseNextMessage({ when: (xml) => /<Cmd>Atomic<\/Cmd>/.test(xml) });
    await assert.rejects(carl.pc.runSession(), PcNetworkError);
    const carlSession = readServerMessage(carl.pc.lastSessionMessages.find((m) => m.direction === 'received' && m.xml.includes('<Atomic>'))!.xml);
    const atomic = carlSession.commands.find((command) => command.name === 'Atomic')!;
    // Hal's PC has had only its first session (SessionID 1).
    const hal = await userWithPc('hal');

    const devices = [dora.deviceId, carl.deviceId, hal.deviceId];
    const rows = (table: string, order: string) => e2e.query(`SELECT * FROM ${table} WHERE device_id = ANY($1::uuid[]) ORDER BY ${order}`, [devices]);
    const snapshot = async () => JSON.stringify({
      ledger: await rows('delivery_ledger', 'device_id, profile_id'),
      commands: await rows('delivery_commands', 'command_id'),
      sessions: await rows('windows_mdm_sessions', 'device_id, session_id'),
      sent: await rows('windows_mdm_sent', 'device_id, session_id, msg_id, first_cmd_id'),
      state: await rows('windows_mdm_profile_state', 'device_id, profile_id'),
      messages: await rows('windows_mdm_messages', 'id'),
      enrollments: await rows('windows_enrollments', 'device_id'),
      counts: await e2e.query('SELECT (SELECT count(*)::int FROM delivery_ledger) AS ledger, (SELECT count(*)::int FROM delivery_commands) AS commands'),
    });
    const before = await snapshot();

    // A wrong DIGEST secret under Dora's DeviceID and name: challenged (401), again and again.
    const digest = dora.pc.enrollment.digest!;
    await assert.rejects(runOmaDmSession({
      http: e2e.http, tree: dora.pc.tree, deviceId: dora.pc.deviceId, managementUrl: dora.pc.enrollment.managementUrl,
      digest: { name: digest.name, secret: 'not-the-secret' }, sessionId: '900', trigger: 'poll', loginStatus: 'user',
      devInfo: { man: 'Microsoft Corporation', mod: 'Envelope simulated PC', dmV: '1.3', lang: 'en-US' }, nonce: { value: undefined }, strict: true,
    }), (error: Error) => error instanceof SyncMlAuthenticationError && error.code === 401);

    // Dora's credentialed message replayed (it carries her credential for a nonce bound to her first session) under another SessionID.
    const replayed = await postSyncMl(e2e, captured.replace(/<SessionID>[^<]*<\/SessionID>/, '<SessionID>901</SessionID>'));
    assert.equal(replayed.status, 200);
    assert.equal(headerStatus(replayed.body), 401);
    assert.deepEqual(readServerMessage(replayed.body).commands, []);
    // And as a repeat in its own session: answered with statuses only.
    const repeated = await postSyncMl(e2e, captured);
    assert.equal(repeated.status, 200);
    assert.deepEqual(readServerMessage(repeated.body).commands, []);

    // Malformed SyncML with Carl's TLS identity: refused in plain text, no SyncML.
    const identity = carl.pc.enrollment.identity;
    const broken = await postSyncMl(e2e, '<SyncML xmlns="SYNCML:SYNCML1.2"><SyncHdr><VerDTD>1.2</VerDTD>', identity);
    assert.equal(broken.status, 400);
    assert.match(broken.body, /^Unreadable SyncML message/);
    const noCmdId = encodeDeviceMessage({ sessionId: '902', msgId: 1, target: carl.pc.enrollment.managementUrl, source: carl.pc.deviceId, commands: [{ kind: 'Alert', cmdId: 1, code: '1201' }], final: true }).replace('<CmdID>1</CmdID>', '');
    const incomplete = await postSyncMl(e2e, noCmdId, identity);
    assert.equal(incomplete.status, 400);
    assert.match(incomplete.body, /CmdID/);
    const wbxml = await postSyncMl(e2e, '\u0002\u0000', identity, 'application/vnd.syncml.dm+wbxml');
    assert.equal(wbxml.status, 415);

    // Hal's PC, authenticated by its own certificate, answers Carl's install under Carl's SessionID.
    const statuses = [atomic, ...atomic.children].map((command, i) => ({ kind: 'Status' as const, cmdId: i + 2, msgRef: carlSession.msgId, cmdRef: command.cmdId!, cmd: command.name, code: 200 }));
    const hijack = (source: string) => encodeDeviceMessage({
      sessionId: carlSession.sessionId, msgId: Number(carlSession.msgId) + 1, target: hal.pc.enrollment.managementUrl, source,
      commands: [{ kind: 'Status', cmdId: 1, msgRef: carlSession.msgId, cmdRef: '0', cmd: 'SyncHdr', code: 200 }, ...statuses], final: true,
    });
    const asItself = await postSyncMl(e2e, hijack(hal.pc.deviceId), hal.pc.enrollment.identity);
    assert.equal(asItself.status, 400, asItself.body);
    assert.match(asItself.body, /no open session/);
    // Claiming Carl's DeviceID with Hal's certificate: not authenticated (the certificate is not Carl's), challenged.
    const asCarl = await postSyncMl(e2e, hijack(carl.pc.deviceId), hal.pc.enrollment.identity);
    assert.equal(asCarl.status, 200);
    assert.equal(headerStatus(asCarl.body), 407);

    assert.equal(await snapshot(), before, 'nothing changed');

    // The real PCs carry on: Carl's install is read back and confirmed, Dora's goes out.
    await settle(carl.pc);
    await settle(dora.pc);
    for (const { pc, deviceId } of [carl, dora]) {
      assert.equal(managedAccounts(pc).length, 1);
      assert.equal((await admin.deviceStatus(profileId, deviceId)).status, 'compliant');
    }
  });

  it('wakes a PC through WNS: the session gives it the PFN, it reports its channel, and an assignment converges without its poll', async () => {
    await admin.putPushSettings(wnsApp);
    try {
      const { pc, deviceId, groupId } = await userWithPc('wendy');
      const channel = e2e.wns.channelUriFor(pc.deviceId, wnsApp.packageSid);
      assert.equal(pc.channelUri, channel, 'the PC got the PFN and opened its channel');
      const [enrollment] = await e2e.query<{ push_channel_uri: string | null }>('SELECT push_channel_uri FROM windows_enrollments WHERE device_id = $1', [deviceId]);
      assert.equal(enrollment!.push_channel_uri, channel, 'and reported it in the same session');
      e2e.wakeOnPush(pc);

      const profileId = await admin.mailProfile('Pushed mail', 'pushed.contoso.com');
      const notified = e2e.wns.notifications.length;
      await admin.assign(profileId, [groupId]);
      const pushedSession = () => pc.log.some((entry) => /session \d+ \(push\)/.test(entry.detail));
      await eventually('a pushed session has run and the PC is compliant', async () => pushedSession() && (await admin.statusOf(profileId, deviceId)) === 'compliant');
      assert.equal(managedAccounts(pc).length, 1);
      assert.ok(e2e.wns.notifications.slice(notified).some((n) => n.channelUri === channel && n.type === 'wns/raw'), 'a raw notification to its channel');
      assert.ok(pc.counters.pushes >= 1);
      assert.equal(pc.counters.polls, 0, 'it never polled');
    } finally {
      assert.equal((await e2e.request('DELETE', '/graph/beta/envelope/windowsPushSettings')).status, 204);
    }
  });
});
