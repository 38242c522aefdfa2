import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

const configs = '/graph/beta/deviceManagement/deviceConfigurations';
const devicesUrl = '/graph/beta/deviceManagement/managedDevices';
const group = (groupId: string) => ({ target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId } });

describe('Graph delivery status: deviceStatuses, userStatuses, overviews, device states, summary and resend', () => {
  let t: TestApp;
  const ids = {} as Record<'ann' | 'bob' | 'annIphone' | 'annPc' | 'bobIpad' | 'kiosk' | 'sales' | 'shared' | 'profile', string>;
  let now = Date.UTC(2026, 10, 30, 10);

  async function create(url: string, body: unknown): Promise<string> {
    const reply = await t.request('POST', url, { body });
    assert.equal(reply.status, 201, JSON.stringify(reply.body));
    return reply.body.id;
  }

  before(async () => {
    t = await createTestApp();
    ids.ann = await create('/graph/beta/users', { displayName: 'Ann', userPrincipalName: 'ann@contoso.com' });
    ids.bob = await create('/graph/beta/users', { displayName: 'Bob', userPrincipalName: 'bob@contoso.com' });
    ids.annIphone = await create(devicesUrl, { deviceName: 'Ann iPhone', operatingSystem: 'iOS', osVersion: '17.4', model: 'iPhone 15', userId: ids.ann });
    ids.annPc = await create(devicesUrl, { deviceName: 'Ann PC', operatingSystem: 'Windows', osVersion: '10.0.22631', userId: ids.ann });
    ids.bobIpad = await create(devicesUrl, { deviceName: 'Bob iPad', operatingSystem: 'iPadOS', osVersion: '17.4', userId: ids.bob });
    ids.kiosk = await create(devicesUrl, { deviceName: 'Lobby iPad', operatingSystem: 'iOS', osVersion: '17.4', userId: null });
    ids.sales = await create('/graph/beta/groups', { displayName: 'Sales', 'members@odata.bind': [ids.ann, ids.bob].map((id) => `https://graph.microsoft.com/beta/users/${id}`) });
    ids.shared = await create('/graph/beta/groups', { displayName: 'Shared', 'members@odata.bind': [`https://graph.microsoft.com/beta/devices/${ids.kiosk}`] });
    ids.profile = await create(configs, {
      '@odata.type': '#microsoft.graph.iosEasEmailProfileConfiguration', displayName: 'iOS mail', accountName: 'Contoso', hostName: 'mail.contoso.com',
      usernameSource: 'userPrincipalName', emailAddressSource: 'userPrincipalName', requireSsl: true, durationOfEmailToSync: 'oneWeek',
    });
    assert.equal((await t.request('POST', `${configs}/${ids.profile}/assign`, { body: { assignments: [group(ids.sales), group(ids.shared)] } })).status, 200);

    // The devices check in: Ann's iPhone installs, Bob's iPad fails, the PC and the kiosk get nothing.
    const delivery = t.envelope.services.delivery;
    const tenantId = (await t.envelope.services.tenants.authenticate(`Bearer ${t.adminToken}`)).tenantId;
    const iphone = await delivery.checkIn(tenantId, ids.annIphone, (now += 1000));
    await delivery.recordResult(tenantId, ids.annIphone, iphone!.commandId, { kind: 'acknowledged' }, (now += 1000));
    const ipad = await delivery.checkIn(tenantId, ids.bobIpad, (now += 1000));
    await delivery.recordResult(tenantId, ids.bobIpad, ipad!.commandId, { kind: 'failed', error: { errorClass: 'terminal', code: 'MCInstallationErrorDomain (4002)', message: 'duplicate profile UUID' } }, (now += 1000));
    assert.equal(await delivery.checkIn(tenantId, ids.annPc, (now += 1000)), null);
    assert.equal(await delivery.checkIn(tenantId, ids.kiosk, (now += 1000)), null);
  });
  after(() => t.close());

  it('lists one Graph deviceConfigurationDeviceStatus per device with Envelope’s reason beside it', async () => {
    const reply = await t.request('GET', `${configs}/${ids.profile}/deviceStatuses`);
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    const byName = Object.fromEntries(reply.body.value.map((row: { deviceDisplayName: string }) => [row.deviceDisplayName, row]));
    assert.deepEqual(Object.keys(byName).sort(), ['Ann PC', 'Ann iPhone', 'Bob iPad', 'Lobby iPad']);
    const iphone = byName['Ann iPhone'];
    assert.deepEqual(Object.keys(iphone).sort(), [
      'adminMessage', 'attempts', 'complianceGracePeriodExpirationDateTime', 'deviceDisplayName', 'deviceModel', 'endUserMessage', 'id',
      'lastReportedDateTime', 'platform', 'reasonCode', 'status', 'stuck', 'userName', 'userPrincipalName', 'verifiedDateTime', 'waitingForUser',
    ]);
    assert.deepEqual(
      { id: iphone.id, userName: iphone.userName, userPrincipalName: iphone.userPrincipalName, deviceModel: iphone.deviceModel, platform: iphone.platform, status: iphone.status, reasonCode: iphone.reasonCode, attempts: iphone.attempts, stuck: iphone.stuck },
      { id: `${ids.profile}_${ids.annIphone}`, userName: 'Ann', userPrincipalName: 'ann@contoso.com', deviceModel: 'iPhone 15', platform: 2, status: 'compliant', reasonCode: 'installed', attempts: 1, stuck: false },
    );
    assert.equal(iphone.lastReportedDateTime, new Date(Date.UTC(2026, 10, 30, 10, 0, 2)).toISOString());
    assert.deepEqual([byName['Bob iPad'].status, byName['Bob iPad'].reasonCode], ['error', 'deliveryFailed']);
    assert.match(byName['Bob iPad'].adminMessage, /4002/);
    assert.deepEqual([byName['Ann PC'].status, byName['Ann PC'].reasonCode, byName['Ann PC'].platform], ['notApplicable', 'platformMismatch', 6]);
    assert.deepEqual([byName['Lobby iPad'].status, byName['Lobby iPad'].reasonCode, byName['Lobby iPad'].userName], ['error', 'noPrimaryUser', null]);
    assert.equal(byName['Lobby iPad'].lastReportedDateTime, '0001-01-01T00:00:00Z', 'Graph’s “never” for a device that has not reported');
  });

  it('pages deviceStatuses with $top and @odata.nextLink and filters them by status', async () => {
    const first = await t.request('GET', `${configs}/${ids.profile}/deviceStatuses?$top=3`);
    assert.equal(first.body.value.length, 3);
    const next = new URL(first.body['@odata.nextLink']);
    const second = await t.request('GET', `${next.pathname}${next.search}`);
    assert.equal(second.status, 200);
    assert.equal(second.body.value.length, 1);
    assert.equal(second.body['@odata.nextLink'], undefined);
    assert.equal(new Set([...first.body.value, ...second.body.value].map((r: { id: string }) => r.id)).size, 4);
    const errors = await t.request('GET', `${configs}/${ids.profile}/deviceStatuses?$filter=status eq 'error'&$select=deviceDisplayName`);
    assert.deepEqual(errors.body.value.map((r: { deviceDisplayName: string }) => r.deviceDisplayName).sort(), ['Bob iPad', 'Lobby iPad']);
  });

  it('counts devices and users in the overviews from the counters', async () => {
    const devices = await t.request('GET', `${configs}/${ids.profile}/deviceStatusOverview`);
    assert.equal(devices.status, 200);
    const { lastUpdateDateTime, ...deviceCounts } = devices.body;
    assert.deepEqual(deviceCounts, {
      id: `${ids.profile}_DeviceOverview`, pendingCount: 0, notApplicableCount: 1, notApplicablePlatformCount: 1, successCount: 1,
      errorCount: 2, failedCount: 0, conflictCount: 0, configurationVersion: 1,
    });
    assert.equal(lastUpdateDateTime, new Date(Date.UTC(2026, 10, 30, 10, 0, 6)).toISOString());
    const users = await t.request('GET', `${configs}/${ids.profile}/userStatusOverview`);
    const { lastUpdateDateTime: _at, ...userCounts } = users.body;
    assert.deepEqual(userCounts, {
      id: `${ids.profile}_UserOverview`, pendingCount: 0, notApplicableCount: 0, successCount: 1, errorCount: 1, failedCount: 0, conflictCount: 0, configurationVersion: 1,
    });
  });

  it('lists each user once with the most urgent status of their devices', async () => {
    const reply = await t.request('GET', `${configs}/${ids.profile}/userStatuses`);
    assert.equal(reply.status, 200);
    const rows = reply.body.value.map((r: { userPrincipalName: string; devicesCount: number; status: string; id: string }) => `${r.userPrincipalName} ${r.devicesCount} ${r.status}`);
    assert.deepEqual(rows.sort(), ['ann@contoso.com 2 compliant', 'bob@contoso.com 1 error']);
    assert.deepEqual(Object.keys(reply.body.value[0]).sort(), ['devicesCount', 'id', 'lastReportedDateTime', 'status', 'userDisplayName', 'userPrincipalName']);
  });

  it('shows a device’s profiles in deviceConfigurationStates and the tenant’s totals in the state summary', async () => {
    const states = await t.request('GET', `${devicesUrl}/${ids.annIphone}/deviceConfigurationStates`);
    assert.equal(states.status, 200);
    assert.deepEqual(states.body.value, [{
      id: `${ids.annIphone}_${ids.profile}`, displayName: 'iOS mail', platformType: 'iOS', settingCount: 0, settingStates: [], state: 'compliant', version: 1,
      userId: ids.ann, userPrincipalName: 'ann@contoso.com', reasonCode: 'installed', adminMessage: 'Version 1 is installed.', endUserMessage: null,
    }]);
    const summary = await t.request('GET', '/graph/beta/deviceManagement/deviceConfigurationDeviceStateSummaries');
    assert.deepEqual(summary.body, {
      unknownDeviceCount: 0, notApplicableDeviceCount: 1, compliantDeviceCount: 1, remediatedDeviceCount: 0, nonCompliantDeviceCount: 0, errorDeviceCount: 2, conflictDeviceCount: 0,
    });
  });

  it('resends to the devices in error: 202 with the device count, and the next check-in gets a new command', async () => {
    const bad = await t.request('POST', `${configs}/${ids.profile}/resend`, { body: { statuses: ['broken'] } });
    assert.equal(bad.status, 400);
    const reply = await t.request('POST', `${configs}/${ids.profile}/resend`, { body: { deviceIds: [ids.bobIpad], statuses: ['error'] } });
    assert.equal(reply.status, 202, JSON.stringify(reply.body));
    assert.deepEqual(reply.body, { deviceCount: 1 });
    const tenantId = (await t.envelope.services.tenants.authenticate(`Bearer ${t.adminToken}`)).tenantId;
    const command = await t.envelope.services.delivery.checkIn(tenantId, ids.bobIpad, (now += 1000));
    assert.equal(command?.kind, 'install');
    const row = (await t.request('GET', `${configs}/${ids.profile}/deviceStatuses?$filter=deviceDisplayName eq 'Bob iPad'`)).body.value[0];
    assert.deepEqual([row.status, row.reasonCode, row.attempts], ['unknown', 'adminResend', 2]);
  });

  it('denies without a token (401), a readOnly resend (403), and another tenant’s profile or device (404)', async () => {
    const reads = [
      `${configs}/${ids.profile}/deviceStatuses`, `${configs}/${ids.profile}/userStatuses`, `${configs}/${ids.profile}/deviceStatusOverview`,
      `${configs}/${ids.profile}/userStatusOverview`, `${devicesUrl}/${ids.annIphone}/deviceConfigurationStates`,
    ];
    const readOnly = await t.readOnlyToken();
    const other = await t.tenant('fabrikam');
    for (const url of [...reads, '/graph/beta/deviceManagement/deviceConfigurationDeviceStateSummaries']) {
      assert.equal((await t.request('GET', url, { token: null })).status, 401, url);
      assert.equal((await t.request('GET', url, { token: readOnly })).status, 200, url);
    }
    for (const url of reads) {
      const reply = await t.request('GET', url, { token: other.readOnly });
      assert.equal(reply.status, 404, url);
      assert.equal(reply.body.error.code, 'ResourceNotFound');
    }
    assert.equal((await t.request('POST', `${configs}/${ids.profile}/resend`, { token: readOnly, body: {} })).status, 403);
    assert.equal((await t.request('POST', `${configs}/${ids.profile}/resend`, { token: null, body: {} })).status, 401);
    assert.equal((await t.request('POST', `${configs}/${ids.profile}/resend`, { token: other.admin, body: {} })).status, 404);
    const otherSummary = await t.request('GET', '/graph/beta/deviceManagement/deviceConfigurationDeviceStateSummaries', { token: other.readOnly });
    assert.equal(otherSummary.body.errorDeviceCount, 0, 'another tenant sees none of these counts');
  });
});
