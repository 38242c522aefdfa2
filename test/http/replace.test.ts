import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

const configs = '/graph/beta/deviceManagement/deviceConfigurations';
const devicesUrl = '/graph/beta/deviceManagement/managedDevices';
const group = (groupId: string) => ({ target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId } });
const sources = { usernameSource: 'userPrincipalName', emailAddressSource: 'userPrincipalName', requireSsl: true, durationOfEmailToSync: 'oneWeek' };
const ios = (displayName: string, hostName: string) => ({ '@odata.type': '#microsoft.graph.iosEasEmailProfileConfiguration', displayName, accountName: displayName, hostName, ...sources });
const knox = (displayName: string, hostName: string) => ({
  '@odata.type': '#microsoft.graph.androidEasEmailProfileConfiguration', displayName, accountName: displayName, hostName, ...sources,
  authenticationMethod: 'usernameAndPassword', requireSmime: false, emailSyncSchedule: 'asMessagesArrive', syncCalendar: true, syncContacts: true, syncTasks: true, syncNotes: false,
});

/** Every table's rows, digested: equal before and after means nothing was written. */
async function snapshot(t: TestApp): Promise<Record<string, string>> {
  const db = t.envelope.db;
  const tables = await db.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> 'audit_events' ORDER BY table_name`,
  );
  const digests: Record<string, string> = {};
  for (const { table_name: table } of tables) {
    const row = "(to_jsonb(t) - 'last_used_at')::text";
    const rows = await db.query<{ digest: string | null; n: number }>(`SELECT md5(string_agg(${row}, '|' ORDER BY ${row})) AS digest, count(*)::int AS n FROM "${table}" t`);
    digests[table] = `${rows[0]!.n}:${rows[0]!.digest ?? ''}`;
  }
  return digests;
}

describe('One-step replace of a deployed email profile (envelope/replace, envelope/replacement)', () => {
  let t: TestApp;
  let tenantId: string;
  let readOnly: string;
  let other: { admin: string; readOnly: string };
  const ids = {} as Record<string, string>;
  let now = Date.UTC(2026, 10, 30, 10);

  async function create(url: string, body: unknown): Promise<string> {
    const reply = await t.request('POST', url, { body });
    assert.equal(reply.status, 201, JSON.stringify(reply.body));
    return reply.body.id;
  }
  const replace = (profile: string, body: unknown, token?: string) => t.request('POST', `${configs}/${profile}/envelope/replace`, { body, token });
  /** Checks the device in until it has nothing left, acknowledging each command; returns "kind profileId" per command. */
  async function syncDevice(deviceId: string): Promise<string[]> {
    const delivery = t.envelope.services.delivery;
    const seen: string[] = [];
    for (let command = await delivery.checkIn(tenantId, deviceId, (now += 1000)); command !== null; command = await delivery.checkIn(tenantId, deviceId, (now += 1000))) {
      seen.push(`${command.kind} ${command.profileId}`);
      await delivery.recordResult(tenantId, deviceId, command.commandId, { kind: 'acknowledged' }, (now += 1000));
    }
    return seen;
  }
  const ledgerState = async (deviceId: string, profileId: string) =>
    (await t.envelope.db.query<{ state: string; reason_code: string }>('SELECT state, reason_code FROM delivery_ledger WHERE device_id = $1 AND profile_id = $2', [deviceId, profileId]))[0];

  before(async () => {
    t = await createTestApp();
    tenantId = (await t.envelope.services.tenants.authenticate(`Bearer ${t.adminToken}`)).tenantId;
    const user = (name: string, extra: Record<string, unknown> = {}) => create('/graph/beta/users', { displayName: name, userPrincipalName: `${name.toLowerCase()}@contoso.com`, ...extra });
    ids.ann = await user('Ann', { mail: 'ann@contoso.com' });
    ids.bob = await user('Bob');
    ids.cat = await user('Cat');
    const device = (deviceName: string, operatingSystem: string, osVersion: string, userId: string, androidManagementMode?: string) =>
      create(devicesUrl, { deviceName, operatingSystem, osVersion, userId, ...(androidManagementMode ? { androidManagementMode } : {}) });
    ids.annIphone = await device('Ann iPhone', 'iOS', '17.4', ids.ann);
    ids.bobIphone = await device('Bob iPhone', 'iOS', '17.4', ids.bob);
    ids.catKnox = await device('Cat Galaxy', 'Android', '14', ids.cat, 'knox');
    const bind = (list: string[]) => list.map((id) => `https://graph.microsoft.com/beta/users/${id}`);
    ids.everyone = await create('/graph/beta/groups', { displayName: 'Everyone', 'members@odata.bind': bind([ids.ann!, ids.bob!, ids.cat!]) });
    ids.annOnly = await create('/graph/beta/groups', { displayName: 'Ann only', 'members@odata.bind': bind([ids.ann!]) });
    ids.iosMail = await create(configs, ios('iOS mail', 'mail.contoso.com'));
    ids.iosExtra = await create(configs, ios('iOS extra', 'extra.contoso.com'));
    ids.knoxMail = await create(configs, knox('Knox mail', 'mail.contoso.com'));
    for (const [profile, groupId] of [['iosMail', ids.everyone], ['iosExtra', ids.annOnly], ['knoxMail', ids.everyone]] as const) {
      const reply = await t.request('POST', `${configs}/${ids[profile]}/assign`, { body: { assignments: [group(groupId!)] } });
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
    }
    for (const device of [ids.annIphone!, ids.bobIphone!, ids.catKnox!]) await syncDevice(device);
    readOnly = await t.readOnlyToken();
    other = await t.tenant('fabrikam');
  });
  after(() => t.close());

  it('refuses without a token (401), a readOnly token (403), another tenant (404), a bad body (400 naming the field), and writes nothing', async () => {
    const tables = await snapshot(t);
    const body = { hostName: 'new.contoso.com' };
    assert.equal((await replace(ids.iosMail!, body, null as unknown as string)).status, 401);
    assert.equal((await replace(ids.iosMail!, body, readOnly)).status, 403);
    assert.equal((await replace(ids.iosMail!, body, other.admin)).status, 404);
    assert.equal((await t.request('GET', `${configs}/${ids.iosMail}/envelope/replacement`, { token: other.readOnly })).status, 404);
    for (const [bad, field] of [
      [{ hostName: 'not a host!' }, 'hostName'],
      [{ hostName: 'new.contoso.com', dryRun: 'yes' }, 'dryRun'],
      [{ hostName: 'new.contoso.com', emailAddressSource: 'shoeSize' }, 'emailAddressSource'],
      [{ hostName: 'new.contoso.com', displayName: 'iOS extra' }, 'displayName'],
      [{ hostName: 'new.contoso.com', '@odata.type': '#microsoft.graph.windows10EasEmailProfileConfiguration' }, '@odata.type'],
    ] as const) {
      const reply = await replace(ids.iosMail!, bad);
      assert.ok(reply.status === 400 || reply.status === 409, `${JSON.stringify(bad)}: ${reply.status} ${JSON.stringify(reply.body)}`);
      assert.equal(reply.body.error.target, field, JSON.stringify(reply.body));
    }
    assert.equal((await replace(ids.iosMail!, [1])).status, 400);
    assert.equal((await t.request('GET', `${configs}/${ids.iosMail}/envelope/replacement`)).status, 404, 'not replaced yet');
    assert.deepEqual(await snapshot(t), tables);
  });

  it('answers a dry run with what would happen and saves nothing', async () => {
    const tables = await snapshot(t);
    const reply = await replace(ids.iosMail!, { hostName: 'new.contoso.com', displayName: 'iOS mail (new host)', dryRun: true });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    const r = reply.body;
    assert.equal(r.dryRun, true);
    assert.equal(r.newProfile.id, null);
    assert.deepEqual([r.oldProfile.hostName, r.newProfile.hostName, r.identityChanged], ['mail.contoso.com', 'new.contoso.com', ['hostName']]);
    assert.equal(r.assignmentsMoved, 1);
    assert.deepEqual(r.removeOld.items.map((i: { deviceName: string }) => i.deviceName).sort(), ['Ann iPhone', 'Bob iPhone']);
    assert.deepEqual(r.installNew.items.map((i: { deviceName: string }) => i.deviceName).sort(), ['Ann iPhone', 'Bob iPhone']);
    assert.equal(r.blocked.count, 0);
    assert.equal(r.notApplicableCount, 1, 'the Knox phone is in the group');
    assert.match(r.message, /would move 1 assignment/);
    assert.deepEqual(await snapshot(t), tables);
  });

  it('lists devices where the new profile is blocked, and keeps the old account where it is the only one', async () => {
    const reply = await replace(ids.iosMail!, { hostName: 'new.contoso.com', emailAddressSource: 'primarySmtpAddress', dryRun: true });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    const blocked = reply.body.blocked.items.map((i: { deviceName: string; reasonCode: string; oldAccount: string }) => [i.deviceName, i.reasonCode, i.oldAccount]).sort();
    // Bob has no mail attribute; the iOS mail profile is his only email profile, so it stays. Ann has a mail attribute.
    assert.deepEqual(blocked, [['Bob iPhone', 'userAttributeMissing', 'kept']]);
    assert.deepEqual(reply.body.removeOld.items.map((i: { deviceName: string }) => i.deviceName), ['Ann iPhone']);
  });

  it('replaces in one step: the new profile takes the assignments, devices remove the old account first, then install the new one', async () => {
    const reply = await replace(ids.iosMail!, { hostName: 'new.contoso.com' });
    assert.equal(reply.status, 201, JSON.stringify(reply.body));
    const r = reply.body;
    ids.iosNew = r.newProfile.id;
    assert.equal(r.dryRun, false);
    assert.equal(r.newProfile.displayName, 'iOS mail (replacement)');
    assert.equal(r.removeOld.count, 2);
    assert.equal(r.installNew.count, 2);

    const oldAssignments = await t.request('GET', `${configs}/${ids.iosMail}/assignments`);
    assert.deepEqual(oldAssignments.body.value, []);
    const newAssignments = await t.request('GET', `${configs}/${ids.iosNew}/assignments`);
    assert.deepEqual(newAssignments.body.value.map((a: { target: { groupId: string } }) => a.target.groupId), [ids.everyone]);
    const created = await t.request('GET', `${configs}/${ids.iosNew}`);
    assert.equal(created.body.hostName, 'new.contoso.com');
    assert.equal(created.body.accountName, 'iOS mail', 'other settings are copied from the old profile');

    // Bob's iPhone had only the old profile: it is removed anyway (the new one takes its place), before the install.
    assert.deepEqual(await syncDevice(ids.bobIphone!), [`remove ${ids.iosMail}`, `install ${ids.iosNew}`]);
    assert.deepEqual(await syncDevice(ids.annIphone!), [`remove ${ids.iosMail}`, `install ${ids.iosNew}`]);
    assert.deepEqual(await ledgerState(ids.bobIphone!, ids.iosMail!), { state: 'removed', reason_code: 'removed' });
    assert.equal((await ledgerState(ids.bobIphone!, ids.iosNew!))?.state, 'succeeded');

    for (const profile of [ids.iosMail!, ids.iosNew!]) {
      const summary = await t.request('GET', `${configs}/${profile}/envelope/replacement`, { token: readOnly });
      assert.equal(summary.status, 200, JSON.stringify(summary.body));
      assert.deepEqual([summary.body.oldProfile.id, summary.body.newProfile.id, summary.body.assignmentsMoved, summary.body.replacedBy.role], [ids.iosMail, ids.iosNew, 1, 'admin']);
      assert.deepEqual(summary.body.progress, { oldOnDevices: 0, oldRemoving: 0, oldKept: 0, oldRemoved: 2, newInstalled: 2, newPending: 0, newFailed: 0 });
    }
    const all = await t.request('GET', `${configs}/${ids.iosNew}/envelope/replacements`, { token: readOnly });
    assert.deepEqual(all.body.value.map((s: { oldProfile: { id: string } }) => s.oldProfile.id), [ids.iosMail]);
    assert.deepEqual((await t.request('GET', `${configs}/${ids.iosExtra}/envelope/replacements`)).body, { value: [] }, 'none: an empty list, not a 404');
    assert.equal((await t.request('GET', `${configs}/${ids.iosExtra}/envelope/replacements`, { token: other.admin })).status, 404);
    const statuses = await t.request('GET', `${configs}/${ids.iosNew}/deviceStatuses`);
    assert.deepEqual(statuses.body.value.map((s: { status: string }) => s.status), ['compliant', 'compliant']);
  });

  it('records one audit event naming both profiles', async () => {
    const rows = await t.envelope.db.query<{ resource_id: string; resource_display_name: string; modified_properties: { displayName: string; oldValue: string | null; newValue: string | null }[]; status_code: number }>(
      "SELECT resource_id, resource_display_name, modified_properties, status_code FROM audit_events WHERE route LIKE '%/envelope/replace' AND activity_result = 'Success' AND status_code = 201",
    );
    assert.equal(rows.length, 1);
    const [event] = rows;
    assert.equal(event!.resource_id, ids.iosMail);
    assert.equal(event!.resource_display_name, 'iOS mail');
    const props = Object.fromEntries(event!.modified_properties.map((p) => [p.displayName, p]));
    assert.deepEqual([props.hostName?.oldValue, props.hostName?.newValue], ['mail.contoso.com', 'new.contoso.com']);
    assert.match(props.newProfile?.newValue ?? '', new RegExp(ids.iosNew!));
    assert.match(props.replacedProfile?.newValue ?? '', new RegExp(ids.iosMail!));
  });

  it('refuses to assign a replaced profile (409 naming it) or to replace it twice, and deletes it normally', async () => {
    const assign = await t.request('POST', `${configs}/${ids.iosMail}/assign`, { body: { assignments: [group(ids.everyone!)] } });
    assert.equal(assign.status, 409);
    assert.match(assign.body.error.message, /'iOS mail' was replaced by 'iOS mail \(replacement\)'/);
    const dryAssign = await t.request('POST', `${configs}/${ids.iosMail}/envelope/dryRunAssign`, { body: { assignments: [group(ids.everyone!)] } });
    assert.equal(dryAssign.status, 409);
    const again = await replace(ids.iosMail!, { hostName: 'other.contoso.com' });
    assert.equal(again.status, 409);
    assert.equal(again.body.error.target, 'id');
    assert.equal((await t.request('DELETE', `${configs}/${ids.iosMail}`)).status, 204);
    const summary = await t.request('GET', `${configs}/${ids.iosNew}/envelope/replacement`);
    assert.equal(summary.status, 200);
    assert.deepEqual(summary.body.oldProfile, { id: ids.iosMail, displayName: 'iOS mail', exists: false });
  });

  it('Knox: same address on a new host is removed then installed, never reported as a conflict', async () => {
    const reply = await replace(ids.knoxMail!, { hostName: 'new.contoso.com', displayName: 'Knox mail 2' });
    assert.equal(reply.status, 201, JSON.stringify(reply.body));
    assert.equal(reply.body.blocked.count, 0);
    const knoxNew = reply.body.newProfile.id;
    assert.deepEqual(await syncDevice(ids.catKnox!), [`remove ${ids.knoxMail}`, `install ${knoxNew}`]);
    assert.equal((await ledgerState(ids.catKnox!, knoxNew))?.state, 'succeeded');
    const summary = await t.request('GET', `${configs}/${knoxNew}/envelope/replacement`);
    assert.equal(summary.body.progress.newInstalled, 1);
    assert.equal(summary.body.progress.newFailed, 0);
  });

  it('says so when neither hostName nor emailAddressSource changed', async () => {
    const reply = await replace(ids.iosExtra!, { displayName: 'iOS extra 2', dryRun: true });
    assert.equal(reply.status, 200);
    assert.deepEqual(reply.body.identityChanged, []);
    assert.match(reply.body.message, /nothing needed replacing/);
  });

  it('lets exactly one of two concurrent replaces of one profile through; the other gets 409 and leaves nothing behind', async () => {
    const before = await t.count('device_configurations');
    const replies = await Promise.all([
      replace(ids.iosExtra!, { hostName: 'one.contoso.com', displayName: 'Extra one' }),
      replace(ids.iosExtra!, { hostName: 'two.contoso.com', displayName: 'Extra two' }),
    ]);
    assert.deepEqual(replies.map((r) => r.status).sort(), [201, 409], JSON.stringify(replies.map((r) => r.body)));
    assert.equal(await t.count('device_configurations'), before + 1);
    const winner = replies.find((r) => r.status === 201)!.body.newProfile.id;
    const assignments = await t.request('GET', `${configs}/${winner}/assignments`);
    assert.deepEqual(assignments.body.value.map((a: { target: { groupId: string } }) => a.target.groupId), [ids.annOnly]);
  });
});
