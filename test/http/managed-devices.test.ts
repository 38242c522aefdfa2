import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

const path = '/graph/beta/deviceManagement/managedDevices';

describe('/graph/beta/deviceManagement/managedDevices', () => {
  let t: TestApp;
  let userId: string;
  before(async () => {
    t = await createTestApp();
    userId = (await t.request('POST', '/graph/beta/users', { body: { displayName: 'Bo', userPrincipalName: 'bo@contoso.com' } })).body.id;
  });
  after(() => t.close());

  it('registers a device with its primary user and shows the user on read', async () => {
    const created = await t.request('POST', path, {
      body: { deviceName: 'Bo iPad', operatingSystem: 'iPadOS', osVersion: '18.1', model: 'iPad Pro', userId },
    });
    assert.equal(created.status, 201);
    assert.equal(created.body.userPrincipalName, 'bo@contoso.com');
    assert.equal(created.body.userDisplayName, 'Bo');
    assert.equal(created.body.lastSyncDateTime, null);
    assert.ok(!Number.isNaN(Date.parse(created.body.enrolledDateTime)));
    const patched = await t.request('PATCH', `${path}/${created.body.id}`, { body: { userId: null, osVersion: '18.2' } });
    assert.equal(patched.status, 200);
    assert.equal(patched.body.userId, null);
    assert.equal(patched.body.osVersion, '18.2');
  });

  it('requires androidManagementMode on Android and refuses it elsewhere, naming the field', async () => {
    const before = await t.count('managed_devices');
    const missing = await t.request('POST', path, { body: { deviceName: 'Galaxy', operatingSystem: 'Android', osVersion: '14' } });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error.target, 'androidManagementMode');
    const misplaced = await t.request('POST', path, { body: { deviceName: 'PC', operatingSystem: 'Windows', osVersion: '10', androidManagementMode: 'knox' } });
    assert.equal(misplaced.status, 400);
    assert.equal(misplaced.body.error.target, 'androidManagementMode');
    assert.equal(await t.count('managed_devices'), before);
    const knox = await t.request('POST', path, { body: { deviceName: 'Galaxy', operatingSystem: 'Android', osVersion: '14', androidManagementMode: 'knox' } });
    assert.equal(knox.status, 201);
  });

  it('rejects an unknown operating system and a primary user that does not exist, writing nothing', async () => {
    const before = await t.count('managed_devices');
    const os = await t.request('POST', path, { body: { deviceName: 'X', operatingSystem: 'BeOS', osVersion: '5' } });
    assert.equal(os.status, 400);
    assert.equal(os.body.error.target, 'operatingSystem');
    const user = await t.request('POST', path, { body: { deviceName: 'X', operatingSystem: 'iOS', osVersion: '18', userId: '00000000-0000-4000-8000-000000000000' } });
    assert.equal(user.status, 400);
    assert.equal(user.body.error.target, 'userId');
    assert.equal(await t.count('managed_devices'), before);
  });

  it('filters devices by operatingSystem', async () => {
    const reply = await t.request('GET', `${path}?$filter=operatingSystem eq 'Android'`);
    assert.equal(reply.status, 200);
    assert.ok(reply.body.value.length >= 1);
    assert.ok(reply.body.value.every((d: { operatingSystem: string }) => d.operatingSystem === 'Android'));
  });
});
