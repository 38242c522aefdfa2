import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

const configs = '/graph/beta/deviceManagement/deviceConfigurations';
const include = (groupId: string) => ({ target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId } });

describe('concurrent writes', () => {
  let t: TestApp;
  let profileId: string;

  async function create(url: string, body: unknown): Promise<string> {
    const reply = await t.request('POST', url, { body });
    assert.equal(reply.status, 201, JSON.stringify(reply.body));
    return reply.body.id;
  }
  const newGroup = (name: string) => create('/graph/beta/groups', { displayName: name });
  const assignedGroupIds = async () =>
    ((await t.request('GET', `${configs}/${profileId}/assignments`)).body.value as { target: { groupId?: string } }[]).map((a) => a.target.groupId).sort();

  before(async () => {
    t = await createTestApp();
    profileId = await create(configs, {
      '@odata.type': '#microsoft.graph.iosEasEmailProfileConfiguration', displayName: 'iOS mail', accountName: 'Contoso', hostName: 'mail.contoso.com',
      usernameSource: 'userPrincipalName', emailAddressSource: 'userPrincipalName', requireSsl: true, durationOfEmailToSync: 'oneWeek',
    });
  });
  after(() => t.close());

  it('many assigns of one profile at once all succeed, and the final set is exactly one of them', async () => {
    const groups = await Promise.all(['A', 'B', 'C', 'D', 'E'].map(newGroup));
    // Overlapping sets: each pair shares groups, so delete-then-insert without serialisation collides on ids.
    const sets = Array.from({ length: 16 }, (_, i) => groups.filter((_, g) => (i + g) % 3 !== 0));
    const replies = await Promise.all(sets.map((set) => t.request('POST', `${configs}/${profileId}/assign`, { body: { assignments: set.map(include) } })));
    assert.deepEqual(replies.map((r) => r.status), sets.map(() => 200), JSON.stringify(replies.find((r) => r.status !== 200)?.body));
    const final = await assignedGroupIds();
    assert.ok(sets.some((set) => JSON.stringify([...set].sort()) === JSON.stringify(final)), `final set ${final.join(',')} is none of those sent`);
  });

  it('assigns racing the deletion of their group end in one clean outcome: assigned and kept, or deleted and refused naming the field', async () => {
    for (let round = 0; round < 6; round++) {
      const groupId = await newGroup(`Race ${round}`);
      const assign = () => t.request('POST', `${configs}/${profileId}/assign`, { body: { assignments: [include(groupId)] } });
      const [remove, ...assigns] = await Promise.all([t.request('DELETE', `/graph/beta/groups/${groupId}`), assign(), assign(), assign()]);
      const outcome = `delete ${remove.status} ${JSON.stringify(remove.body)}, assigns ${assigns.map((a) => `${a.status} ${JSON.stringify(a.body)}`).join('; ')}`;
      const exists = (await t.request('GET', `/graph/beta/groups/${groupId}`)).status === 200;
      for (const reply of assigns) {
        if (reply.status === 200) continue;
        // The group was gone by the time this assign looked for it: a 400 naming the groupId.
        assert.equal(reply.status, 400, outcome);
        assert.equal(reply.body.error.code, 'BadRequest');
        assert.equal(reply.body.error.target, 'assignments[0].target.groupId', outcome);
      }
      if (assigns.some((a) => a.status === 200)) {
        assert.equal(remove.status, 409, outcome);
        assert.equal(remove.body.error.code, 'Conflict');
        assert.equal(remove.body.error.target, 'id');
        assert.ok(exists, outcome);
        assert.deepEqual(await assignedGroupIds(), [groupId]);
      } else {
        assert.equal(remove.status, 204, outcome);
        assert.ok(!exists, outcome);
        assert.ok(!(await assignedGroupIds()).includes(groupId));
      }
      // Free the group for the next round: an empty assign unassigns everything.
      assert.equal((await t.request('POST', `${configs}/${profileId}/assign`, { body: { assignments: [] } })).status, 200);
    }
  });

  it('a group created with a member being deleted is created whole or not at all, never a 500', async () => {
    for (let round = 0; round < 6; round++) {
      const userId = await create('/graph/beta/users', { displayName: `Leaver ${round}`, userPrincipalName: `leaver${round}@contoso.com` });
      const name = `Team ${round}`;
      const [created, removed] = await Promise.all([
        t.request('POST', '/graph/beta/groups', { body: { displayName: name, 'members@odata.bind': [`https://graph.microsoft.com/beta/users/${userId}`] } }),
        t.request('DELETE', `/graph/beta/users/${userId}`),
      ]);
      const outcome = `create ${created.status} ${JSON.stringify(created.body)}, delete ${removed.status}`;
      assert.equal(removed.status, 204, outcome);
      const listed = await t.request('GET', `/graph/beta/groups?$filter=displayName eq '${name}'`);
      if (created.status === 201) {
        assert.equal(listed.body.value.length, 1, outcome);
      } else {
        assert.ok([400, 409].includes(created.status), outcome);
        assert.equal(created.body.error.target, created.status === 400 ? 'members@odata.bind[0]' : 'members@odata.bind', outcome);
        assert.equal(listed.body.value.length, 0, `no group is left behind: ${outcome}`);
      }
    }
  });
});
