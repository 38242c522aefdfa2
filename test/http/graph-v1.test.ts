import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

/** `/graph/v1.0` serves what Graph v1.0 models — users, groups, managed devices — beside `/graph/beta`. */
describe('Graph v1.0 beside beta', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(() => t.close());

  it('creates and reads users, groups and devices on v1.0, the same objects as on beta, with links on v1.0', async () => {
    const ann = await t.request('POST', '/graph/v1.0/users', { body: { displayName: 'Ann', userPrincipalName: 'ann@contoso.com', accountEnabled: true, mailNickname: 'ann', passwordProfile: { password: 'Never-Stored-1' } } });
    assert.equal(ann.status, 201, JSON.stringify(ann.body));
    await t.request('POST', '/graph/v1.0/users', { body: { displayName: 'Bea', userPrincipalName: 'bea@contoso.com' } });
    assert.equal((await t.request('GET', `/graph/beta/users/${ann.body.id}`)).body.userPrincipalName, 'ann@contoso.com');
    const page = await t.request('GET', '/graph/v1.0/users?$top=1');
    assert.equal(page.status, 200);
    assert.match(page.body['@odata.nextLink'], /^https:\/\/envelope\.test\/graph\/v1\.0\/users\?/);
    assert.equal((await t.request('GET', page.body['@odata.nextLink'].replace('https://envelope.test', ''))).body.value.length, 1);
    assert.equal((await t.request('GET', '/graph/v1.0/users/ann@contoso.com')).body.id, ann.body.id);
    const group = await t.request('POST', '/graph/v1.0/groups', { body: { displayName: 'Sales', mailEnabled: false, securityEnabled: true, mailNickname: 'sales', 'members@odata.bind': [`https://graph.microsoft.com/v1.0/directoryObjects/${ann.body.id}`] } });
    assert.equal(group.status, 201, JSON.stringify(group.body));
    const device = await t.request('POST', '/graph/v1.0/deviceManagement/managedDevices', { body: { deviceName: 'Ann iPhone', operatingSystem: 'iOS', osVersion: '17.5', userId: ann.body.id } });
    assert.equal(device.status, 201, JSON.stringify(device.body));
    assert.equal((await t.request('GET', '/graph/v1.0/deviceManagement/managedDevices')).body.value.length, 1);
  });

  it('runs a $batch against v1.0 paths', async () => {
    const reply = await t.request('POST', '/graph/v1.0/$batch', { body: { requests: [{ id: '1', method: 'GET', url: '/users?$select=displayName' }, { id: '2', method: 'GET', url: '/groups' }] } });
    assert.deepEqual(reply.body.responses.map((r: { status: number }) => r.status), [200, 200]);
    assert.ok(reply.body.responses[0].body.value.some((u: { displayName: string }) => u.displayName === 'Ann'));
  });

  it('keeps beta-only resources off v1.0, and authenticates and authorises as beta does', async () => {
    assert.equal((await t.request('GET', '/graph/v1.0/deviceManagement/deviceConfigurations')).status, 404);
    assert.equal((await t.request('GET', '/graph/v1.0/users', { token: null })).status, 401);
    const readOnly = await t.readOnlyToken();
    assert.equal((await t.request('GET', '/graph/v1.0/users', { token: readOnly })).status, 200);
    assert.equal((await t.request('POST', '/graph/v1.0/users', { body: { displayName: 'X', userPrincipalName: 'x@contoso.com' }, token: readOnly })).status, 403);
    const other = await t.tenant('v1-other');
    assert.deepEqual((await t.request('GET', '/graph/v1.0/users', { token: other.admin })).body.value, []);
  });
});
