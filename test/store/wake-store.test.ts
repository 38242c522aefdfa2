import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { WakeStore } from '../../src/store/postgres/wake-store.ts';
import { createDeliveryFixture, type DeliveryFixture } from '../delivery/delivery-fixture.ts';
import { openTestDb, type TestDb } from '../helpers/test-db.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The wake queue and fan-out jobs (migration 0004) as the worker sees them, on PGlite and on
 * PostgreSQL: what the triggers write in the change's transaction, and the claim and lease rules.
 */
describe('WakeStore and the wake triggers', () => {
  let testDb: TestDb;
  let f: DeliveryFixture;
  let wakes: WakeStore;
  const queue = async () =>
    (await testDb.db.query<{ device_id: string; reason: string; attempts: number; claimed: boolean; due_in_ms: number }>(
      `SELECT device_id, reason, attempts, claim IS NOT NULL AS claimed, (extract(epoch FROM due_at - now()) * 1000)::float8 AS due_in_ms
         FROM wake_queue WHERE tenant_id = $1 ORDER BY device_id`, [f.tenantId]));
  const fanouts = async () =>
    testDb.db.query<{ profile_id: string; reason: string; changes: number }>('SELECT profile_id, reason, changes::int AS changes FROM wake_fanouts WHERE tenant_id = $1 ORDER BY created_at', [f.tenantId]);
  const clearAll = async () => {
    await testDb.db.query('DELETE FROM wake_queue');
    await testDb.db.query('DELETE FROM wake_fanouts');
  };

  before(async () => {
    testDb = await openTestDb();
    f = await createDeliveryFixture(testDb.db);
    wakes = new WakeStore(testDb.db);
  });
  after(async () => {
    await f.envelope.app.close();
    await testDb.dispose();
  });

  it('keeps one row per device with the earliest due time, and ignores devices of other tenants or none', async () => {
    await clearAll();
    const kim = await f.user('Kim');
    const device = await f.device('Kim phone', kim);
    const inAMinute = new Date(Date.now() + 60_000);
    assert.equal(await wakes.enqueue(f.tenantId, [device], inAMinute, 'notNow'), 1);
    assert.equal(await wakes.enqueue(f.tenantId, [device], new Date(Date.now() + 600_000), 'later'), 1);
    let [row] = await queue();
    assert.equal(row!.reason, 'notNow', 'the earlier request stays');
    assert.ok(row!.due_in_ms > 50_000 && row!.due_in_ms <= 60_000);
    assert.equal(await wakes.enqueue(f.tenantId, [device], null, 'adminChange'), 1);
    [row] = await queue();
    assert.equal(row!.reason, 'adminChange');
    assert.ok(row!.due_in_ms <= 0, 'now wins');
    assert.equal(await wakes.enqueue(f.tenantId, [randomUUID()], null, 'x'), 0);
    assert.equal(await wakes.enqueue(randomUUID(), [device], null, 'x'), 0);
    assert.equal((await queue()).length, 1);
  });

  it('queues a wake when a device goes stale (membership change), not while it stays stale', async () => {
    await clearAll();
    const lee = await f.user('Lee');
    const device = await f.device('Lee phone', lee);
    await f.envelope.services.delivery.checkIn(f.tenantId, device, Date.now());
    const [stale] = await testDb.db.query<{ stale: boolean }>('SELECT stale FROM delivery_devices WHERE device_id = $1', [device]);
    assert.equal(stale!.stale, false, 'the check-in reconciled it');
    await clearAll();
    const group = await f.group('Lee team', { users: [lee] });
    assert.deepEqual((await queue()).map((row) => [row.device_id, row.reason]), [[device, 'deviceStale']]);
    await testDb.db.query('DELETE FROM wake_queue');
    await f.group('Lee team 2', { users: [lee] });
    assert.equal((await queue()).length, 0, 'already stale: no new wake');
    assert.ok(group);
  });

  it('writes one fan-out row per profile for an assignment, coalescing further changes, and one for a deletion', async () => {
    await clearAll();
    const users = await Promise.all(['Ann', 'Bob', 'Cat'].map((name) => f.user(name)));
    for (const [i, user] of users.entries()) await f.device(`Phone ${i}`, user);
    const group = await f.group('Everyone here', { users });
    await testDb.db.query('DELETE FROM wake_queue');
    const profile = await f.iosProfile('Mail A', 'a.contoso.com');
    assert.deepEqual(await fanouts(), [], 'creating a profile concerns no device yet');
    await f.assign(profile, [group]);
    assert.deepEqual(await fanouts(), [{ profile_id: profile, reason: 'assignmentChanged', changes: 1 }]);
    assert.equal((await queue()).length, 0, 'no row per device');
    await f.envelope.services.profiles.update(f.tenantId, profile, { displayName: 'Mail A2' });
    await f.assign(profile, []);
    const [job] = await fanouts();
    assert.equal(job!.changes, 3);
    await testDb.db.query('DELETE FROM wake_fanouts');
    await f.envelope.services.profiles.delete(f.tenantId, profile);
    assert.deepEqual((await fanouts()).map((row) => row.profile_id), [profile]);
  });

  it('never hands one due wake to two claims, and takes an unsettled claim back once it expires', async () => {
    await clearAll();
    const user = await f.user('Dee');
    const devices = [await f.device('Dee 1', user), await f.device('Dee 2', user), await f.device('Dee 3', user)];
    await wakes.enqueue(f.tenantId, devices, null, 'test');
    const [first, second] = await Promise.all([wakes.claimDue(randomUUID(), 2, 200), wakes.claimDue(randomUUID(), 2, 200)]);
    const claimed = [...first!, ...second!].map((wake) => wake.deviceId).sort();
    assert.deepEqual(claimed, [...devices].sort(), 'three rows, each claimed once');
    assert.deepEqual(await wakes.claimDue(randomUUID(), 10, 200), [], 'claimed rows are not due');
    await sleep(250);
    assert.equal((await wakes.claimDue(randomUUID(), 10, 60_000)).length, 3, 'expired claims are taken again');
  });

  it('lets a request that arrives during a claim survive the claim\'s settling', async () => {
    await clearAll();
    const user = await f.user('Eve');
    const [done, retried] = [await f.device('Eve 1', user), await f.device('Eve 2', user)];
    await wakes.enqueue(f.tenantId, [done, retried], null, 'first');
    const claim = randomUUID();
    assert.equal((await wakes.claimDue(claim, 10, 60_000)).length, 2);
    await wakes.enqueue(f.tenantId, [done, retried], null, 'second');
    await wakes.finishClaimed(claim, f.tenantId, [done]);
    await wakes.retryClaimed(claim, [{ tenantId: f.tenantId, deviceId: retried, attempts: 1, delayMs: 60_000 }]);
    const rows = await queue();
    assert.deepEqual(rows.map((row) => [row.reason, row.attempts, row.claimed]), [['second', 0, false], ['second', 0, false]], 'neither settled away');
    assert.ok(rows.every((row) => row.due_in_ms <= 0), 'both due now, for the new request');

    const claim2 = randomUUID();
    await wakes.claimDue(claim2, 10, 60_000);
    await wakes.retryClaimed(claim2, [{ tenantId: f.tenantId, deviceId: retried, attempts: 1, delayMs: 30_000 }]);
    await wakes.finishClaimed(claim2, f.tenantId, [done]);
    const [left] = await queue();
    assert.deepEqual([left!.device_id, left!.attempts, left!.claimed], [retried, 1, false]);
    assert.ok(left!.due_in_ms > 20_000 && left!.due_in_ms <= 30_000);
  });

  it('leases a fan-out job to one worker, resumes it from its cursor after the lease expires, and restarts a run a change interrupted', async () => {
    await clearAll();
    const profile = await f.iosProfile('Mail L', 'l.contoso.com');
    const user = await f.user('Flo');
    const group = await f.group('Flo team', { users: [user] });
    await f.assign(profile, [group]);
    const [a, b] = [randomUUID(), randomUUID()];
    const job = await wakes.claimFanout(a, 200);
    assert.equal(job?.profileId, profile);
    assert.equal(job.cursorDeviceId, null);
    assert.equal(await wakes.claimFanout(b, 60_000), null, 'leased');
    const cursor = randomUUID();
    assert.equal(await wakes.advanceFanout(a, job, cursor, 200), true);
    await sleep(250);
    const taken = await wakes.claimFanout(b, 60_000);
    assert.deepEqual([taken?.profileId, taken?.cursorDeviceId], [profile, cursor], 'b resumes where a stopped');
    assert.equal(await wakes.advanceFanout(a, job, randomUUID(), 200), false, 'a lost it');
    assert.equal(await wakes.finishFanoutRun(a, job, 200), 'lost');

    await f.envelope.services.profiles.update(f.tenantId, profile, { displayName: 'Mail L2' });
    assert.equal(await wakes.finishFanoutRun(b, taken!, 60_000), 'restarted', 'a change came in during the run');
    const [row] = await testDb.db.query<{ cursor_device_id: string | null }>('SELECT cursor_device_id FROM wake_fanouts WHERE profile_id = $1', [profile]);
    assert.equal(row!.cursor_device_id, null);
    assert.equal(await wakes.finishFanoutRun(b, taken!, 60_000), 'done');
    assert.deepEqual(await fanouts(), []);
  });

  it('lists the devices holding a profile (installed or on its way), not those that removed it', async () => {
    await clearAll();
    const profile = await f.iosProfile('Mail H', 'h.contoso.com');
    const user = await f.user('Gus');
    const devices = [await f.device('Gus 1', user), await f.device('Gus 2', user)];
    const group = await f.group('Gus team', { users: [user] });
    await f.assign(profile, [group]);
    const now = Date.now();
    const command = await f.envelope.services.delivery.checkIn(f.tenantId, devices[0]!, now);
    assert.equal(command?.profileId, profile);
    assert.deepEqual(await wakes.profileHolders(f.tenantId, profile, null, 10), [devices[0]], 'a command on its way');
    await f.envelope.services.delivery.recordResult(f.tenantId, devices[0]!, command.commandId, { kind: 'acknowledged' }, now);
    assert.deepEqual(await wakes.profileHolders(f.tenantId, profile, null, 10), [devices[0]], 'installed');
    assert.deepEqual(await wakes.profileHolders(f.tenantId, profile, devices[0]!, 10), []);
  });
});
