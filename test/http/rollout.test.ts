import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';
import { RolloutStore } from '../../src/store/postgres/rollout-store.ts';
import { isDeviceReached, reachedScopeOf, rolloutBucket, type RolloutRing } from '../../src/domain/safe-changes/rollout-rings.ts';

const configs = '/graph/beta/deviceManagement/deviceConfigurations';
const iosType = '#microsoft.graph.iosEasEmailProfileConfiguration';
const ios = (displayName: string, hostName: string) => ({
  '@odata.type': iosType, displayName, accountName: displayName, hostName,
  usernameSource: 'userPrincipalName', emailAddressSource: 'userPrincipalName', requireSsl: true, durationOfEmailToSync: 'oneWeek',
});
const group = (groupId: string) => ({ target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId } });

describe('Staged rollout of a profile update or an assignment (envelope/rollout)', () => {
  let t: TestApp;
  let tenantId: string;
  let readOnly: string;
  let other: { admin: string; readOnly: string };
  const devices: string[] = [];
  let everyone: string;
  let pilot: string;
  let pilotDevices: string[];
  let mail: string;
  let now = Date.now();

  const rolloutUrl = (profile: string, action = '') => `${configs}/${profile}/envelope/rollout${action}`;
  const start = (profile: string, body: unknown, token?: string) => t.request('POST', rolloutUrl(profile), { body, token });

  /** Each device checks in until it has no command, answering each with `answer` (acknowledged by default). Returns the commands by device. */
  async function checkInAll(ids: readonly string[], answer: (deviceId: string) => 'acknowledged' | 'failed' = () => 'acknowledged') {
    const delivery = t.envelope.services.delivery;
    const got = new Map<string, { kind: string; version: number }[]>();
    for (const deviceId of ids) {
      const list: { kind: string; version: number }[] = [];
      for (let command = await delivery.checkIn(tenantId, deviceId, (now += 1000)); command !== null; command = await delivery.checkIn(tenantId, deviceId, (now += 1000))) {
        list.push({ kind: command.kind, version: command.version });
        const result = answer(deviceId) === 'acknowledged'
          ? { kind: 'acknowledged' as const }
          : { kind: 'failed' as const, error: { errorClass: 'terminal' as const, code: 'MCProfileErrorDomain (1009)', message: 'The profile could not be installed.' } };
        await delivery.recordResult(tenantId, deviceId, command.commandId, result, (now += 1000));
      }
      got.set(deviceId, list);
    }
    return got;
  }
  const installedVersion = async (deviceId: string, profileId: string) =>
    (await t.envelope.db.query<{ v: number | null; state: string }>(`SELECT (installed->>'version')::int AS v, state FROM delivery_ledger WHERE device_id = $1 AND profile_id = $2`, [deviceId, profileId]))[0] ?? null;

  before(async () => {
    t = await createTestApp();
    tenantId = (await t.envelope.services.tenants.authenticate(`Bearer ${t.adminToken}`)).tenantId;
    const users: string[] = [];
    for (let i = 0; i < 40; i++) {
      const user = await t.request('POST', '/graph/beta/users', { body: { displayName: `User ${i}`, userPrincipalName: `user${i}@contoso.com` } });
      users.push(user.body.id);
      const device = await t.request('POST', '/graph/beta/deviceManagement/managedDevices', { body: { deviceName: `iPhone ${i}`, operatingSystem: 'iOS', osVersion: '17.4', userId: user.body.id } });
      devices.push(device.body.id);
    }
    const bind = (list: string[]) => list.map((id) => `https://graph.microsoft.com/beta/users/${id}`);
    everyone = (await t.request('POST', '/graph/beta/groups', { body: { displayName: 'Everyone', 'members@odata.bind': bind(users.slice(0, 20)) } })).body.id;
    // Graph takes 20 members per request.
    assert.equal((await t.request('PATCH', `/graph/beta/groups/${everyone}`, { body: { 'members@odata.bind': bind(users.slice(20)) } })).status, 204);
    pilot = (await t.request('POST', '/graph/beta/groups', { body: { displayName: 'Pilot', 'members@odata.bind': bind(users.slice(0, 3)) } })).body.id;
    pilotDevices = devices.slice(0, 3);
    mail = (await t.request('POST', configs, { body: ios('Mail', 'mail.contoso.com') })).body.id;
    assert.equal((await t.request('POST', `${configs}/${mail}/assign`, { body: { assignments: [group(everyone)] } })).status, 200);
    await checkInAll(devices);
    readOnly = await t.readOnlyToken();
    other = await t.tenant('fabrikam');
  });
  after(() => t.close());

  it('computes ring buckets in SQL exactly as the reconcile does', async () => {
    const rolloutId = randomUUID();
    const ids = [...devices, ...Array.from({ length: 200 }, () => randomUUID())];
    const buckets = await new RolloutStore(t.envelope.db).bucketsOf(rolloutId, ids);
    for (const id of ids) assert.equal(buckets.get(id), rolloutBucket(rolloutId, id), id);
  });

  it('delivers an update ring by ring: reached devices get the new version, the others keep theirs, and the worker advances a healthy ring', async () => {
    const rings: RolloutRing[] = [{ percent: 25 }, { percent: 60 }, { percent: 100 }];
    const reply = await start(mail, { update: { '@odata.type': iosType, durationOfEmailToSync: 'twoWeeks' }, rings, errorThresholdPercent: 20, soakMinutes: 0 });
    assert.equal(reply.status, 201, JSON.stringify(reply.body));
    const rollout = reply.body;
    assert.deepEqual([rollout.kind, rollout.state, rollout.currentRing, rollout.ringCount, rollout.previousVersion, rollout.targetVersion], ['update', 'running', 1, 3, 1, 2]);
    assert.equal((await t.request('GET', `${configs}/${mail}`)).body.durationOfEmailToSync, 'twoWeeks', 'the profile holds the new settings');

    const reachedAt = (ring: number) => devices.filter((d) => isDeviceReached(reachedScopeOf(rings, ring), rollout.id, d, []));
    const ring1 = reachedAt(1);
    assert.ok(ring1.length > 0 && ring1.length < devices.length, `some devices reached: ${ring1.length}`);
    const commands = await checkInAll(devices);
    for (const d of devices) {
      assert.deepEqual(commands.get(d), ring1.includes(d) ? [{ kind: 'update', version: 2 }] : [], d);
      assert.equal((await installedVersion(d, mail))!.v, ring1.includes(d) ? 2 : 1);
    }
    const progress = (await t.request('GET', rolloutUrl(mail))).body;
    assert.deepEqual(progress.reached, { reached: ring1.length, succeeded: ring1.length, errors: 0, pending: 0, errorRatePercent: 0 });

    // Direct changes are refused while it runs, naming the rollout.
    const patch = await t.request('PATCH', `${configs}/${mail}`, { body: { '@odata.type': iosType, displayName: 'Renamed' } });
    assert.equal(patch.status, 409);
    assert.match(patch.body.error.message, new RegExp(`Staged rollout '${rollout.id}'`));
    assert.equal((await t.request('POST', `${configs}/${mail}/assign`, { body: { assignments: [] } })).status, 409);
    for (const [method, url, body] of [['POST', `${configs}/${mail}/assignments`, group(pilot)], ['DELETE', `${configs}/${mail}/assignments/${mail}_${everyone}`, undefined]] as const) {
      const refused = await t.request(method, url, { body });
      assert.equal(refused.status, 409, `${method} one assignment`);
      assert.match(refused.body.error.message, new RegExp(`Staged rollout '${rollout.id}'`));
    }
    assert.equal((await start(mail, { update: { '@odata.type': iosType, displayName: 'Again' }, rings })).status, 409, 'one rollout per profile');

    const moved = await t.envelope.rolloutWorker.pollOnce();
    assert.deepEqual(moved, [{ rolloutId: rollout.id, action: 'advance' }]);
    const ring2 = reachedAt(2);
    for (const d of ring1) assert.ok(ring2.includes(d), 'widening only adds devices');
    assert.ok(ring2.length > ring1.length, 'ring 2 adds devices');
    // The newly reached devices fail to install the update (the device answers each command with an error).
    const second = await checkInAll(devices, (d) => (ring1.includes(d) ? 'acknowledged' : 'failed'));
    for (const d of devices) assert.deepEqual(second.get(d), ring2.includes(d) && !ring1.includes(d) ? [{ kind: 'update', version: 2 }] : [], d);
    const after2 = (await t.request('GET', rolloutUrl(mail))).body;
    assert.equal(after2.currentRing, 2);
    assert.deepEqual([after2.reached.reached, after2.reached.succeeded, after2.reached.errors], [ring2.length, ring1.length, ring2.length - ring1.length]);
    assert.deepEqual(after2.history.map((h: { action: string; by: string }) => `${h.action}:${h.by.split(':')[0]}`), ['start:admin', 'advance:rolloutWorker']);
  });

  it('pauses a ring whose devices fail above the threshold, with the reason; resume, advance and stop are the admin’s', async () => {
    const rollout = (await t.request('GET', rolloutUrl(mail))).body;
    const moved = await t.envelope.rolloutWorker.pollOnce();
    assert.deepEqual(moved, [{ rolloutId: rollout.id, action: 'pause' }]);
    const paused = (await t.request('GET', rolloutUrl(mail))).body;
    assert.equal(paused.state, 'paused');
    assert.match(paused.pausedReason, /^Error rate [\d.]+ % \(\d+ of \d+ devices reached\) is above the 20 % threshold\.$/);
    assert.equal(paused.currentRing, 2);
    assert.deepEqual(await t.envelope.rolloutWorker.pollOnce(), [], 'a paused rollout is not judged');
    const replace = await t.request('POST', `${configs}/${mail}/envelope/replace`, { body: { hostName: 'new.contoso.com' } });
    assert.equal(replace.status, 409, 'a paused rollout also refuses a replace of the profile');
    assert.match(replace.body.error.message, new RegExp(`Staged rollout '${rollout.id}' of this profile is paused`));
    const ring3Only = devices.filter((d) => !isDeviceReached(reachedScopeOf(rollout.rings, 2), rollout.id, d, []));
    const held = await checkInAll(ring3Only);
    for (const d of ring3Only) assert.deepEqual(held.get(d), [], 'devices beyond the paused ring get nothing');

    const resumed = await t.request('POST', rolloutUrl(mail, '/resume'));
    assert.equal(resumed.status, 200);
    assert.equal(resumed.body.state, 'running');
    assert.equal(resumed.body.pausedReason, null);
    assert.equal((await t.request('POST', rolloutUrl(mail, '/pause'))).body.state, 'paused');
    const advanced = await t.request('POST', rolloutUrl(mail, '/advance'));
    assert.equal(advanced.status, 200);
    assert.deepEqual([advanced.body.state, advanced.body.currentRing], ['running', 3]);
    const stopped = await t.request('POST', rolloutUrl(mail, '/stop'), { body: {} });
    assert.equal(stopped.status, 200);
    assert.equal(stopped.body.state, 'stopped');
    assert.equal((await t.request('POST', rolloutUrl(mail, '/advance'))).status, 409, 'a stopped rollout does not advance');
    assert.equal((await t.request('POST', rolloutUrl(mail, '/resume'))).status, 409);
    // A direct change after a stop is the admin's new word: it supersedes the stopped rollout.
    const patch = await t.request('PATCH', `${configs}/${mail}`, { body: { '@odata.type': iosType, durationOfEmailToSync: 'oneMonth' } });
    assert.equal(patch.status, 200, JSON.stringify(patch.body));
    const superseded = (await t.request('GET', rolloutUrl(mail))).body;
    assert.equal(superseded.state, 'superseded');
    const commands = await checkInAll(devices);
    for (const d of devices) assert.deepEqual(commands.get(d)?.map((c) => c.version), [3], 'everyone gets the direct change');
  });

  it('stop is a kill switch: devices not reached get nothing more; roll back returns the reached ones to what they had', async () => {
    const fresh = (await t.request('POST', configs, { body: ios('Calendar mail', 'cal.contoso.com') })).body.id as string;
    const reply = await start(fresh, { assign: { assignments: [group(everyone)] }, rings: [{ groupIds: [pilot] }, { percent: 100 }], soakMinutes: 0 });
    assert.equal(reply.status, 201, JSON.stringify(reply.body));
    assert.equal(reply.body.kind, 'assign');
    const first = await checkInAll(devices);
    for (const d of devices) assert.deepEqual(first.get(d), pilotDevices.includes(d) ? [{ kind: 'install', version: 1 }] : [], d);

    const stopped = await t.request('POST', rolloutUrl(fresh, '/stop'));
    assert.equal(stopped.body.state, 'stopped');
    assert.deepEqual(await t.envelope.rolloutWorker.pollOnce(), [], 'a stopped rollout is not advanced');
    const none = await checkInAll(devices);
    for (const d of devices) assert.deepEqual(none.get(d), [], 'nothing changes after a stop');
    for (const d of pilotDevices) assert.equal((await installedVersion(d, fresh))!.state, 'succeeded', 'reached devices keep it');

    const rolledBack = await t.request('POST', rolloutUrl(fresh, '/stop'), { body: { rollBack: true } });
    assert.equal(rolledBack.status, 200);
    assert.equal(rolledBack.body.state, 'rolledBack');
    assert.deepEqual((await t.request('GET', `${configs}/${fresh}/assignments`)).body.value, [], 'the previous (empty) assignment is back');
    const back = await checkInAll(devices);
    for (const d of devices) assert.deepEqual(back.get(d)?.map((c) => c.kind), pilotDevices.includes(d) ? ['remove'] : [], d);
  });

  it('rolls an update back: reached devices go to a new version with the old settings, the others are left alone', async () => {
    const profile = (await t.request('POST', configs, { body: ios('Notes mail', 'notes.contoso.com') })).body.id as string;
    assert.equal((await t.request('POST', `${configs}/${profile}/assign`, { body: { assignments: [group(everyone)] } })).status, 200);
    await checkInAll(devices);
    const rollout = (await start(profile, { update: { '@odata.type': iosType, durationOfEmailToSync: 'twoWeeks' }, rings: [{ groupIds: [pilot] }, { percent: 100 }] })).body;
    assert.equal(rollout.targetVersion, 2);
    await checkInAll(devices);
    const back = await t.request('POST', rolloutUrl(profile, '/stop'), { body: { rollBack: true } });
    assert.equal(back.body.state, 'rolledBack');
    const stored = (await t.request('GET', `${configs}/${profile}`)).body;
    assert.deepEqual([stored.version, stored.durationOfEmailToSync], [3, 'oneWeek']);
    const commands = await checkInAll(devices);
    for (const d of devices) assert.deepEqual(commands.get(d), pilotDevices.includes(d) ? [{ kind: 'update', version: 3 }] : [], d);
    for (const d of devices) assert.equal((await installedVersion(d, profile))!.v, pilotDevices.includes(d) ? 3 : 1);
  });

  it('is read by readOnly tokens, written by admins only, scoped to the tenant, and audited', async () => {
    const auditBefore = await t.count('audit_events');
    assert.equal((await t.request('GET', rolloutUrl(mail), { token: readOnly })).status, 200);
    assert.equal((await t.request('GET', rolloutUrl(mail), { token: null })).status, 401);
    assert.equal((await start(mail, { update: {}, rings: [{ percent: 100 }] }, readOnly)).status, 403);
    for (const action of ['/advance', '/pause', '/resume', '/stop']) {
      assert.equal((await t.request('POST', rolloutUrl(mail, action), { token: readOnly })).status, 403, action);
      assert.equal((await t.request('POST', rolloutUrl(mail, action), { token: other.admin })).status, 404, action);
    }
    assert.equal((await t.request('GET', rolloutUrl(mail), { token: other.readOnly })).status, 404);
    assert.equal((await start(mail, { update: { '@odata.type': iosType, displayName: 'x' }, rings: [{ percent: 100 }] }, other.admin)).status, 404);
    const never = (await t.request('POST', configs, { body: ios('Never rolled', 'never.contoso.com') })).body.id;
    assert.equal((await t.request('GET', rolloutUrl(never))).status, 404);
    assert.deepEqual((await t.request('GET', `${configs}/${never}/envelope/rollouts`, { token: readOnly })).body, { value: [] });
    const listed = await t.request('GET', `${configs}/${mail}/envelope/rollouts`, { token: readOnly });
    assert.equal(listed.status, 200);
    assert.deepEqual(listed.body.value.map((r: { state: string }) => r.state), ['superseded']);
    assert.equal((await t.request('GET', `${configs}/${mail}/envelope/rollouts`, { token: other.readOnly })).status, 404);
    assert.equal((await t.request('GET', `${configs}/${mail}/envelope/rollouts`, { token: null })).status, 401);
    assert.equal((await t.request('POST', rolloutUrl(never, '/pause'))).status, 409, 'nothing in force to pause');
    const events = await t.envelope.db.query<{ route: string; status_code: number }>(`SELECT route, status_code FROM audit_events WHERE route LIKE '%envelope/rollout%' ORDER BY created_at`);
    assert.ok(events.some((e) => e.status_code === 201), 'the start is audited');
    assert.ok(events.some((e) => e.route.endsWith('/stop') && e.status_code === 200), 'the stop is audited');
    assert.ok((await t.count('audit_events')) > auditBefore, 'refusals after authentication are audited too');
  });

  it('refuses bad input with 400 naming the field and changes nothing', async () => {
    const profile = (await t.request('POST', configs, { body: ios('Bad input', 'bad.contoso.com') })).body.id as string;
    const before = (await t.request('GET', `${configs}/${profile}`)).body.version;
    const foreignGroup = (await t.request('POST', '/graph/beta/groups', { body: { displayName: 'Fabrikam' }, token: other.admin })).body.id;
    const cases: [unknown, string][] = [
      [{ update: { '@odata.type': iosType, displayName: 'x' } }, 'rings'],
      [{ update: { '@odata.type': iosType, displayName: 'x' }, rings: [{ percent: 50 }] }, 'rings[0]'],
      [{ update: { '@odata.type': iosType, durationOfEmailToSync: 'forever' }, rings: [{ percent: 100 }] }, 'durationOfEmailToSync'],
      [{ update: { '@odata.type': iosType, displayName: 'x' }, rings: [{ groupIds: [foreignGroup] }, { percent: 100 }] }, 'rings[0].groupIds[0]'],
      [{ assign: { assignments: [group(foreignGroup)] }, rings: [{ percent: 100 }] }, 'assignments[0].target.groupId'],
      [{ update: { '@odata.type': iosType }, rings: [{ percent: 100 }], errorThresholdPercent: -1 }, 'errorThresholdPercent'],
    ];
    for (const [body, target] of cases) {
      const reply = await start(profile, body);
      assert.equal(reply.status, 400, JSON.stringify(reply.body));
      assert.equal(reply.body.error.target, target, JSON.stringify(body));
    }
    assert.equal((await t.request('POST', rolloutUrl(profile, '/stop'), { body: { rollBack: 'yes' } })).status, 400);
    assert.equal((await t.request('GET', `${configs}/${profile}`)).body.version, before);
    assert.equal((await t.request('GET', rolloutUrl(profile))).status, 404, 'no rollout was created');
  });
});
