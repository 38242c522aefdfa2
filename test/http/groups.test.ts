import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

describe('/graph/beta/groups and members', () => {
  let t: TestApp;
  let userId: string;
  let deviceId: string;
  before(async () => {
    t = await createTestApp();
    userId = (await t.request('POST', '/graph/beta/users', { body: { displayName: 'Ann', userPrincipalName: 'ann@contoso.com' } })).body.id;
    deviceId = (await t.request('POST', '/graph/beta/deviceManagement/managedDevices', {
      body: { deviceName: 'Ann PC', operatingSystem: 'Windows', osVersion: '10.0.22631', userId },
    })).body.id;
  });
  after(() => t.close());

  it('creates a group with initial members from members@odata.bind and lists them typed', async () => {
    const created = await t.request('POST', '/graph/beta/groups', {
      body: {
        displayName: 'Sales',
        description: 'Sales team',
        'members@odata.bind': [`https://graph.microsoft.com/beta/directoryObjects/${userId}`, `https://graph.microsoft.com/beta/devices/${deviceId}`],
      },
    });
    assert.equal(created.status, 201);
    const members = await t.request('GET', `/graph/beta/groups/${created.body.id}/members`);
    assert.equal(members.status, 200);
    const byType = Object.fromEntries(members.body.value.map((m: { '@odata.type': string; id: string }) => [m['@odata.type'], m.id]));
    assert.deepEqual(byType, { '#microsoft.graph.user': userId, '#microsoft.graph.managedDevice': deviceId });
  });

  it('pages through members added in one request without repeating or skipping any', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await t.request('POST', '/graph/beta/users', { body: { displayName: `Pager ${i}`, userPrincipalName: `pager${i}@contoso.com` } })).body.id);
    }
    const { body: group } = await t.request('POST', '/graph/beta/groups', {
      body: { displayName: 'Paged', 'members@odata.bind': ids.map((id) => `https://graph.microsoft.com/beta/users/${id}`) },
    });
    const seen: string[] = [];
    let url: string | undefined = `/graph/beta/groups/${group.id}/members?$top=2`;
    for (let page = 0; url !== undefined && page < 10; page++) {
      const reply = await t.request('GET', url);
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      seen.push(...reply.body.value.map((m: { id: string }) => m.id));
      const next: string | undefined = reply.body['@odata.nextLink'];
      url = next === undefined ? undefined : next.slice(next.indexOf('/graph/beta'));
    }
    assert.deepEqual([...seen].sort(), [...ids].sort());
  });

  it('adds a member with members/$ref (204), refuses adding it twice (409), removes it (204)', async () => {
    const { body: group } = await t.request('POST', '/graph/beta/groups', { body: { displayName: 'Ref group' } });
    const ref = { '@odata.id': `https://graph.microsoft.com/beta/directoryObjects/${userId}` };
    assert.equal((await t.request('POST', `/graph/beta/groups/${group.id}/members/$ref`, { body: ref })).status, 204);
    const twice = await t.request('POST', `/graph/beta/groups/${group.id}/members/$ref`, { body: ref });
    assert.equal(twice.status, 409);
    assert.equal((await t.request('DELETE', `/graph/beta/groups/${group.id}/members/${userId}/$ref`)).status, 204);
    assert.equal((await t.request('DELETE', `/graph/beta/groups/${group.id}/members/${userId}/$ref`)).status, 404);
    assert.deepEqual((await t.request('GET', `/graph/beta/groups/${group.id}/members`)).body.value, []);
  });

  it('rejects a member reference that is not a directory object URL, or names no object of the tenant, with 400', async () => {
    const { body: group } = await t.request('POST', '/graph/beta/groups', { body: { displayName: 'Bad refs' } });
    const before = await t.count('group_members');
    const notUrl = await t.request('POST', `/graph/beta/groups/${group.id}/members/$ref`, { body: { '@odata.id': 'jane' } });
    assert.equal(notUrl.status, 400);
    assert.equal(notUrl.body.error.target, '@odata.id');
    const unknown = await t.request('POST', `/graph/beta/groups/${group.id}/members/$ref`, {
      body: { '@odata.id': 'https://graph.microsoft.com/beta/directoryObjects/00000000-0000-4000-8000-000000000000' },
    });
    assert.equal(unknown.status, 400);
    const bulk = await t.request('POST', '/graph/beta/groups', {
      body: { displayName: 'Half valid', 'members@odata.bind': [`https://graph.microsoft.com/beta/users/${userId}`, 'https://graph.microsoft.com/beta/users/00000000-0000-4000-8000-000000000000'] },
    });
    assert.equal(bulk.status, 400);
    assert.equal(bulk.body.error.target, 'members@odata.bind[1]');
    assert.equal(await t.count('group_members'), before);
    assert.equal((await t.request('GET', "/graph/beta/groups?$filter=displayName eq 'Half valid'")).body.value.length, 0);
  });

  it('refuses a duplicate group name with 409 and renames with PATCH', async () => {
    const { body: group } = await t.request('POST', '/graph/beta/groups', { body: { displayName: 'Finance' } });
    assert.equal((await t.request('POST', '/graph/beta/groups', { body: { displayName: 'finance' } })).status, 409);
    assert.equal((await t.request('PATCH', `/graph/beta/groups/${group.id}`, { body: { displayName: 'Finance EMEA' } })).status, 204);
    assert.equal((await t.request('GET', `/graph/beta/groups/${group.id}`)).body.displayName, 'Finance EMEA');
  });

  it('deleting a member user removes its memberships; deleting a group removes the group', async () => {
    const { body: temp } = await t.request('POST', '/graph/beta/users', { body: { displayName: 'Temp', userPrincipalName: 'temp@contoso.com' } });
    const { body: group } = await t.request('POST', '/graph/beta/groups', {
      body: { displayName: 'Temps', 'members@odata.bind': [`https://graph.microsoft.com/beta/users/${temp.id}`] },
    });
    assert.equal((await t.request('DELETE', `/graph/beta/users/${temp.id}`)).status, 204);
    assert.deepEqual((await t.request('GET', `/graph/beta/groups/${group.id}/members`)).body.value, []);
    assert.equal((await t.request('DELETE', `/graph/beta/groups/${group.id}`)).status, 204);
    assert.equal((await t.request('GET', `/graph/beta/groups/${group.id}`)).status, 404);
  });

  it("accepts Microsoft's documented create body (groupTypes, mailEnabled, mailNickname, securityEnabled) and returns it", async () => {
    const body = { description: 'Self help community for library', displayName: 'Library Assist', groupTypes: ['Unified'], mailEnabled: true, mailNickname: 'library', securityEnabled: false };
    const created = await t.request('POST', '/graph/beta/groups', { body });
    assert.equal(created.status, 201);
    assert.deepEqual({ ...created.body, id: undefined, createdDateTime: undefined }, { ...body, id: undefined, createdDateTime: undefined });
    assert.equal((await t.request('PATCH', `/graph/beta/groups/${created.body.id}`, { body: { securityEnabled: true } })).status, 204);
    const read = await t.request('GET', `/graph/beta/groups/${created.body.id}`);
    assert.deepEqual([read.body.securityEnabled, read.body.mailEnabled, read.body.groupTypes], [true, true, ['Unified']]);
    const bad = await t.request('POST', '/graph/beta/groups', { body: { displayName: 'Bad kinds', groupTypes: 'Unified' } });
    assert.deepEqual([bad.status, bad.body.error.target], [400, 'groupTypes']);
  });
});
