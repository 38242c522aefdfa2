import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Envelope } from '../../src/main.ts';
import { deviceToken } from '../../src/protocols/apns/test-support/apns-fixture.ts';
import { WakeStore } from '../../src/store/postgres/wake-store.ts';
import { openTestDb, type TestDb } from '../helpers/test-db.ts';
import { drain, pushTenant, startApnsWorld, type ApnsWorld, type PushTenant } from './push-fixture.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Wakes end to end: admin changes through the real services, the triggers of migration 0004, the
 * wake worker, the Apple channel and a real HTTP/2 + TLS APNs stand-in. The worker is driven poll by
 * poll (`drain`), so each test sees exactly the pushes its change caused.
 */
describe('waking Apple devices after changes', () => {
  let testDb: TestDb;
  let world: ApnsWorld;
  let envelope: Envelope;
  let t: PushTenant;
  let jane: string;
  let bob: string;
  let sales: string;
  const phone: Record<string, string> = {};
  const token = { janePhone: deviceToken(1), janePad: deviceToken(2), bobPhone: deviceToken(3) };
  const freshPushes = async () => {
    await drain(envelope);
    world.pushes.length = 0;
  };

  before(async () => {
    testDb = await openTestDb();
    world = await startApnsWorld();
    envelope = await world.envelope(testDb.db);
    t = await pushTenant(envelope, null);
    await t.uploadPushCertificate(world.ca);
    jane = await t.user('Jane');
    bob = await t.user('Bob');
    sales = await t.group('Sales', [jane]);
    phone.janePhone = await t.iPhone(jane, token.janePhone);
    phone.janePad = await t.iPhone(jane, token.janePad, 'iPadOS');
    phone.janeNoToken = await t.iPhone(jane, null);
    phone.janePc = (await envelope.services.devices.create(t.tenantId, { deviceName: 'Jane PC', operatingSystem: 'Windows', osVersion: '10.0.22631', userId: jane })).id;
    phone.bobPhone = await t.iPhone(bob, token.bobPhone);
  });
  after(async () => {
    await envelope.close().catch(() => undefined);
    await testDb.dispose();
    await world.close();
  });

  let profile: string;
  it('pushes exactly the targeted Apple devices once when a profile is assigned to a group, writing no row per device', async () => {
    await freshPushes();
    profile = await t.iosProfile('Contoso mail');
    await t.assign(profile, [sales]);
    assert.equal(await testDb.db.query('SELECT 1 FROM wake_queue').then((rows) => rows.length), 0, 'the change wrote no per-device row');
    await drain(envelope);
    assert.deepEqual(world.pushedTokens(), [token.janePhone, token.janePad].sort());
    assert.deepEqual(world.pushes.map((push) => push.pushType), ['mdm', 'mdm']);
    assert.ok(world.pushes.every((push) => push.pushMagic === `magic-${push.token.slice(0, 8)}`), 'each with its own PushMagic');
  });

  it('pushes the devices holding a profile when it is unassigned, so they remove it', async () => {
    const command = await envelope.services.delivery.checkIn(t.tenantId, phone.janePhone!, Date.now());
    assert.equal(command?.profileId, profile);
    await envelope.services.delivery.recordResult(t.tenantId, phone.janePhone!, command.commandId, { kind: 'acknowledged' }, Date.now());
    await freshPushes();
    await t.assign(profile, []);
    await drain(envelope);
    assert.deepEqual(world.pushedTokens(), [token.janePhone], 'the iPad never fetched it: nothing to remove there');
  });

  it('pushes a user\'s devices when the user joins a group', async () => {
    await freshPushes();
    await envelope.services.groups.addMember(t.tenantId, sales, `https://graph.microsoft.com/beta/users/${bob}`);
    await drain(envelope);
    assert.deepEqual(world.pushedTokens(), [token.bobPhone]);
  });

  it('wakes through WakeService now and at a scheduled time, once per device however often it is asked', async () => {
    await freshPushes();
    assert.equal(await envelope.services.wake.wakeNow(t.tenantId, [phone.janePad!, phone.janePad!, randomUUID()], 'test'), 1);
    assert.equal(await envelope.services.wake.schedule(t.tenantId, [phone.bobPhone!], Date.now() + 300, 'notNow'), 1);
    await drain(envelope, { untilEmpty: false });
    assert.deepEqual(world.pushedTokens(), [token.janePad]);
    await drain(envelope);
    assert.deepEqual(world.pushedTokens(), [token.janePad, token.bobPhone].sort(), 'the scheduled one came later');
  });

  it('retries a push APNs answered with 429 and 503, then delivers it', async () => {
    await freshPushes();
    world.standIn.script(token.janePad, { status: 429, reason: 'TooManyRequests' }, { status: 503, reason: 'ServiceUnavailable' });
    const rejectedBefore = { ...world.standIn.counters.rejected };
    await envelope.services.wake.wakeNow(t.tenantId, [phone.janePad!], 'test');
    await drain(envelope);
    assert.deepEqual(world.pushedTokens(), [token.janePad]);
    assert.equal((world.standIn.counters.rejected.TooManyRequests ?? 0) - (rejectedBefore.TooManyRequests ?? 0), 1);
    assert.equal((world.standIn.counters.rejected.ServiceUnavailable ?? 0) - (rejectedBefore.ServiceUnavailable ?? 0), 1);
  });

  it('gives a push up after the last retry, leaving the device to its own check-in', async () => {
    await freshPushes();
    world.standIn.script(token.janePad, ...Array.from({ length: 5 }, () => ({ status: 500, reason: 'InternalServerError' })));
    await envelope.services.wake.wakeNow(t.tenantId, [phone.janePad!], 'test');
    await drain(envelope);
    assert.deepEqual(world.pushes, []);
    const tokens = await testDb.db.query<{ push_token_hex: string | null }>('SELECT push_token_hex FROM apple_enrollments WHERE device_id = $1', [phone.janePad]);
    assert.equal(tokens[0]!.push_token_hex, token.janePad, 'a transient failure keeps the token');
  });

  it('clears a token APNs calls Unregistered (410) and does not push it again until a new TokenUpdate', async () => {
    await freshPushes();
    world.standIn.script(token.bobPhone, { status: 410, reason: 'Unregistered', timestamp: Date.now() });
    await envelope.services.wake.wakeNow(t.tenantId, [phone.bobPhone!], 'test');
    await drain(envelope);
    const rows = await testDb.db.query<{ push_token_hex: string | null; push_magic: string | null }>('SELECT push_token_hex, push_magic FROM apple_enrollments WHERE device_id = $1', [phone.bobPhone]);
    assert.deepEqual(rows[0], { push_token_hex: null, push_magic: null });
    const requests = world.standIn.counters.requests;
    await envelope.services.wake.wakeNow(t.tenantId, [phone.bobPhone!], 'test');
    await drain(envelope);
    assert.equal(world.standIn.counters.requests, requests, 'not sent again');
    assert.deepEqual(world.pushes, []);
  });

  it('drops the wakes of a tenant without a push certificate quietly, queue and fan-out alike', async () => {
    const other = await pushTenant(envelope, 'no-certificate');
    const user = await other.user('Olga');
    const device = await other.iPhone(user, deviceToken(900));
    const group = await other.group('Olga team', [user]);
    await freshPushes();
    await other.assign(await other.iosProfile('Olga mail'), [group]);
    await envelope.services.wake.wakeNow(other.tenantId, [device], 'test');
    await drain(envelope);
    assert.deepEqual(world.pushes, []);
  });

  it('finishes a fan-out job whose worker died mid-way once its lease expires, pushing only the devices past its cursor', async () => {
    const user = await t.user('Fleet');
    const tokens = Array.from({ length: 30 }, (_, i) => deviceToken(1000 + i));
    const devices: string[] = [];
    for (const pushToken of tokens) devices.push(await t.iPhone(user, pushToken));
    const group = await t.group('Fleet', [user]);
    const fleetProfile = await t.iosProfile('Fleet mail');
    await freshPushes();
    await t.assign(fleetProfile, [group]);
    // A worker of another process takes the job, pushes the first ten devices, records its cursor and dies.
    const deadWorker = new WakeStore(testDb.db);
    const dead = randomUUID();
    // The lease is long enough that a loaded machine still polls within it.
    const job = await deadWorker.claimFanout(dead, 2000);
    assert.equal(job?.profileId, fleetProfile);
    const sorted = [...devices].sort();
    assert.equal(await deadWorker.advanceFanout(dead, job, sorted[9]!, 2000), true);

    assert.deepEqual(await envelope.wakeWorker.pollOnce(), { wakes: 0, pages: 0 }, 'the lease still holds');
    await sleep(2050);
    await drain(envelope);
    const byDevice = new Map(devices.map((id, i) => [id, tokens[i]!]));
    assert.deepEqual(world.pushedTokens(), sorted.slice(10).map((id) => byDevice.get(id)!).sort());
  });

  it('counts pushes and pages in /metrics', async () => {
    const reply = await envelope.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${t.admin}` } });
    assert.equal(reply.statusCode, 200);
    assert.match(reply.body, /envelope_wake_pushes_total\{channel="apns",outcome="sent"\} \d+/);
    assert.match(reply.body, /envelope_wake_pushes_total\{channel="apns",outcome="retry"\} \d+/);
    assert.match(reply.body, /envelope_wake_fanout_pages_total \d+/);
    assert.match(reply.body, /envelope_wake_queue_depth 0/);
  });

  it('runs as a loop once started: a change is pushed without anyone polling, and stop() ends it', async () => {
    await freshPushes();
    envelope.wakeWorker.start();
    try {
      await envelope.services.wake.wakeNow(t.tenantId, [phone.janePhone!], 'test');
      for (let waited = 0; world.pushes.length === 0 && waited < 5000; waited += 10) await sleep(10);
      assert.deepEqual(world.pushedTokens(), [token.janePhone]);
    } finally {
      await envelope.wakeWorker.stop();
    }
    assert.equal(envelope.wakeWorker.running, false);
  });
});
