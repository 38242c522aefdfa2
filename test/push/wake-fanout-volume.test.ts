import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Envelope } from '../../src/main.ts';
import { openTestDb, type TestDb } from '../helpers/test-db.ts';
import { drain, pushTenant, startApnsWorld, type ApnsWorld } from './push-fixture.ts';

const devices = 2000;

/** The cost of a large assignment: one row written by the change, then pages of pushes. */
describe(`a fan-out to ${devices.toLocaleString('en')} Apple devices`, () => {
  let testDb: TestDb;
  let world: ApnsWorld;
  let envelope: Envelope;
  before(async () => {
    testDb = await openTestDb();
    world = await startApnsWorld();
    envelope = await world.envelope(testDb.db);
  });
  after(async () => {
    await envelope.close().catch(() => undefined);
    await testDb.dispose();
    await world.close();
  });

  it('is one row write at assignment time and one push per device, in pages', async () => {
    const t = await pushTenant(envelope, null);
    const topic = await t.uploadPushCertificate(world.ca);
    const user = await t.user('Everyone');
    await testDb.db.query(
      `INSERT INTO managed_devices (tenant_id, id, device_name, operating_system, os_version, user_id)
         SELECT $1, gen_random_uuid(), 'iPhone ' || n, 'iOS', '18.1', $2 FROM generate_series(1, $3::int) n`,
      [t.tenantId, user, devices],
    );
    await testDb.db.query(
      `INSERT INTO apple_enrollments (tenant_id, enrollment_id, device_id, certificate_sha256, enrollment_type, topic, push_token_hex, push_magic)
         SELECT tenant_id, 'UDID-' || id, id, sha256(convert_to(id::text, 'UTF8')), 'Device', $2,
                lpad(to_hex(row_number() OVER (ORDER BY id)), 64, '0'), 'magic'
           FROM managed_devices WHERE tenant_id = $1 AND user_id = $3`,
      [t.tenantId, topic, user],
    );
    const group = await t.group('All of them', [user]);
    const profile = await t.iosProfile('Everyone mail');
    await drain(envelope);
    world.pushes.length = 0;

    let started = performance.now();
    await t.assign(profile, [group]);
    const assignMs = performance.now() - started;
    assert.equal((await testDb.db.query('SELECT 1 FROM wake_queue')).length, 0);
    assert.equal((await testDb.db.query('SELECT 1 FROM wake_fanouts')).length, 1);
    started = performance.now();
    await drain(envelope);
    const fanoutMs = performance.now() - started;
    assert.equal(new Set(world.pushedTokens()).size, devices);
    assert.equal(world.pushes.length, devices);
    console.log(`fan-out to ${devices} Apple devices (${testDb.db.kind}): assign ${assignMs.toFixed(0)} ms, pushes ${fanoutMs.toFixed(0)} ms (${((devices / fanoutMs) * 1000).toFixed(0)} devices/s)`);
  });
});
