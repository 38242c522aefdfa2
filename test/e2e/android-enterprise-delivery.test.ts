import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { enterpriseName, gmail, nineWork, startAmapiE2e, type AmapiE2e } from '../helpers/amapi-e2e.ts';

type Dict = Record<string, unknown>;

async function ledgerRow(e2e: AmapiE2e, deviceId: string, profileId: string): Promise<Dict | undefined> {
  return (await e2e.query('SELECT state, reason_code, message, operation, installed, last_error_code FROM delivery_ledger WHERE device_id = $1 AND profile_id = $2', [deviceId, profileId]))[0];
}

async function untilState(e2e: AmapiE2e, deviceId: string, profileId: string, states: string[], what = states.join('/')): Promise<Dict> {
  return e2e.waitFor(`${what} of ${profileId} on ${deviceId}`, async () => {
    const row = await ledgerRow(e2e, deviceId, profileId);
    return row !== undefined && states.includes(row.state as string) ? row : undefined;
  });
}

/** The applications[] of the device's policy at the stand-in. */
function applicationsOf(e2e: AmapiE2e, deviceId: string): Dict[] {
  return (e2e.standIn.policy(`${enterpriseName}/policies/envelope-${deviceId}`)?.applications ?? []) as Dict[];
}

describe('Android Enterprise delivery through the Android Management API (stand-in over HTTP)', () => {
  let e2e: AmapiE2e;
  before(async () => {
    e2e = await startAmapiE2e();
  });
  after(async () => {
    await e2e?.close();
  });

  it('installs a Gmail profile into the enrolled work profile and reports it compliant once the device applied that policy version', async () => {
    const alice = await e2e.user('alice');
    const { deviceId, amapiName } = await e2e.enrollDevice(alice.userId, { installed: [gmail] });
    const device = (await e2e.request('GET', `/graph/beta/deviceManagement/managedDevices/${deviceId}`)).body as Dict;
    assert.equal(device.operatingSystem, 'Android');
    assert.equal(device.userPrincipalName, alice.upn);
    const profileId = await e2e.mailProfile('gmail', 'Contoso Gmail');
    await e2e.assign(profileId, [alice.groupId]);
    const status = await e2e.waitFor('compliant', async () => {
      const row = await e2e.status(profileId, deviceId);
      return row?.status === 'compliant' ? row : undefined;
    });
    assert.equal(status.status, 'compliant');
    const apps = applicationsOf(e2e, deviceId);
    assert.equal(apps.length, 1);
    assert.equal(apps[0]!.packageName, gmail);
    assert.equal(apps[0]!.installType, 'AVAILABLE');
    assert.equal((apps[0]!.managedConfiguration as Dict).email_address, alice.upn);
    assert.equal((apps[0]!.managedConfiguration as Dict).exchange_host, 'mail.contoso.com');
    const policy = e2e.standIn.policy(`${enterpriseName}/policies/envelope-${deviceId}`)!;
    assert.deepEqual(policy.statusReportingSettings, { applicationReportsEnabled: true, softwareInfoEnabled: true });
    assert.equal(e2e.standIn.device(amapiName)!.policyName, `${enterpriseName}/policies/envelope-${deviceId}`);
  });

  it('updates the account in place: a changed setting is a new policy version with the new managed configuration', async () => {
    const bob = await e2e.user('bob');
    const { deviceId } = await e2e.enrollDevice(bob.userId, { installed: [gmail] });
    const profileId = await e2e.mailProfile('gmail', 'Gmail update');
    await e2e.assign(profileId, [bob.groupId]);
    await untilState(e2e, deviceId, profileId, ['succeeded', 'verified']);
    const before = e2e.standIn.policy(`${enterpriseName}/policies/envelope-${deviceId}`)!.version;
    const patch = await e2e.request('PATCH', `/graph/beta/deviceManagement/deviceConfigurations/${profileId}`, { '@odata.type': '#microsoft.graph.androidWorkProfileGmailEasConfiguration', durationOfEmailToSync: 'twoWeeks' });
    assert.ok([200, 204].includes(patch.status), JSON.stringify(patch.body));
    const row = await e2e.waitFor('the update installed', async () => {
      const current = await ledgerRow(e2e, deviceId, profileId);
      return current && ['succeeded', 'verified'].includes(current.state as string) && (current.installed as Dict).version === 2 ? current : undefined;
    });
    assert.equal(row.operation, 'update');
    assert.ok(Number(e2e.standIn.policy(`${enterpriseName}/policies/envelope-${deviceId}`)!.version) > Number(before));
    assert.equal((applicationsOf(e2e, deviceId)[0]!.managedConfiguration as Dict).default_sync_window, 4);
  });

  it('keeps the only email profile on unassignment, and removes Gmail from the policy once Nine Work is there', async () => {
    const carol = await e2e.user('carol');
    const { deviceId } = await e2e.enrollDevice(carol.userId, { installed: [gmail, nineWork] });
    const gmailProfile = await e2e.mailProfile('gmail', 'Gmail only');
    await e2e.assign(gmailProfile, [carol.groupId]);
    await untilState(e2e, deviceId, gmailProfile, ['succeeded', 'verified']);

    await e2e.assign(gmailProfile, []);
    const kept = await untilState(e2e, deviceId, gmailProfile, ['kept']);
    assert.equal(kept.reason_code, 'onlyEmailProfile');
    assert.deepEqual(applicationsOf(e2e, deviceId).map((app) => app.packageName), [gmail]);

    const nine = await e2e.mailProfile('nineWork', 'Nine Work');
    await e2e.assign(nine, [carol.groupId]);
    await untilState(e2e, deviceId, nine, ['succeeded', 'verified']);
    const removed = await untilState(e2e, deviceId, gmailProfile, ['removed']);
    assert.equal(removed.installed, null);
    assert.deepEqual(applicationsOf(e2e, deviceId).map((app) => app.packageName), [nineWork]);
    assert.equal((applicationsOf(e2e, deviceId)[0]!.managedConfiguration as Dict).Email, carol.upn);
  });

  it('says Gmail is not installed in the work profile, then succeeds once the user installs it', async () => {
    const dave = await e2e.user('dave');
    const { deviceId, amapiName } = await e2e.enrollDevice(dave.userId, { installed: [] });
    const profileId = await e2e.mailProfile('gmail', 'Gmail missing app');
    await e2e.assign(profileId, [dave.groupId]);
    const failed = await untilState(e2e, deviceId, profileId, ['error']);
    assert.equal(failed.last_error_code, 'APP_NOT_INSTALLED');
    assert.match(failed.message as string, /Gmail is not installed in the work profile/);
    const status = await e2e.status(profileId, deviceId);
    assert.equal(status?.status, 'error');

    e2e.standIn.installApp(amapiName, gmail);
    const installed = await untilState(e2e, deviceId, profileId, ['succeeded', 'verified']);
    assert.equal((installed.installed as Dict).version, 1);
    assert.equal((await e2e.status(profileId, deviceId))?.status, 'compliant');
  });

  it('fails a managed configuration the device refuses (INVALID_VALUE) terminally, naming the field', async () => {
    const erin = await e2e.user('erin');
    const { deviceId } = await e2e.enrollDevice(erin.userId, { installed: [gmail], rejectConfigOf: [gmail] });
    const profileId = await e2e.mailProfile('gmail', 'Gmail refused');
    await e2e.assign(profileId, [erin.groupId]);
    const failed = await untilState(e2e, deviceId, profileId, ['error']);
    assert.equal(failed.last_error_code, 'INVALID_VALUE');
    assert.match(failed.message as string, /refused Gmail's managed configuration at applications\[0\]\.managedConfiguration.*Not retried automatically/);
  });

  it('reports two Gmail profiles on one device as a conflict and puts neither into the policy', async () => {
    const frank = await e2e.user('frank');
    const { deviceId } = await e2e.enrollDevice(frank.userId, { installed: [gmail] });
    const first = await e2e.mailProfile('gmail', 'Gmail A');
    const second = await e2e.mailProfile('gmail', 'Gmail B', { hostName: 'mail2.contoso.com' });
    await e2e.assign(first, [frank.groupId]);
    await e2e.assign(second, [frank.groupId]);
    const row = await untilState(e2e, deviceId, second, ['conflict']);
    assert.match(row.message as string, /Gmail A/);
    // Neither profile was ever handed to the device: the policy has no app.
    assert.equal((await ledgerRow(e2e, deviceId, first))!.state, 'conflict');
    assert.deepEqual(applicationsOf(e2e, deviceId), []);
  });

  it('changes nothing for a repeated Pub/Sub message', async () => {
    const grace = await e2e.user('grace');
    const { deviceId, amapiName } = await e2e.enrollDevice(grace.userId, { installed: [] });
    const profileId = await e2e.mailProfile('gmail', 'Gmail redelivery');
    await e2e.assign(profileId, [grace.groupId]);
    await untilState(e2e, deviceId, profileId, ['error']);
    await e2e.standIn.settled();
    const snapshot = async () => JSON.stringify({
      ledger: await e2e.query('SELECT * FROM delivery_ledger WHERE device_id = $1', [deviceId]),
      commands: await e2e.query('SELECT command_id, policy_version, resolved_at, failure_code FROM android_enterprise_policy_commands WHERE device_id = $1 ORDER BY seq', [deviceId]),
      devices: await e2e.query('SELECT count(*)::int AS n FROM managed_devices'),
    });
    const before = await snapshot();
    const reports = e2e.standIn.pushed.filter((m) => m.device.name === amapiName);
    assert.ok(reports.some((m) => m.notificationType === 'ENROLLMENT'));
    for (const message of reports) assert.equal(await e2e.standIn.redeliver(message.messageId), 204);
    assert.equal(await snapshot(), before);
  });

  it('refuses a Pub/Sub post without the push token, or with a wrong one, and changes nothing', async () => {
    const count = async () => (await e2e.query<{ n: number }>('SELECT (SELECT count(*) FROM android_enterprise_pubsub_messages) + (SELECT count(*) FROM managed_devices) AS n'))[0]!.n;
    const before = await count();
    const body = JSON.stringify({ message: { data: Buffer.from(JSON.stringify({ name: `${enterpriseName}/devices/forged`, enrollmentTokenData: '{}' })).toString('base64'), attributes: { notificationType: 'ENROLLMENT' }, messageId: 'forged-1' } });
    for (const query of ['', '?token=', '?token=aeps_wrong']) {
      const response = await fetch(`${e2e.origin}/mdm/android/enterprise/pubsub${query}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      assert.equal(response.status, 401, query);
    }
    const malformed = await fetch(`${e2e.origin}/mdm/android/enterprise/pubsub?token=${e2e.pubsubToken}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message: { data: 'not json', attributes: { notificationType: 'STATUS_REPORT' }, messageId: 'bad-1' } }) });
    assert.equal(malformed.status, 400);
    assert.match(JSON.stringify(await malformed.json()), /message\.data/);
    assert.equal(await count(), before);
  });

  it('refuses enrollment with an unknown, or a non-Android, Envelope token', async () => {
    const henry = await e2e.user('henry');
    const post = (token: string) => fetch(`${e2e.origin}/mdm/android/enterprise/enroll`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
    assert.equal((await post('enr_unknown')).status, 401);
    const windows = (await e2e.request('POST', '/graph/beta/envelope/enrollmentTokens', { userId: henry.userId, platform: 'Windows', maxDevices: 1 })).body as Dict;
    const refused = await post(windows.token as string);
    assert.equal(refused.status, 403);
    assert.match(JSON.stringify(await refused.json()), /not Android/);
  });

  it('retries an idempotent policy patch Google answered 503, but not an enrollment-token create', async () => {
    const ivan = await e2e.user('ivan');
    const { deviceId } = await e2e.enrollDevice(ivan.userId, { installed: [gmail] });
    const profileId = await e2e.mailProfile('gmail', 'Gmail retried');
    const policy = `${enterpriseName}/policies/envelope-${deviceId}`;
    const patchesBefore = e2e.standIn.requests.filter((r) => r === `PATCH ${policy}`).length;
    e2e.standIn.failNext(1);
    await e2e.assign(profileId, [ivan.groupId]);
    await untilState(e2e, deviceId, profileId, ['succeeded', 'verified']);
    assert.equal(e2e.standIn.requests.filter((r) => r === `PATCH ${policy}`).length - patchesBefore, 2, 'the 503 and the library\'s retry');

    const token = (await e2e.request('POST', '/graph/beta/envelope/enrollmentTokens', { userId: ivan.userId, platform: 'Android', maxDevices: 1 })).body.token as string;
    const creates = () => e2e.standIn.requests.filter((r) => r.endsWith('/enrollmentTokens')).length;
    const createsBefore = creates();
    e2e.standIn.failNext(1);
    const refused = await fetch(`${e2e.origin}/mdm/android/enterprise/enroll`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
    assert.equal(refused.status, 503);
    assert.equal(creates() - createsBefore, 1, 'not retried: a repeat could mint a second token');
    const again = await fetch(`${e2e.origin}/mdm/android/enterprise/enroll`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
    assert.equal(again.status, 200);
  });

  it('marks everything removed when the user deletes the work profile, and patches nothing more for it', async () => {
    const judy = await e2e.user('judy');
    const { deviceId, amapiName } = await e2e.enrollDevice(judy.userId, { installed: [gmail] });
    const profileId = await e2e.mailProfile('gmail', 'Gmail deleted profile');
    await e2e.assign(profileId, [judy.groupId]);
    await untilState(e2e, deviceId, profileId, ['succeeded', 'verified']);
    e2e.standIn.deleteWorkProfile(amapiName);
    const removed = await untilState(e2e, deviceId, profileId, ['removed']);
    assert.equal(removed.reason_code, 'deviceUnenrolled');
    assert.equal((await e2e.query('SELECT 1 FROM android_enterprise_devices WHERE device_id = $1', [deviceId])).length, 0);
  });

  it('never returns or logs the service-account key', async () => {
    const got = await e2e.request('GET', '/graph/beta/envelope/androidEnterpriseSettings');
    assert.equal(got.status, 200);
    assert.equal(got.body.clientEmail, e2e.key.clientEmail);
    assert.equal(got.body.pubsubPushToken, null);
    const keyBody = e2e.key.privateKeyPem.split('\n')[1]!;
    for (const text of [JSON.stringify(got.body), e2e.logs.join('')]) {
      assert.ok(!text.includes('PRIVATE KEY'), 'no PEM marker');
      assert.ok(!text.includes(keyBody), 'no key material');
    }
    assert.ok(!e2e.logs.join('').includes(e2e.pubsubToken), 'the push token is redacted from request logs');
  });
});
