import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { appleErrorCodes, type MdmCommand } from '../../src/protocols/apple-mdm/index.ts';
import { openssl, withFiles } from '../../src/pki/test-support/openssl.ts';
import { readPlistXml } from '../conformance/apple-plist-reader.ts';
import { createUser, createEnrollmentToken, setUpEnrollment, tenantCaPem, type EnrollmentSetup } from '../helpers/apple-enrollment.ts';
import { TestAppleDevice } from '../helpers/apple-device.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

type Dict = Record<string, unknown>;

/** The plist inside a signed profile, after `openssl cms -verify` against the tenant CA. */
function openSignedProfile(signed: Uint8Array, caPem: string): Dict {
  const xml = withFiles({ 'profile.der': signed, 'ca.pem': caPem }, (path) => {
    const verified = openssl(['cms', '-verify', '-inform', 'DER', '-in', path('profile.der'), '-CAfile', path('ca.pem')]);
    assert.equal(verified.status, 0, verified.stderr);
    return verified.stdout;
  });
  return readPlistXml(xml) as Dict;
}

function installPayload(command: MdmCommand | null): Uint8Array {
  assert.ok(command, 'a command');
  assert.equal(command.Command.RequestType, 'InstallProfile');
  return (command.Command as { Payload: Uint8Array }).Payload;
}

const duplicateChain = [
  { ...appleErrorCodes.installationFailed, LocalizedDescription: 'Profile Installation Failed', USEnglishDescription: 'Profile Installation Failed' },
  { ...appleErrorCodes.accountNotUnique, LocalizedDescription: 'An account already exists', USEnglishDescription: 'An Exchange account with the same name already exists.' },
];

describe('Apple MDM check-in and command endpoints', () => {
  let t: TestApp;
  let setup: EnrollmentSetup;
  let caPem: string;
  let groupId: string;

  before(async () => {
    // Verification in the same exchange, so each test sees its ProfileList at once.
    t = await createTestApp({ appleMdmOptions: { verifyDelayMs: 0 } });
    setup = await setUpEnrollment(t, { maxDevices: 10 });
    caPem = await tenantCaPem(t);
    const group = await t.request('POST', '/graph/beta/groups', { body: { displayName: 'Mail users', 'members@odata.bind': [`https://graph.microsoft.com/beta/users/${setup.userId}`] } });
    assert.equal(group.status, 201, JSON.stringify(group.body));
    groupId = group.body.id;
  });
  after(() => t.close());

  async function mailProfile(displayName: string, hostName: string): Promise<string> {
    const created = await t.request('POST', '/graph/beta/deviceManagement/deviceConfigurations', {
      body: {
        '@odata.type': '#microsoft.graph.iosEasEmailProfileConfiguration', displayName, accountName: displayName, hostName,
        usernameSource: 'userPrincipalName', emailAddressSource: 'userPrincipalName', requireSsl: true, durationOfEmailToSync: 'oneWeek',
      },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return created.body.id;
  }

  async function assign(profileId: string, groupIds: string[]): Promise<void> {
    const reply = await t.request('POST', `/graph/beta/deviceManagement/deviceConfigurations/${profileId}/assign`, {
      body: { assignments: groupIds.map((id) => ({ target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId: id } })) },
    });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
  }

  async function deviceStatus(profileId: string, deviceId: string): Promise<Dict> {
    const reply = await t.request('GET', `/graph/beta/deviceManagement/deviceConfigurations/${profileId}/deviceStatuses`);
    assert.equal(reply.status, 200);
    const row = (reply.body.value as Dict[]).find((r) => (r.id as string).includes(deviceId) || r.deviceId === deviceId);
    assert.ok(row, `a status row for ${deviceId}: ${JSON.stringify(reply.body.value)}`);
    return row;
  }

  async function managedDeviceId(device: TestAppleDevice): Promise<string> {
    const list = await t.request('GET', '/graph/beta/deviceManagement/managedDevices');
    const found = (list.body.value as Dict[]).find((d) => typeof d.serialNumber === 'string' ? d.serialNumber === `SN${device.udid.slice(0, 8)}` : (d.deviceName as string).includes(device.udid.slice(0, 8)));
    assert.ok(found, JSON.stringify(list.body.value));
    return found.id as string;
  }

  it('enrolls with Authenticate and TokenUpdate; an idle device with nothing assigned gets an empty 200', async () => {
    const device = await TestAppleDevice.enroll(t, setup);
    const deviceId = await managedDeviceId(device);
    const managed = await t.request('GET', `/graph/beta/deviceManagement/managedDevices/${deviceId}`);
    assert.equal(managed.body.userId, setup.userId);
    assert.equal(managed.body.operatingSystem, 'iOS');
    const idle = await device.idle();
    assert.equal(idle.status, 200);
    assert.equal(idle.body.length, 0);
  });

  it('installs an assigned profile signed by the tenant, verifies it with ProfileList, and reports it compliant', async () => {
    const device = await TestAppleDevice.enroll(t, setup);
    const deviceId = await managedDeviceId(device);
    const profileId = await mailProfile('Contoso mail', 'mail.contoso.com');
    await assign(profileId, [groupId]);

    const first = await device.idle();
    const profile = openSignedProfile(installPayload(first.command), caPem);
    assert.equal(profile.PayloadType, 'Configuration');
    const identifier = profile.PayloadIdentifier as string;
    assert.match(identifier, new RegExp(profileId));
    assert.equal(((profile.PayloadContent as Dict[])[0] as Dict).PayloadType, 'com.apple.eas.account');
    assert.equal((await deviceStatus(profileId, deviceId)).status, 'unknown');

    const afterAck = await device.acknowledge(first.command!);
    assert.equal(afterAck.command?.Command.RequestType, 'ProfileList', 'the acknowledged install is verified next');
    const done = await device.acknowledge(afterAck.command!, { ProfileList: [{ PayloadIdentifier: identifier, PayloadUUID: profile.PayloadUUID as string, PayloadVersion: 1, IsManaged: true }] });
    assert.equal(done.status, 200);
    assert.equal(done.body.length, 0, done.body.toString());
    const status = await deviceStatus(profileId, deviceId);
    assert.equal(status.status, 'compliant');
    assert.equal(status.reasonCode, 'verified', JSON.stringify(status));
    assert.equal(typeof status.verifiedDateTime, 'string');

    // A repeated acknowledgement changes nothing, and the device is idle again.
    assert.equal((await device.acknowledge(first.command!)).body.length, 0);
    assert.equal((await deviceStatus(profileId, deviceId)).status, 'compliant');
    await assign(profileId, []);
  });

  it('installs a profile the device lost again after ProfileList', async () => {
    const device = await TestAppleDevice.enroll(t, setup);
    const deviceId = await managedDeviceId(device);
    const profileId = await mailProfile('Lost mail', 'lost.contoso.com');
    await assign(profileId, [groupId]);
    const install = await device.idle();
    const list = await device.acknowledge(install.command!);
    assert.equal(list.command?.Command.RequestType, 'ProfileList');
    const again = await device.acknowledge(list.command!, { ProfileList: [] });
    const reinstalled = openSignedProfile(installPayload(again.command), caPem);
    assert.match(reinstalled.PayloadIdentifier as string, new RegExp(profileId));
    assert.notEqual(again.command!.CommandUUID, install.command!.CommandUUID, 'a new command id');
    assert.equal((await deviceStatus(profileId, deviceId)).status, 'unknown');
    await device.acknowledge(again.command!);
    assert.equal((await deviceStatus(profileId, deviceId)).status, 'compliant');
    await assign(profileId, []);
  });

  it('turns the duplicate-account error into a conflict with both messages; a resend then installs it', async () => {
    const device = await TestAppleDevice.enroll(t, setup);
    const deviceId = await managedDeviceId(device);
    const profileId = await mailProfile('Dup mail', 'dup.contoso.com');
    await assign(profileId, [groupId]);
    const install = await device.idle();
    const failed = await device.fail(install.command!, duplicateChain);
    assert.equal(failed.status, 200);
    const status = await deviceStatus(profileId, deviceId);
    assert.equal(status.status, 'conflict');
    assert.match(JSON.stringify(status), /remove/i);
    const resend = await t.request('POST', `/graph/beta/deviceManagement/deviceConfigurations/${profileId}/resend`, { body: { statuses: ['conflict'] } });
    assert.equal(resend.status, 202);
    const retry = await device.idle();
    installPayload(retry.command);
    await device.acknowledge(retry.command!);
    assert.equal((await deviceStatus(profileId, deviceId)).status, 'compliant');
    await assign(profileId, []);
  });

  it('re-offers a command the device answered NotNow at a later check-in, not in the same one', async () => {
    const device = await TestAppleDevice.enroll(t, setup);
    const profileId = await mailProfile('Later mail', 'later.contoso.com');
    await assign(profileId, [groupId]);
    const install = await device.idle();
    const notNow = await device.report({ Status: 'NotNow', CommandUUID: install.command!.CommandUUID });
    assert.equal(notNow.status, 200);
    assert.equal(notNow.command?.Command.RequestType ?? null, null);
    const later = await device.idle();
    assert.equal(later.command?.CommandUUID, install.command!.CommandUUID);
    await device.acknowledge(later.command!);
    await assign(profileId, []);
  });

  it('refuses unsigned, foreign-signed and malformed requests with 400/403 and changes nothing; never 401', async () => {
    const device = await TestAppleDevice.enroll(t, setup);
    const other = await TestAppleDevice.enroll(t, setup);
    const profileId = await mailProfile('Guarded mail', 'guarded.contoso.com');
    await assign(profileId, [groupId]);
    const commandsBefore = await t.count('delivery_commands');

    const unsigned = await device.report({ Status: 'Idle' }, { signer: null });
    assert.equal(unsigned.status, 400);
    const foreign = await device.report({ Status: 'Idle' }, { signer: other.identity });
    assert.equal(foreign.status, 403);
    assert.doesNotMatch(foreign.body.toString(), /unrecognized/);
    const malformed = await device.put('/mdm/apple/server', Buffer.from('<plist><dict><key>Status</key>'));
    assert.equal(malformed.status, 400);
    const garbageSignature = await device.put('/mdm/apple/server', Buffer.from('x'), { signer: null });
    assert.equal(garbageSignature.status, 400);
    const tampered = await device.checkIn({ MessageType: 'TokenUpdate', UDID: device.udid, Topic: device.topic, Token: device.token, PushMagic: 'X' }, { signer: null });
    assert.equal(tampered.status, 400);
    assert.equal(await t.count('delivery_commands'), commandsBefore, 'nothing was queued by refused requests');

    const unknownResult = await device.report({ Status: 'Acknowledged', CommandUUID: 'not-a-uuid' });
    assert.equal(unknownResult.status, 200, 'a result for an unknown command is ignored, not an error');
    const install = unknownResult.command ?? (await device.idle()).command;
    installPayload(install);
    await device.acknowledge(install!);
    await assign(profileId, []);
  });

  it('answers a deleted device with 403 com.apple.unrecognized.device', async () => {
    const device = await TestAppleDevice.enroll(t, setup);
    const deviceId = await managedDeviceId(device);
    assert.equal((await t.request('DELETE', `/graph/beta/deviceManagement/managedDevices/${deviceId}`)).status, 204);
    const reply = await device.idle();
    assert.equal(reply.status, 403);
    assert.equal(JSON.parse(reply.body.toString()).code, 'com.apple.unrecognized.device');
  });

  it('marks what a checked-out device held as removed with the enrollment, out of the counts', async () => {
    const device = await TestAppleDevice.enroll(t, setup);
    const deviceId = await managedDeviceId(device);
    const profileId = await mailProfile('Leaving mail', 'leaving.contoso.com');
    await assign(profileId, [groupId]);
    const first = await device.idle();
    await device.acknowledge(first.command!);
    assert.equal((await deviceStatus(profileId, deviceId)).status, 'compliant');
    const overview = async () => (await t.request('GET', `/graph/beta/deviceManagement/deviceConfigurations/${profileId}/deviceStatusOverview`)).body;
    const successBefore = (await overview()).successCount as number;

    assert.equal((await device.checkIn({ MessageType: 'CheckOut', UDID: device.udid, Topic: device.topic })).status, 200);
    const states = (await t.request('GET', `/graph/beta/deviceManagement/managedDevices/${deviceId}/deviceConfigurationStates`)).body.value as Dict[];
    const state = states.find((row) => String(row.id).includes(profileId));
    assert.ok(state, JSON.stringify(states));
    assert.equal(state.state, 'notAssigned');
    assert.equal(state.reasonCode, 'deviceUnenrolled');
    assert.equal((await overview()).successCount, successBefore - 1);
    await assign(profileId, []);
  });

  it('answers UserAuthenticate with 410 (no user channel) and CheckOut ends the channel', async () => {
    const device = await TestAppleDevice.enroll(t, setup);
    const user = await device.checkIn({ MessageType: 'UserAuthenticate', UDID: device.udid, UserID: 'A1B2' });
    assert.equal(user.status, 410);
    assert.equal((await device.checkIn({ MessageType: 'CheckOut', UDID: device.udid, Topic: device.topic })).status, 200);
    assert.equal((await device.idle()).status, 403);
  });

  it('removes an unassigned profile when another email profile stays on the device', async () => {
    const userId = await createUser(t, 'remo@contoso.com');
    const token = await createEnrollmentToken(t, { userId, platform: 'iOS' });
    const device = await TestAppleDevice.enroll(t, { ...setup, userId, token: token.token, tokenId: token.id, enrollmentUrl: token.enrollmentUrl });
    const group = await t.request('POST', '/graph/beta/groups', { body: { displayName: 'Remo', 'members@odata.bind': [`https://graph.microsoft.com/beta/users/${userId}`] } });
    const keep = await mailProfile('Keep mail', 'keep.contoso.com');
    const drop = await mailProfile('Drop mail', 'drop.contoso.com');
    await assign(keep, [group.body.id]);
    await assign(drop, [group.body.id]);
    const identifiers: string[] = [];
    let reply = await device.idle();
    while (reply.command?.Command.RequestType === 'InstallProfile') {
      identifiers.push(openSignedProfile(installPayload(reply.command), caPem).PayloadIdentifier as string);
      reply = await device.acknowledge(reply.command);
    }
    assert.equal(identifiers.length, 2);
    if (reply.command) await device.acknowledge(reply.command, { ProfileList: identifiers.map((id) => ({ PayloadIdentifier: id, PayloadUUID: id })) });
    await assign(drop, []);
    const removal = await device.idle();
    assert.equal(removal.command?.Command.RequestType, 'RemoveProfile');
    assert.equal((removal.command!.Command as { Identifier: string }).Identifier, identifiers.find((id) => id.includes(drop)));
    await device.acknowledge(removal.command!);
  });
});

describe('Apple MDM verification by default: later, with a push', () => {
  let t: TestApp;
  after(() => t.close());

  it('does not ask for ProfileList in the rollout exchange; it schedules a push for it and asks when the device comes back', async () => {
    t = await createTestApp();
    const setup = await setUpEnrollment(t);
    const device = await TestAppleDevice.enroll(t, setup);
    const created = await t.request('POST', '/graph/beta/deviceManagement/deviceConfigurations', {
      body: {
        '@odata.type': '#microsoft.graph.iosEasEmailProfileConfiguration', displayName: 'Later', accountName: 'Later', hostName: 'later.contoso.com',
        usernameSource: 'userPrincipalName', emailAddressSource: 'userPrincipalName', requireSsl: true, durationOfEmailToSync: 'oneWeek',
      },
    });
    await t.request('POST', `/graph/beta/deviceManagement/deviceConfigurations/${created.body.id}/assign`, { body: { assignments: [{ target: { '@odata.type': '#microsoft.graph.allLicensedUsersAssignmentTarget' } }] } });
    const install = await device.idle();
    installPayload(install.command);
    await t.envelope.db.query('DELETE FROM wake_queue'); // the enrollment's push, already made in a running server
    const before = Date.now();
    const acknowledged = await device.acknowledge(install.command!);
    assert.equal(acknowledged.body.length, 0, 'nothing more in this exchange');
    const wakes = await t.envelope.db.query<{ due_at: Date; reason: string }>("SELECT due_at, reason FROM wake_queue WHERE reason = 'verify'");
    assert.equal(wakes.length, 1);
    const due = new Date(wakes[0]!.due_at).getTime();
    assert.ok(due >= before + 9 * 60_000 && due <= Date.now() + 11 * 60_000, `a push in about 10 minutes, not ${new Date(due).toISOString()}`);

    // Ten minutes later (brought forward here), the pushed device checks in and is asked for its list.
    await t.envelope.db.query('UPDATE apple_channel_state SET verify_due_at = now() - interval \'1 second\'');
    const list = await device.idle();
    assert.equal(list.command?.Command.RequestType, 'ProfileList');
  });
});
