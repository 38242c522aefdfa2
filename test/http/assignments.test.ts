import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

const configs = '/graph/beta/deviceManagement/deviceConfigurations';
const group = (groupId: string) => ({ target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId } });
const exclude = (groupId: string) => ({ target: { '@odata.type': '#microsoft.graph.exclusionGroupAssignmentTarget', groupId } });

describe('assignments and getTargetedUsersAndDevices', () => {
  let t: TestApp;
  const ids = {} as Record<'ann' | 'bob' | 'annIphone' | 'annPc' | 'bobIpad' | 'kiosk' | 'sales' | 'contractors' | 'shared' | 'profile', string>;

  async function create(url: string, body: unknown): Promise<string> {
    const reply = await t.request('POST', url, { body });
    assert.equal(reply.status, 201, JSON.stringify(reply.body));
    return reply.body.id;
  }
  const device = (deviceName: string, operatingSystem: string, userId: string | null, extra: Record<string, unknown> = {}) =>
    create('/graph/beta/deviceManagement/managedDevices', { deviceName, operatingSystem, osVersion: '1', userId, ...extra });

  before(async () => {
    t = await createTestApp();
    ids.ann = await create('/graph/beta/users', { displayName: 'Ann', userPrincipalName: 'ann@contoso.com' });
    ids.bob = await create('/graph/beta/users', { displayName: 'Bob', userPrincipalName: 'bob@contoso.com' });
    ids.annIphone = await device('Ann iPhone', 'iOS', ids.ann);
    ids.annPc = await device('Ann PC', 'Windows', ids.ann);
    ids.bobIpad = await device('Bob iPad', 'iPadOS', ids.bob);
    ids.kiosk = await device('Lobby iPad', 'iOS', null);
    ids.sales = await create('/graph/beta/groups', {
      displayName: 'Sales', 'members@odata.bind': [ids.ann, ids.bob].map((id) => `https://graph.microsoft.com/beta/users/${id}`),
    });
    ids.contractors = await create('/graph/beta/groups', { displayName: 'Contractors', 'members@odata.bind': [`https://graph.microsoft.com/beta/users/${ids.bob}`] });
    ids.shared = await create('/graph/beta/groups', {
      displayName: 'Shared devices', 'members@odata.bind': [ids.kiosk, ids.annPc].map((id) => `https://graph.microsoft.com/beta/devices/${id}`),
    });
    ids.profile = await create(configs, {
      '@odata.type': '#microsoft.graph.iosEasEmailProfileConfiguration', displayName: 'iOS mail', accountName: 'Contoso', hostName: 'mail.contoso.com',
      usernameSource: 'userPrincipalName', emailAddressSource: 'userPrincipalName', requireSsl: true, durationOfEmailToSync: 'oneWeek',
    });
  });
  after(() => t.close());

  it('assign replaces the whole set and returns it in Graph shape with Intune ids', async () => {
    const first = await t.request('POST', `${configs}/${ids.profile}/assign`, { body: { assignments: [group(ids.sales), exclude(ids.contractors)] } });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.deepEqual(first.body.value.map((a: { id: string }) => a.id).sort(), [`${ids.profile}_${ids.contractors}`, `${ids.profile}_${ids.sales}`].sort());
    const second = await t.request('POST', `${configs}/${ids.profile}/assign`, {
      body: { assignments: [{ target: { '@odata.type': '#microsoft.graph.allLicensedUsersAssignmentTarget' } }] },
    });
    assert.equal(second.status, 200);
    const listed = await t.request('GET', `${configs}/${ids.profile}/assignments`);
    assert.deepEqual(listed.body.value, second.body.value);
    assert.equal(listed.body.value.length, 1);
    assert.equal(listed.body.value[0].id, `${ids.profile}_acacacac-9df4-4c7d-9d50-4ef0226f57a9`);
    assert.equal(listed.body.value[0].target['@odata.type'], '#microsoft.graph.allLicensedUsersAssignmentTarget');
  });

  it('targets the primary users’ devices of the right platform, honouring exclusions of the same kind', async () => {
    await t.request('POST', `${configs}/${ids.profile}/assign`, { body: { assignments: [group(ids.sales), exclude(ids.contractors), group(ids.shared)] } });
    const reply = await t.request('POST', `${configs}/${ids.profile}/getTargetedUsersAndDevices`, { token: await t.readOnlyToken() });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    assert.deepEqual(reply.body.value.map((v: { deviceName: string; userPrincipalName: string }) => `${v.deviceName}/${v.userPrincipalName}`), ['Ann iPhone/ann@contoso.com']);
    const reasons = Object.fromEntries(reply.body.notApplicable.map((d: { deviceName: string; reason: string }) => [d.deviceName, d.reason]));
    assert.deepEqual(reasons, { 'Lobby iPad': 'noPrimaryUser', 'Ann PC': 'platformMismatch' });
  });

  it('refuses assignments to a missing group or a malformed body with 400 naming the field, keeping the old set', async () => {
    const before = (await t.request('GET', `${configs}/${ids.profile}/assignments`)).body.value;
    const missing = await t.request('POST', `${configs}/${ids.profile}/assign`, { body: { assignments: [group(ids.sales), group('00000000-0000-4000-8000-000000000000')] } });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error.target, 'assignments[1].target.groupId');
    const malformed = await t.request('POST', `${configs}/${ids.profile}/assign`, { body: { assignments: [{ target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget' } }] } });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.error.target, 'assignments[0].target.groupId');
    const both = await t.request('POST', `${configs}/${ids.profile}/assign`, { body: { assignments: [group(ids.sales), exclude(ids.sales)] } });
    assert.equal(both.status, 400);
    assert.deepEqual((await t.request('GET', `${configs}/${ids.profile}/assignments`)).body.value, before);
  });

  it('refuses to delete an assigned group with 409 naming the profile', async () => {
    const reply = await t.request('DELETE', `/graph/beta/groups/${ids.sales}`);
    assert.equal(reply.status, 409);
    assert.match(reply.body.error.message, /iOS mail/);
  });

  it('accepts getTargetedUsersAndDevices posted with a JSON content type and no body, as Graph clients send it', async () => {
    const raw = await t.envelope.app.inject({
      method: 'POST',
      url: `${configs}/${ids.profile}/getTargetedUsersAndDevices`,
      headers: { authorization: `Bearer ${t.adminToken}`, 'content-type': 'application/json' },
    });
    assert.equal(raw.statusCode, 200, raw.body);
  });

  it('answers 404 for the assignments of a profile that does not exist', async () => {
    const reply = await t.request('GET', `${configs}/00000000-0000-4000-8000-000000000000/assignments`);
    assert.equal(reply.status, 404);
  });
});
