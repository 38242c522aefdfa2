import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appleErrorCodes } from '../../src/protocols/apple-mdm/index.ts';
import { createTestCa, issuePushCertificate } from '../../sim/apns/apns-test-pki.ts';
import { setUpEnrollment, type EnrollmentSetup } from '../helpers/apple-enrollment.ts';
import { TestAppleDevice } from '../helpers/apple-device.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

const configs = '/graph/beta/deviceManagement/deviceConfigurations';
const devicesUrl = '/graph/beta/deviceManagement/managedDevices';
const alertsUrl = '/graph/beta/envelope/alerts';
const bind = (id: string) => `https://graph.microsoft.com/beta/deviceManagement/deviceConfigurations('${id}')`;
const sources = { usernameSource: 'userPrincipalName', emailAddressSource: 'userPrincipalName', requireSsl: true, durationOfEmailToSync: 'oneWeek' };
const ios = (displayName: string, hostName: string, extra: Record<string, unknown> = {}) => ({
  '@odata.type': '#microsoft.graph.iosEasEmailProfileConfiguration', displayName, accountName: displayName, hostName, ...sources, ...extra,
});
const duplicateChain = [
  { ...appleErrorCodes.installationFailed, LocalizedDescription: 'Profile Installation Failed', USEnglishDescription: 'Profile Installation Failed' },
  { ...appleErrorCodes.accountNotUnique, LocalizedDescription: 'An account already exists', USEnglishDescription: 'An Exchange account with the same name already exists.' },
];
const day = 24 * 60 * 60_000;

describe('Alerts computed from delivery status (envelope/alerts)', () => {
  let t: TestApp;
  let setup: EnrollmentSetup;
  let tenantId: string;
  const ids = {} as Record<string, string>;

  async function create(url: string, body: unknown): Promise<string> {
    const reply = await t.request('POST', url, { body });
    assert.equal(reply.status, 201, JSON.stringify(reply.body));
    return reply.body.id;
  }
  async function assignTo(profileId: string, members: { users?: string[]; devices?: string[] }): Promise<string> {
    const refs = [...(members.users ?? []).map((id) => `https://graph.microsoft.com/beta/users/${id}`), ...(members.devices ?? []).map((id) => `https://graph.microsoft.com/beta/devices/${id}`)];
    const groupId = await create('/graph/beta/groups', { displayName: `Group ${profileId}`, 'members@odata.bind': refs });
    const reply = await t.request('POST', `${configs}/${profileId}/assign`, { body: { assignments: [{ target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId } }] } });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    return groupId;
  }
  const checkIn = (deviceId: string, now = Date.now()) => t.envelope.services.delivery.checkIn(tenantId, deviceId, now);
  const alerts = async (token?: string) => {
    const reply = await t.request('GET', alertsUrl, { token });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    return Object.fromEntries(reply.body.value.map((a: { kind: string }) => [a.kind, a]));
  };
  const affected = async (kind: string, query = '') => {
    const reply = await t.request('GET', `${alertsUrl}/${kind}/affected${query}`);
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    return reply.body;
  };

  before(async () => {
    t = await createTestApp({ appleMdmOptions: { verifyDelayMs: 0 } });
    tenantId = (await t.envelope.services.tenants.authenticate(`Bearer ${t.adminToken}`)).tenantId;

    // An enrolled iPhone whose user made the same account by hand: the device answers 21005.
    setup = await setUpEnrollment(t);
    const iphone = await TestAppleDevice.enroll(t, setup);
    await assignTo(await create(configs, ios('Jane mail', 'mail.contoso.com')), { users: [setup.userId] });
    const install = await iphone.idle();
    assert.ok(install.command, 'the install command');
    assert.equal((await iphone.fail(install.command!, duplicateChain)).status, 200);

    const user = (name: string) => create('/graph/beta/users', { displayName: name, userPrincipalName: `${name.toLowerCase()}@contoso.com` });
    const device = (deviceName: string, operatingSystem: string, osVersion: string, userId: string | null, androidManagementMode?: string) =>
      create(devicesUrl, { deviceName, operatingSystem, osVersion, userId, ...(androidManagementMode ? { androidManagementMode } : {}) });
    for (const name of ['Ann', 'Bob', 'Dan', 'Eve', 'Fay']) ids[name.toLowerCase()] = await user(name);

    // Two Envelope profiles making the same account on Ann's iPhone.
    ids.annIphone = await device('Ann iPhone', 'iOS', '17.4', ids.ann!);
    ids.clashA = await create(configs, ios('Clash A', 'clash.contoso.com'));
    ids.clashB = await create(configs, ios('Clash B', 'clash.contoso.com'));
    ids.clashGroup = await assignTo(ids.clashA!, { users: [ids.ann!] });
    assert.equal((await t.request('POST', `${configs}/${ids.clashB}/assign`, { body: { assignments: [{ target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId: ids.clashGroup } }] } })).status, 200);
    assert.equal(await checkIn(ids.annIphone!), null);

    // Bob has no mail attribute; the profile takes the address from it.
    ids.bobIphone = await device('Bob iPhone', 'iOS', '17.4', ids.bob!);
    await assignTo(await create(configs, ios('SMTP mail', 'smtp.contoso.com', { emailAddressSource: 'primarySmtpAddress' })), { users: [ids.bob!] });
    assert.equal(await checkIn(ids.bobIphone!), null);

    // A lobby iPad without a primary user, targeted through a device group.
    ids.kiosk = await device('Lobby iPad', 'iPadOS', '17.4', null);
    await assignTo(await create(configs, ios('Lobby mail', 'lobby.contoso.com')), { devices: [ids.kiosk!] });
    assert.equal(await checkIn(ids.kiosk!), null);

    // Dan's work profile has no Gmail: the Android Enterprise channel reports AMAPI's APP_NOT_INSTALLED.
    ids.danPixel = await device('Dan Pixel', 'Android', '14', ids.dan!, 'workProfile');
    await assignTo(await create(configs, {
      '@odata.type': '#microsoft.graph.androidWorkProfileGmailEasConfiguration', displayName: 'Gmail', hostName: 'mail.contoso.com', authenticationMethod: 'usernameAndPassword', ...sources,
    }), { users: [ids.dan!] });
    const gmail = await checkIn(ids.danPixel!);
    assert.ok(gmail);
    assert.equal(await t.envelope.services.delivery.recordResult(tenantId, ids.danPixel!, gmail.commandId,
      { kind: 'failed', error: { errorClass: 'transient', code: 'APP_NOT_INSTALLED', message: 'Gmail is not installed in the work profile.' } }, Date.now()), true);

    // Eve's profile authenticates with a certificate profile nobody assigned.
    ids.eveIphone = await device('Eve iPhone', 'iOS', '17.4', ids.eve!);
    const pkcs = await create(configs, { '@odata.type': '#microsoft.graph.iosPkcsCertificateProfile', displayName: 'Eve identity', subjectAlternativeNameType: 'emailAddress' });
    await assignTo(await create(configs, ios('Cert mail', 'cert.contoso.com', { authenticationMethod: 'certificate', 'identityCertificate@odata.bind': bind(pkcs) })), { users: [ids.eve!] });
    assert.equal(await checkIn(ids.eveIphone!), null);

    // Fay's two PCs fetched their command two days ago and never answered.
    ids.fayPc = await device('Fay PC', 'Windows', '10.0.22631', ids.fay!);
    ids.fayPc2 = await device('Fay PC 2', 'Windows', '10.0.22631', ids.fay!);
    await assignTo(await create(configs, {
      '@odata.type': '#microsoft.graph.windows10EasEmailProfileConfiguration', displayName: 'PC mail', accountName: 'PC mail', hostName: 'mail.contoso.com', ...sources, emailSyncSchedule: 'asMessagesArrive',
    }), { users: [ids.fay!] });
    for (const pc of [ids.fayPc!, ids.fayPc2!]) assert.ok(await checkIn(pc, Date.now() - 2 * day));
  });
  after(() => t.close());

  it('lists one alert per problem with its severity, affected count and fix', async () => {
    const active = await alerts();
    assert.deepEqual(Object.keys(active).sort(), [
      'androidAppNotInstalled', 'certificateChainIncomplete', 'duplicateAccountBlocks', 'noPrimaryUser', 'profileConflict', 'stuckPending', 'userAttributeMissing',
    ]);
    const counts = Object.fromEntries(Object.entries(active).map(([kind, a]) => [kind, (a as { affectedCount: number }).affectedCount]));
    assert.deepEqual(counts, {
      androidAppNotInstalled: 1, certificateChainIncomplete: 1, duplicateAccountBlocks: 1, noPrimaryUser: 1, profileConflict: 1, stuckPending: 2, userAttributeMissing: 1,
    });
    assert.deepEqual(active.profileConflict, { ...active.profileConflict, id: 'profileConflict', severity: 'critical', dueDateTime: null });
    for (const alert of Object.values(active) as { fix: string; title: string }[]) {
      assert.match(alert.fix, /^[A-Z].+\.$/);
      assert.ok(alert.title.length > 0);
    }
  });

  it('names each affected device with its user and the profiles concerned', async () => {
    const expected: Record<string, { device: string; profile: string; reasonCode: string; message?: RegExp }> = {
      duplicateAccountBlocks: { device: '', profile: 'Jane mail', reasonCode: 'duplicateAccount' },
      profileConflict: { device: 'Ann iPhone', profile: 'Clash A', reasonCode: 'accountConflict', message: /'Clash B'/ },
      userAttributeMissing: { device: 'Bob iPhone', profile: 'SMTP mail', reasonCode: 'userAttributeMissing', message: /mail/ },
      noPrimaryUser: { device: 'Lobby iPad', profile: 'Lobby mail', reasonCode: 'noPrimaryUser' },
      androidAppNotInstalled: { device: 'Dan Pixel', profile: 'Gmail', reasonCode: 'deliveryFailed', message: /APP_NOT_INSTALLED|not installed/ },
      certificateChainIncomplete: { device: 'Eve iPhone', profile: 'Cert mail', reasonCode: 'certificateNotAssigned' },
    };
    for (const [kind, want] of Object.entries(expected)) {
      const body = await affected(kind);
      assert.equal(body.value.length, 1, `${kind}: ${JSON.stringify(body)}`);
      const item = body.value[0];
      if (want.device !== '') assert.equal(item.deviceName, want.device, kind);
      const profile = item.profiles.find((p: { displayName: string }) => p.displayName === want.profile);
      assert.ok(profile, `${kind}: ${JSON.stringify(item.profiles)}`);
      assert.equal(profile.reasonCode, want.reasonCode, kind);
      if (want.message) assert.match(profile.message, want.message, kind);
    }
    const jane = (await affected('duplicateAccountBlocks')).value[0];
    assert.equal(jane.userPrincipalName, 'jane@contoso.com');
    assert.equal(jane.operatingSystem, 'iOS');
  });

  it('pages the affected devices with $top and @odata.nextLink', async () => {
    const first = await affected('stuckPending', '?$top=1');
    assert.equal(first.value.length, 1);
    const next = new URL(first['@odata.nextLink']);
    const second = await affected('stuckPending', next.search);
    assert.equal(second.value.length, 1);
    assert.equal(second['@odata.nextLink'], undefined);
    assert.deepEqual([first.value[0].deviceName, second.value[0].deviceName].sort(), ['Fay PC', 'Fay PC 2']);
    assert.equal(first.value[0].profiles[0].displayName, 'PC mail');
  });

  it('raises the push certificate alert within 30 days of its expiry, counting the Apple devices', async () => {
    assert.equal((await alerts()).pushCertificateExpiring, undefined, 'a year left: no alert');
    const expiring = await issuePushCertificate(await createTestCa('Apple test CA'), { topic: setup.topic, notAfter: new Date(Date.now() + 10 * day) });
    const put = await t.request('PUT', '/graph/beta/envelope/applePushCertificate', { body: { certificate: expiring.certificatePem, privateKey: expiring.privateKeyPem } });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    const alert = (await alerts()).pushCertificateExpiring;
    assert.equal(alert.severity, 'warning');
    assert.equal(alert.affectedCount, 1);
    assert.equal(alert.dueDateTime, expiring.certificate.notAfter.toISOString());
    assert.match(alert.fix, /identity\.apple\.com/);
    assert.equal((await affected('pushCertificateExpiring')).value.length, 1);
  });

  it('is readable with a readOnly token, scoped to the tenant, and refuses an unknown kind naming it', async () => {
    assert.equal(Object.keys(await alerts(await t.readOnlyToken())).length, 8);
    assert.equal((await t.request('GET', alertsUrl, { token: null })).status, 401);
    const other = await t.tenant('fabrikam');
    assert.deepEqual(await alerts(other.readOnly), {});
    const foreign = await t.request('GET', `${alertsUrl}/profileConflict/affected`, { token: other.admin });
    assert.deepEqual(foreign.body.value, []);
    const unknown = await t.request('GET', `${alertsUrl}/knoxFlapping/affected`);
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.error.target, 'kind');
    const badTop = await t.request('GET', `${alertsUrl}/stuckPending/affected?$top=0`);
    assert.equal(badTop.status, 400);
    assert.equal(badTop.body.error.target, '$top');
  });

  it('drops an alert once its cause is gone', async () => {
    assert.equal((await t.request('POST', `${configs}/${ids.clashB}/assign`, { body: { assignments: [] } })).status, 200);
    assert.ok(await checkIn(ids.annIphone!), 'Clash A installs now');
    assert.equal((await alerts()).profileConflict, undefined);
    assert.deepEqual((await affected('profileConflict')).value, []);
  });
});
