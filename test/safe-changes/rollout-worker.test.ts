import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { openTestDb, createServerDatabase, type TestDb } from '../helpers/test-db.ts';
import { migrate } from '../../src/store/postgres/migrate.ts';
import { openPostgresDb } from '../../src/store/postgres/pg-db.ts';
import { createStores, createTransactor } from '../../src/store/postgres/stores.ts';
import type { Db } from '../../src/store/db.ts';
import { RolloutService } from '../../src/services/safe-changes/rollout-service.ts';
import { createDeliveryFixture, type DeliveryFixture } from '../delivery/delivery-fixture.ts';

const serverUrl = process.env.TEST_DATABASE_URL;

/**
 * Two Envelope processes judging the same rollouts: on PostgreSQL two services on two separate
 * connection pools; on PGlite (one connection) two services on the one database, which still
 * interleaves their transactions. Each soaked ring must advance exactly once.
 */
describe('staged rollout worker: two processes on one database', () => {
  let testDb: TestDb;
  let f: DeliveryFixture;
  let pools: Db[] = [];
  let drop: (() => Promise<void>) | null = null;
  let clock = Date.UTC(2026, 10, 30, 12);

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

  const serviceOn = (db: Db) => new RolloutService({
    stores: createStores(db), transact: createTransactor(db), assignments: f.envelope.services.assignments, profiles: f.envelope.services.profiles,
    newId: randomUUID, now: () => clock,
  });

  it('advances each soaked ring once, whichever worker claims it, and completes after the last ring', async () => {
    const users = await Promise.all(['ann', 'bob', 'cat'].map((name) => f.user(name)));
    for (const [i, user] of users.entries()) await f.device(`iPhone ${i}`, user);
    const group = await f.group('Staff', { users });
    const profiles = await Promise.all(['A', 'B', 'C'].map((name) => f.iosProfile(`Mail ${name}`, `${name.toLowerCase()}.contoso.com`)));
    const [a, b] = [serviceOn(pools[0]!), serviceOn(pools[1]!)];
    for (const profile of profiles) {
      await a.start(f.tenantId, profile, { assign: { assignments: [{ target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId: group } }] }, rings: [{ percent: 10 }, { percent: 50 }, { percent: 100 }], soakMinutes: 1 }, 'test');
    }
    assert.deepEqual(await Promise.all([a.evaluateDue(10), b.evaluateDue(10)]), [[], []], 'nothing has soaked yet');
    for (const expected of [2, 3, 'completed'] as const) {
      clock += 61_000;
      const rounds = await Promise.all([a.evaluateDue(10), b.evaluateDue(10), a.evaluateDue(10), b.evaluateDue(10)]);
      const moves = rounds.flat();
      assert.equal(moves.length, profiles.length, `each rollout judged once: ${JSON.stringify(moves)}`);
      assert.deepEqual(new Set(moves.map((m) => m.rolloutId)).size, profiles.length);
      for (const profile of profiles) {
        const view = await a.get(f.tenantId, profile);
        if (expected === 'completed') assert.equal(view.state, 'completed');
        else assert.deepEqual([view.state, view.currentRing], ['running', expected]);
      }
    }
    for (const profile of profiles) {
      const history = (await a.get(f.tenantId, profile)).history.map((h) => `${h.action}@${h.ring}`);
      assert.deepEqual(history, ['start@1', 'advance@2', 'advance@3', 'complete@3']);
    }
  });
});
