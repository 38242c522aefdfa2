import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

const iosProfile = {
  '@odata.type': '#microsoft.graph.iosEasEmailProfileConfiguration',
  displayName: 'Contoso mail (iOS)',
  accountName: 'Contoso',
  hostName: 'mail.contoso.com',
  emailAddressSource: 'primarySmtpAddress',
  usernameSource: 'userPrincipalName',
  requireSsl: true,
  durationOfEmailToSync: 'oneWeek',
};

interface Fixture {
  userId: string;
  groupId: string;
  deviceId: string;
  profileId: string;
}

/**
 * Every route of the Graph API, with a body that would succeed for the owning tenant's admin;
 * `write` marks what needs the admin role (writes, and admin-only reads such as previews).
 */
function routes(f: Fixture): Array<{ method: 'GET' | 'POST' | 'PATCH' | 'DELETE'; url: string; body?: unknown; write: boolean }> {
  return [
    { method: 'GET', url: '/graph/beta/users', write: false },
    { method: 'POST', url: '/graph/beta/users', body: { displayName: 'N', userPrincipalName: 'n@contoso.com' }, write: true },
    { method: 'GET', url: `/graph/beta/users/${f.userId}`, write: false },
    { method: 'PATCH', url: `/graph/beta/users/${f.userId}`, body: { displayName: 'Renamed' }, write: true },
    { method: 'DELETE', url: `/graph/beta/users/${f.userId}`, write: true },
    { method: 'GET', url: '/graph/beta/groups', write: false },
    { method: 'POST', url: '/graph/beta/groups', body: { displayName: 'New group' }, write: true },
    { method: 'GET', url: `/graph/beta/groups/${f.groupId}`, write: false },
    { method: 'PATCH', url: `/graph/beta/groups/${f.groupId}`, body: { description: 'x' }, write: true },
    { method: 'GET', url: `/graph/beta/groups/${f.groupId}/members`, write: false },
    { method: 'POST', url: `/graph/beta/groups/${f.groupId}/members/$ref`, body: { '@odata.id': `https://graph.microsoft.com/beta/directoryObjects/${f.deviceId}` }, write: true },
    { method: 'DELETE', url: `/graph/beta/groups/${f.groupId}/members/${f.userId}/$ref`, write: true },
    { method: 'DELETE', url: `/graph/beta/groups/${f.groupId}`, write: true },
    { method: 'GET', url: '/graph/beta/deviceManagement/managedDevices', write: false },
    { method: 'POST', url: '/graph/beta/deviceManagement/managedDevices', body: { deviceName: 'D', operatingSystem: 'iOS', osVersion: '18' }, write: true },
    { method: 'GET', url: `/graph/beta/deviceManagement/managedDevices/${f.deviceId}`, write: false },
    { method: 'PATCH', url: `/graph/beta/deviceManagement/managedDevices/${f.deviceId}`, body: { osVersion: '18.2' }, write: true },
    { method: 'DELETE', url: `/graph/beta/deviceManagement/managedDevices/${f.deviceId}`, write: true },
    { method: 'GET', url: '/graph/beta/deviceManagement/deviceConfigurations', write: false },
    { method: 'POST', url: '/graph/beta/deviceManagement/deviceConfigurations', body: { ...iosProfile, displayName: 'Another' }, write: true },
    { method: 'GET', url: `/graph/beta/deviceManagement/deviceConfigurations/${f.profileId}`, write: false },
    { method: 'PATCH', url: `/graph/beta/deviceManagement/deviceConfigurations/${f.profileId}`, body: { '@odata.type': iosProfile['@odata.type'], description: 'x' }, write: true },
    { method: 'DELETE', url: `/graph/beta/deviceManagement/deviceConfigurations/${f.profileId}`, write: true },
    { method: 'GET', url: `/graph/beta/deviceManagement/deviceConfigurations/${f.profileId}/assignments`, write: false },
    {
      method: 'POST',
      url: `/graph/beta/deviceManagement/deviceConfigurations/${f.profileId}/assign`,
      body: { assignments: [{ target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId: f.groupId } }] },
      write: true,
    },
    { method: 'POST', url: `/graph/beta/deviceManagement/deviceConfigurations/${f.profileId}/getTargetedUsersAndDevices`, write: false },
    { method: 'GET', url: `/graph/beta/deviceManagement/deviceConfigurations/${f.profileId}/preview?userId=${f.userId}`, write: true },
    { method: 'GET', url: '/graph/beta/envelope/certificateAuthority', write: false },
  ];
}

/** Total rows of every tenant-owned table: a denied request must change none of them. */
async function snapshot(t: TestApp): Promise<string> {
  const tables = ['users', 'groups', 'group_members', 'managed_devices', 'device_configurations', 'device_configuration_assignments'];
  const counts = await Promise.all(tables.map((table) => t.count(table)));
  return tables.map((table, i) => `${table}=${counts[i]}`).join(' ');
}

describe('authentication, roles and tenant isolation on every Graph route', () => {
  let t: TestApp;
  let f: Fixture;
  let readOnly: string;
  let other: { admin: string; readOnly: string };

  before(async () => {
    t = await createTestApp();
    const userId = (await t.request('POST', '/graph/beta/users', { body: { displayName: 'U', userPrincipalName: 'u@contoso.com' } })).body.id;
    const groupId = (await t.request('POST', '/graph/beta/groups', {
      body: { displayName: 'G', 'members@odata.bind': [`https://graph.microsoft.com/beta/users/${userId}`] },
    })).body.id;
    const deviceId = (await t.request('POST', '/graph/beta/deviceManagement/managedDevices', { body: { deviceName: 'D', operatingSystem: 'iOS', osVersion: '18' } })).body.id;
    const profile = await t.request('POST', '/graph/beta/deviceManagement/deviceConfigurations', { body: iosProfile });
    assert.equal(profile.status, 201, JSON.stringify(profile.body));
    f = { userId, groupId, deviceId, profileId: profile.body.id };
    readOnly = await t.readOnlyToken();
    other = await t.tenant('fabrikam');
  });
  after(() => t.close());

  it('answers 401 in Graph error shape to every route without a token or with an unknown one', async () => {
    const before = await snapshot(t);
    for (const route of routes(f)) {
      for (const token of [null, 'env_not-a-real-token', '']) {
        const reply = await t.request(route.method, route.url, { body: route.body, token });
        assert.equal(reply.status, 401, `${route.method} ${route.url} token=${token}`);
        assert.equal(reply.body.error.code, 'InvalidAuthenticationToken');
      }
    }
    assert.equal(await snapshot(t), before);
  });

  it('refuses a revoked token with 401 from the next request on', async () => {
    const issued = await t.envelope.services.tenants.createToken('default', 'admin', 'short-lived');
    assert.equal((await t.request('GET', '/graph/beta/users', { token: issued.token })).status, 200);
    await t.envelope.services.tenants.revokeToken('default', issued.tokenId);
    assert.equal((await t.request('GET', '/graph/beta/users', { token: issued.token })).status, 401);
  });

  it('answers 403 to every write with a readOnly token, and lets it read', async () => {
    const before = await snapshot(t);
    for (const route of routes(f)) {
      const reply = await t.request(route.method, route.url, { body: route.body, token: readOnly });
      if (route.write) {
        assert.equal(reply.status, 403, `${route.method} ${route.url}`);
        assert.equal(reply.body.error.code, 'Forbidden');
      } else {
        assert.equal(reply.status, 200, `${route.method} ${route.url}: ${JSON.stringify(reply.body)}`);
      }
    }
    assert.equal(await snapshot(t), before);
  });

  it("answers 404 to another tenant's admin for every object route, exactly as for a missing id", async () => {
    const before = await snapshot(t);
    const missing: Fixture = {
      userId: '00000000-0000-4000-8000-000000000001',
      groupId: '00000000-0000-4000-8000-000000000002',
      deviceId: '00000000-0000-4000-8000-000000000003',
      profileId: '00000000-0000-4000-8000-000000000004',
    };
    const mine = routes(f);
    const absent = routes(missing);
    for (const [i, route] of mine.entries()) {
      if (!/[0-9a-f]{8}-/.test(route.url)) continue;
      const reply = await t.request(route.method, route.url, { body: route.body, token: other.admin });
      const control = await t.request(absent[i]!.method, absent[i]!.url, { body: absent[i]!.body, token: other.admin });
      assert.ok([404, 400].includes(reply.status), `${route.method} ${route.url}: ${reply.status}`);
      assert.equal(reply.status, control.status, `${route.method} ${route.url}`);
      assert.equal(reply.body.error.code, control.body.error.code, `${route.method} ${route.url}`);
    }
    assert.equal(await snapshot(t), before);
  });

  it("lists nothing of the default tenant's objects to another tenant", async () => {
    for (const url of ['/graph/beta/users', '/graph/beta/groups', '/graph/beta/deviceManagement/managedDevices', '/graph/beta/deviceManagement/deviceConfigurations']) {
      const reply = await t.request('GET', url, { token: other.admin });
      assert.equal(reply.status, 200);
      assert.deepEqual(reply.body.value, [], url);
    }
  });

  it("cannot reach the default tenant's objects by reference from another tenant", async () => {
    const group = await t.request('POST', '/graph/beta/groups', {
      body: { displayName: 'Fabrikam group', 'members@odata.bind': [`https://graph.microsoft.com/beta/users/${f.userId}`] },
      token: other.admin,
    });
    assert.equal(group.status, 400);
    const device = await t.request('POST', '/graph/beta/deviceManagement/managedDevices', {
      body: { deviceName: 'Stolen', operatingSystem: 'iOS', osVersion: '18', userId: f.userId },
      token: other.admin,
    });
    assert.equal(device.status, 400);
    const { body: profile } = await t.request('POST', '/graph/beta/deviceManagement/deviceConfigurations', { body: iosProfile, token: other.admin });
    const assign = await t.request('POST', `/graph/beta/deviceManagement/deviceConfigurations/${profile.id}/assign`, {
      body: { assignments: [{ target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId: f.groupId } }] },
      token: other.admin,
    });
    assert.equal(assign.status, 400);
    assert.equal(assign.body.error.target, 'assignments[0].target.groupId');
  });
});
