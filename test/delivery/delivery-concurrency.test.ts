import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openTestDb, createServerDatabase, type TestDb } from '../helpers/test-db.ts';
import { migrate } from '../../src/store/postgres/migrate.ts';
import { openPostgresDb } from '../../src/store/postgres/pg-db.ts';
import type { Db } from '../../src/store/db.ts';
import type { DeliveryService } from '../../src/services/delivery/delivery-service.ts';
import { createDeliveryFixture, type DeliveryFixture } from './delivery-fixture.ts';

const serverUrl = process.env.TEST_DATABASE_URL;

/**
 * Two server processes serving the same devices: on PostgreSQL two services on two separate
 * connection pools; on PGlite (one connection) two services on the one database, which still
 * interleaves their transactions.
 */
describe('delivery service: two instances checking in the same devices at once', () => {
  let testDb: TestDb;
  let f: DeliveryFixture;
  let pools: Db[] = [];
  let drop: (() => Promise<void>) | null = null;
  let instances: [DeliveryService, DeliveryService];

  before(async () => {
    if (serverUrl) {
      const database = await createServerDatabase(serverUrl);
      drop = database.drop;
      const main = openPostgresDb(database.url, { max: 4 });
      await migrate(main);
      testDb = { db: main, dispose: async () => undefined };
      pools = [openPostgresDb(database.url, { max: 4 }), openPostgresDb(database.url, { max: 4 })];
    } else {
      testDb = await openTestDb();
      pools = [testDb.db, testDb.db];
    }
    f = await createDeliveryFixture(testDb.db);
    instances = [f.serviceOn(pools[0]!), f.serviceOn(pools[1]!)];
  });
  after(async () => {
    await f.envelope.app.close();
    if (serverUrl) {
      for (const pool of pools) await pool.close();
      await testDb.db.close();
      await drop?.();
    } else {
      await testDb.dispose();
    }
  });

  it('never hands out one command twice and loses no acknowledgement', async () => {
    const users = [await f.user('Kim'), await f.user('Lee')];
    const devices = [await f.device('Kim 1', users[0]!), await f.device('Kim 2', users[0]!), await f.device('Lee 1', users[1]!)];
    const team = await f.group('Everyone', { users });
    const profiles: string[] = [];
    for (let i = 0; i < 5; i++) {
      const profile = await f.iosProfile(`Mail ${i}`, `m${i}.contoso.com`);
      await f.assign(profile, [team]);
      profiles.push(profile);
    }
    const now = Date.UTC(2026, 10, 30, 9);
    const handedOut = new Map<string, number>();
    let acknowledged = 0;
    // Four loops per device, two on each instance; each acknowledges through the other instance.
    const loop = async (deviceId: string, index: number) => {
      const mine = instances[index % 2]!;
      const other = instances[(index + 1) % 2]!;
      for (;;) {
        const command = await mine.checkIn(f.tenantId, deviceId, now);
        if (command === null) return;
        handedOut.set(command.commandId, (handedOut.get(command.commandId) ?? 0) + 1);
        if (await other.recordResult(f.tenantId, deviceId, command.commandId, { kind: 'acknowledged' }, now)) acknowledged++;
      }
    };
    await Promise.all(devices.flatMap((deviceId) => [0, 1, 2, 3].map((index) => loop(deviceId, index))));

    assert.equal(handedOut.size, devices.length * profiles.length);
    assert.deepEqual([...new Set(handedOut.values())], [1], 'every command was handed out exactly once');
    assert.equal(acknowledged, handedOut.size);
    const states = await testDb.db.query<{ state: string; n: number }>(
      'SELECT state, count(*)::int AS n FROM delivery_ledger WHERE tenant_id = $1 GROUP BY state', [f.tenantId]);
    assert.deepEqual(states, [{ state: 'succeeded', n: devices.length * profiles.length }]);
    assert.equal((await testDb.db.query('SELECT 1 FROM delivery_commands WHERE tenant_id = $1 AND active', [f.tenantId])).length, 0);
    const overview = await testDb.db.query<{ kind: string; success: number; pending: number }>(
      `SELECT kind, sum(success_count)::int AS success, sum(pending_count)::int AS pending FROM delivery_overview
        WHERE tenant_id = $1 GROUP BY kind ORDER BY kind`, [f.tenantId]);
    assert.deepEqual(overview, [
      { kind: 'device', success: devices.length * profiles.length, pending: 0 },
      { kind: 'user', success: users.length * profiles.length, pending: 0 },
    ]);
  });
});
