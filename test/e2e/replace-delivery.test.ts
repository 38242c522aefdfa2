import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { SimulatedIphone } from '../../sim/ios/simulated-iphone.ts';
import type { DeviceHttp } from '../../sim/ios/device-http.ts';
import { adminHelpers, createE2ePki, deviceHttpFor, enrollIphoneAt, startHttpsEnvelope, type E2ePki, type HttpsEnvelope } from '../helpers/https-envelope.ts';
import { openTestDb, type TestDb } from '../helpers/test-db.ts';

const configs = '/graph/beta/deviceManagement/deviceConfigurations';

/**
 * The one-step replace end to end (decision 0028): simulated iPhones (sim/ios) against a real
 * Envelope over HTTPS, on the suite's database backend. A deployed profile gets a new host: each
 * device ends with the new account and without the old one, and both profiles' statuses say so.
 */
describe('replacing a deployed email profile on simulated iPhones', () => {
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

  async function userWithIphone(name: string): Promise<{ groupId: string; iphone: SimulatedIphone; deviceId: string }> {
    const userId = await admin.user(`${name}@contoso.com`);
    const groupId = await admin.group(`${name}'s group`, [userId]);
    const iphone = await enrollIphoneAt(await admin.enrollmentToken(userId), http, caPem);
    return { groupId, iphone, deviceId: await admin.managedDeviceIdOf(iphone.hardware.SerialNumber) };
  }
  async function settle(iphone: SimulatedIphone): Promise<void> {
    const report = await iphone.runCommandLoop();
    assert.equal(report.ended, 'idle', JSON.stringify(report));
  }
  const hosts = (iphone: SimulatedIphone) => iphone.accounts().filter((a) => a.origin !== 'user').map((a) => `${a.host} ${a.emailAddress}`).sort();
  const stateOf = async (deviceId: string, profileId: string) => {
    const states = (await server.request('GET', `/graph/beta/deviceManagement/managedDevices/${deviceId}/deviceConfigurationStates`)).body.value as Record<string, unknown>[];
    return states.find((s) => String(s.id).includes(profileId));
  };

  it('the only email profile on the device: the old account is removed, the new one installed and verified', async () => {
    const { groupId, iphone, deviceId } = await userWithIphone('ann');
    const oldId = await admin.mailProfile('Contoso mail', 'mail.contoso.com');
    await admin.assign(oldId, [groupId]);
    await settle(iphone);
    assert.deepEqual(hosts(iphone), ['mail.contoso.com ann@contoso.com']);

    const replaced = await server.request('POST', `${configs}/${oldId}/envelope/replace`, { hostName: 'exchange.contoso.com', displayName: 'Contoso mail (Exchange Online)' });
    assert.equal(replaced.status, 201, JSON.stringify(replaced.body));
    const newId = replaced.body.newProfile.id as string;
    assert.deepEqual([replaced.body.removeOld.count, replaced.body.installNew.count, replaced.body.blocked.count], [1, 1, 0]);
    await settle(iphone);

    assert.deepEqual(hosts(iphone), ['exchange.contoso.com ann@contoso.com'], 'same address on the new host, the old account gone');
    assert.equal(iphone.profiles().filter((p) => p.PayloadIdentifier.includes(oldId)).length, 0);
    const installed = await admin.deviceStatus(newId, deviceId);
    assert.equal(installed.status, 'compliant');
    assert.equal(installed.reasonCode, 'verified');
    assert.match(JSON.stringify(await stateOf(deviceId, oldId)), /removed|notAssigned/);
    const summary = await server.request('GET', `${configs}/${oldId}/envelope/replacement`);
    assert.equal(summary.status, 200);
    assert.deepEqual([summary.body.progress.oldOnDevices, summary.body.progress.oldRemoved, summary.body.progress.newInstalled], [0, 1, 1]);
  });

  it('beside another email profile: only the replaced account changes', async () => {
    const { groupId, iphone, deviceId } = await userWithIphone('bob');
    const stay = await admin.mailProfile('Stay mail', 'stay.contoso.com');
    const oldId = await admin.mailProfile('Old mail', 'old.contoso.com');
    await admin.assign(stay, [groupId]);
    await admin.assign(oldId, [groupId]);
    await settle(iphone);
    assert.deepEqual(hosts(iphone), ['old.contoso.com bob@contoso.com', 'stay.contoso.com bob@contoso.com']);

    const replaced = await server.request('POST', `${configs}/${oldId}/envelope/replace`, { hostName: 'new.contoso.com' });
    assert.equal(replaced.status, 201, JSON.stringify(replaced.body));
    const newId = replaced.body.newProfile.id as string;
    await settle(iphone);
    assert.deepEqual(hosts(iphone), ['new.contoso.com bob@contoso.com', 'stay.contoso.com bob@contoso.com']);
    assert.equal((await admin.deviceStatus(newId, deviceId)).status, 'compliant');
    assert.equal((await admin.deviceStatus(stay, deviceId)).status, 'compliant');
  });
});
