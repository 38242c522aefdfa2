import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openTestDb, type TestDb } from '../helpers/test-db.ts';
import { createDeliveryFixture, type DeliveryFixture } from './delivery-fixture.ts';
import { MaintenanceWorker } from '../../src/services/maintenance/maintenance-worker.ts';
import { MaintenanceStore } from '../../src/store/postgres/maintenance-store.ts';

const day = 24 * 60 * 60_000;

describe('maintenance', () => {
  let testDb: TestDb;
  let f: DeliveryFixture;

  before(async () => {
    testDb = await openTestDb();
    f = await createDeliveryFixture(testDb.db);
  });
  after(async () => {
    await f.envelope.app.close();
    await testDb.dispose();
  });

  it('deletes commands answered more than a week ago and keeps active and recent ones; a second round finds nothing', async () => {
    const delivery = f.envelope.services.delivery;
    const now = Date.now();
    const devices = [];
    const profileIds = [];
    for (const name of ['Old', 'Recent', 'Open']) {
      const userId = await f.user(name);
      const deviceId = await f.device(`${name} iPhone`, userId);
      const profileId = await f.iosProfile(`${name} mail`, `${name.toLowerCase()}.contoso.com`);
      await f.assign(profileId, [await f.group(name, { users: [userId] })]);
      devices.push(deviceId);
      profileIds.push(profileId);
    }
    const commands = [];
    for (const deviceId of devices) commands.push((await delivery.checkIn(f.tenantId, deviceId, now))!);
    await delivery.recordResult(f.tenantId, devices[0]!, commands[0]!.commandId, { kind: 'acknowledged' }, now);
    await delivery.recordResult(f.tenantId, devices[1]!, commands[1]!.commandId, { kind: 'acknowledged' }, now);
    await testDb.db.query('UPDATE delivery_commands SET updated_at = $2 WHERE command_id = $1', [commands[0]!.commandId, new Date(now - 8 * day)]);
    await testDb.db.query('UPDATE delivery_commands SET updated_at = $2 WHERE command_id = $1', [commands[2]!.commandId, new Date(now - 30 * day)]);

    const worker = new MaintenanceWorker({ delivery, store: new MaintenanceStore(testDb.db), log: { info: () => undefined, warn: () => undefined }, options: { batchSize: 1 } });
    const counts = await worker.runOnce();
    assert.equal(counts.commands, 1);
    const left = await testDb.db.query<{ command_id: string }>('SELECT command_id FROM delivery_commands ORDER BY command_id');
    assert.deepEqual(left.map((r) => r.command_id).sort(), [commands[1]!.commandId, commands[2]!.commandId].sort(), 'the recent answered and the old but active command stay');
    assert.deepEqual(await worker.runOnce(), { commands: 0, enrollments: 0, replaceRemovals: 0, identities: 0 });
    // The ledger, not the queue, holds what the device has: nothing about it changed.
    assert.equal((await f.ledger(devices[0]!))[profileIds[0]!]!.state, 'succeeded');
  });
});
