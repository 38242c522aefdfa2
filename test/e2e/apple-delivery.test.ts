import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { SimulatedIphone } from '../../sim/ios/simulated-iphone.ts';
import type { DeviceHttp } from '../../sim/ios/device-http.ts';
import { adminHelpers, createE2ePki, deviceHttpFor, enrollIphoneAt, startApnsStandIn, startHttpsEnvelope, wakeOnPush, type ApnsStandIn, type E2ePki, type HttpsEnvelope } from '../helpers/https-envelope.ts';
import { openTestDb, type TestDb } from '../helpers/test-db.ts';

/**
 * Issue 7's end-to-end scenarios: simulated iPhones (sim/ios, written from Apple's protocol) against
 * a real Envelope over HTTPS on 127.0.0.1, on the suite's database backend.
 */
describe('delivering email profiles to simulated iPhones over HTTPS', () => {
  let testDb: TestDb;
  let pki: E2ePki;
  let server: HttpsEnvelope;
  let admin: ReturnType<typeof adminHelpers>;
  let http: DeviceHttp;
  let caPem: string;

  before(async () => {
    testDb = await openTestDb();
    pki = await createE2ePki();
    server = await startHttpsEnvelope({ db: testDb.db, pki, secretKey: randomBytes(32), appleMdmOptions: { verifyDelayMs: 0 } });
    admin = adminHelpers(server.request);
    await admin.uploadPushCertificate(pki.push);
    http = deviceHttpFor(pki);
    const ca = await server.request('GET', '/graph/beta/envelope/certificateAuthority');
    caPem = `-----BEGIN CERTIFICATE-----\n${(ca.body.certificate as string).match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
  });
  after(async () => {
    await server.close();
    await testDb.dispose();
  });

  /** A user in a group of their own, and their enrolled iPhone. */
  async function userWithIphone(name: string): Promise<{ userId: string; groupId: string; iphone: SimulatedIphone; deviceId: string }> {
    const userId = await admin.user(`${name}@contoso.com`);
    const groupId = await admin.group(`${name}'s group`, [userId]);
    const iphone = await enrollIphoneAt(await admin.enrollmentToken(userId), http, caPem);
    const deviceId = await admin.managedDeviceIdOf(iphone.hardware.SerialNumber);
    return { userId, groupId, iphone, deviceId };
  }

  async function settle(iphone: SimulatedIphone): Promise<void> {
    const report = await iphone.runCommandLoop();
    assert.equal(report.ended, 'idle', JSON.stringify(report));
  }

  function mailAccounts(iphone: SimulatedIphone) {
    return iphone.accounts().filter((account) => account.origin !== 'user');
  }

  it('enrolls, installs, verifies, and updates in place without a second account', async () => {
    const { groupId, iphone, deviceId, userId } = await userWithIphone('ann');
    const managed = await server.request('GET', `/graph/beta/deviceManagement/managedDevices/${deviceId}`);
    assert.equal(managed.body.userId, userId);

    const profileId = await admin.mailProfile('Contoso mail', 'mail.contoso.com');
    await admin.assign(profileId, [groupId]);
    await settle(iphone);
    const [account] = mailAccounts(iphone);
    assert.equal(mailAccounts(iphone).length, 1);
    assert.equal(account!.emailAddress, 'ann@contoso.com');
    assert.equal(account!.host, 'mail.contoso.com');
    const status = await admin.deviceStatus(profileId, deviceId);
    assert.equal(status.status, 'compliant');
    assert.equal(status.reasonCode, 'verified');

    const patched = await server.request('PATCH', `/graph/beta/deviceManagement/deviceConfigurations/${profileId}`, {
      '@odata.type': '#microsoft.graph.iosEasEmailProfileConfiguration', durationOfEmailToSync: 'oneMonth',
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    await settle(iphone);
    assert.equal(mailAccounts(iphone).length, 1, 'updated in place: still one account');
    assert.equal(mailAccounts(iphone)[0]!.id, account!.id, 'the same account, edited');
    const updated = await admin.deviceStatus(profileId, deviceId);
    assert.equal(updated.status, 'compliant');
    const onDevice = iphone.profiles().filter((p) => p.PayloadIdentifier.includes(profileId));
    assert.equal(onDevice.length, 1);
    assert.equal(onDevice[0]!.installCount, 2, 'the same profile replaced in place by version 2');
  });

  it('a user-made duplicate blocks it as a conflict with both messages; once the user removes it, a resend installs it', async () => {
    const { groupId, iphone, deviceId } = await userWithIphone('bob');
    iphone.addUserAccount('dup.contoso.com', 'bob@contoso.com');
    const profileId = await admin.mailProfile('Dup mail', 'dup.contoso.com');
    await admin.assign(profileId, [groupId]);
    await settle(iphone);
    assert.equal(mailAccounts(iphone).length, 0);
    const conflict = await admin.deviceStatus(profileId, deviceId);
    assert.equal(conflict.status, 'conflict');
    assert.equal(conflict.reasonCode, 'duplicateAccount');
    assert.match(String(conflict.adminMessage), /set up the same email account themselves/);
    assert.match(String(conflict.endUserMessage), /[Rr]emove the .*account/);

    iphone.removeUserAccount('dup.contoso.com', 'bob@contoso.com');
    const resend = await server.request('POST', `/graph/beta/deviceManagement/deviceConfigurations/${profileId}/resend`, { statuses: ['conflict'] });
    assert.equal(resend.status, 202);
    assert.equal(resend.body.deviceCount, 1);
    await settle(iphone);
    assert.equal(mailAccounts(iphone).length, 1);
    assert.equal((await admin.deviceStatus(profileId, deviceId)).status, 'compliant');
  });

  it('two Envelope profiles for one account are a conflict on both and neither is sent', async () => {
    const { groupId, iphone, deviceId } = await userWithIphone('cat');
    const first = await admin.mailProfile('Mail A', 'same.contoso.com');
    const second = await admin.mailProfile('Mail B', 'same.contoso.com');
    await admin.assign(first, [groupId]);
    await admin.assign(second, [groupId]);
    await settle(iphone);
    assert.equal(iphone.profiles().filter((p) => p.PayloadIdentifier.startsWith('com.envelope.email')).length, 0);
    for (const [id, other] of [[first, 'Mail B'], [second, 'Mail A']] as const) {
      const status = await admin.deviceStatus(id, deviceId);
      assert.equal(status.status, 'conflict');
      assert.match(String(status.adminMessage), new RegExp(other));
    }
  });

  it('unassign removes a profile while another email profile stays; the only email profile is kept and says so', async () => {
    const { groupId, iphone, deviceId } = await userWithIphone('dan');
    const stay = await admin.mailProfile('Stay mail', 'stay.contoso.com');
    const go = await admin.mailProfile('Go mail', 'go.contoso.com');
    await admin.assign(stay, [groupId]);
    await admin.assign(go, [groupId]);
    await settle(iphone);
    assert.equal(mailAccounts(iphone).length, 2);

    await admin.assign(go, []);
    await settle(iphone);
    assert.deepEqual(mailAccounts(iphone).map((a) => a.host), ['stay.contoso.com']);
    const removed = await server.request('GET', `/graph/beta/deviceManagement/managedDevices/${deviceId}/deviceConfigurationStates`);
    assert.equal(removed.status, 200);

    await admin.assign(stay, []);
    await settle(iphone);
    assert.deepEqual(mailAccounts(iphone).map((a) => a.host), ['stay.contoso.com'], 'the only email profile stays on the device');
    const states = (removed.status === 200 ? (await server.request('GET', `/graph/beta/deviceManagement/managedDevices/${deviceId}/deviceConfigurationStates`)).body.value : []) as Record<string, unknown>[];
    const kept = states.find((s) => s.id === stay || String(s.id).includes(stay));
    assert.ok(kept, JSON.stringify(states));
    assert.match(JSON.stringify(kept), /only email profile/);
  });

  it('reinstalls a profile the user removed on the device after the next ProfileList', async () => {
    const { groupId, iphone, deviceId } = await userWithIphone('eve');
    const profileId = await admin.mailProfile('Eve mail', 'eve.contoso.com');
    await admin.assign(profileId, [groupId]);
    await settle(iphone);
    const [installed] = iphone.profiles().filter((p) => p.PayloadIdentifier.includes(profileId));
    assert.ok(installed);
    iphone.removeProfileLocally(installed.PayloadIdentifier);
    assert.equal(mailAccounts(iphone).length, 0);
    // The daily verification, brought forward: the admin's resend of a compliant row does nothing,
    // so the test makes the ProfileList due as an acknowledgement would.
    await server.envelope.db.query('UPDATE apple_channel_state SET verify_due_at = now() WHERE device_id = $1', [deviceId]);
    await settle(iphone);
    assert.equal(mailAccounts(iphone).length, 1, 'installed again');
    const status = await admin.deviceStatus(profileId, deviceId);
    assert.equal(status.status, 'compliant');
    assert.equal(status.reasonCode, 'verified');
  });

  it('answers a deleted device 403 unrecognized, which unenrolls it', async () => {
    const { iphone, deviceId } = await userWithIphone('fay');
    assert.equal((await server.request('DELETE', `/graph/beta/deviceManagement/managedDevices/${deviceId}`)).status, 204);
    const report = await iphone.runCommandLoop();
    assert.equal(report.ended, 'unenrolled', JSON.stringify(report));
    assert.equal(iphone.enrolled, false);
  });
});

/** Pushes through the APNs stand-in: nothing here polls by itself; devices check in when pushed. */
describe('simulated iPhones woken by pushes', () => {
  let testDb: TestDb;
  let pki: E2ePki;
  let standIn: ApnsStandIn;
  let server: HttpsEnvelope;
  let admin: ReturnType<typeof adminHelpers>;
  const iphones: SimulatedIphone[] = [];
  let stopWaking: () => void;

  before(async () => {
    testDb = await openTestDb();
    pki = await createE2ePki();
    standIn = await startApnsStandIn(pki);
    server = await startHttpsEnvelope({ db: testDb.db, pki, secretKey: randomBytes(32), apnsUrl: standIn.url, appleMdmOptions: { notNowRepushMs: 200 } });
    admin = adminHelpers(server.request);
    await admin.uploadPushCertificate(pki.push);
    stopWaking = wakeOnPush(standIn, () => iphones);
  });
  after(async () => {
    stopWaking();
    await server.close();
    await standIn.close();
    await testDb.dispose();
  });

  async function eventually(what: string, check: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (!(await check())) {
      assert.ok(Date.now() < deadline, `timed out waiting until ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it('an assignment pushes the device, which installs; NotNow is pushed again later and then installed', async () => {
    const userId = await admin.user('gil@contoso.com');
    const groupId = await admin.group('Gil', [userId]);
    const iphone = await enrollIphoneAt(await admin.enrollmentToken(userId), deviceHttpFor(pki));
    iphones.push(iphone);
    const deviceId = await admin.managedDeviceIdOf(iphone.hardware.SerialNumber);
    await iphone.wake(); // its first poll after enrolling (the enrollment push may have come before it was listed)
    assert.equal(iphone.lastLoop?.ended, 'idle');

    iphone.notNowNext(1);
    const pushesBefore = standIn.counters.accepted;
    const profileId = await admin.mailProfile('Gil mail', 'gil.contoso.com');
    await admin.assign(profileId, [groupId]);
    // A count, not lastLoop: the re-push can start the next loop before this check sees the NotNow one.
    await eventually('the install is deferred with NotNow', async () => iphone.notNowAnswered > 0);
    await eventually('the profile is compliant', async () => (await admin.deviceStatus(profileId, deviceId)).status === 'compliant');
    assert.equal(iphone.accounts().filter((a) => a.origin !== 'user').length, 1);
    assert.ok(standIn.counters.accepted - pushesBefore >= 2, `the assignment push and the NotNow re-push (${standIn.counters.accepted - pushesBefore})`);
  });
});
