import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SharedAmapiRateLimiter } from '../../src/services/android-enterprise/shared-amapi-rate-limiter.ts';
import type { Db } from '../../src/store/db.ts';
import { AmapiQuotaStore } from '../../src/store/postgres/amapi-quota-store.ts';
import { migrate } from '../../src/store/postgres/migrate.ts';
import { openPostgresDb } from '../../src/store/postgres/pg-db.ts';
import { createServerDatabase, openTestDb, type TestDb } from '../helpers/test-db.ts';

/**
 * Two Envelope processes on one database, each with its own limiter (and, on PostgreSQL, its own
 * connection pool), share one Cloud project's Android Management API quota (decision 0033).
 */
describe('the AMAPI quota shared through the database', () => {
  let first: { db: Db; dispose(): Promise<void> };
  let second: { db: Db; dispose(): Promise<void> };
  before(async () => {
    const serverUrl = process.env.TEST_DATABASE_URL;
    if (serverUrl) {
      const database = await createServerDatabase(serverUrl);
      const a = openPostgresDb(database.url, { max: 2 });
      await migrate(a);
      const b = openPostgresDb(database.url, { max: 2 });
      first = { db: a, dispose: () => a.close() };
      second = { db: b, dispose: async () => { await b.close(); await database.drop(); } };
    } else {
      const shared: TestDb = await openTestDb();
      first = { db: shared.db, dispose: async () => undefined };
      second = { db: shared.db, dispose: () => shared.dispose() };
    }
  });
  after(async () => {
    await first?.dispose();
    await second?.dispose();
  });

  const limiterOn = (db: Db, projectId: string, limit: number, windowMs: number) => new SharedAmapiRateLimiter({ store: new AmapiQuotaStore(db), projectId, quota: { limit, windowMs } });

  it('never grants two processes together more than the quota in any window, and gives both a share', { timeout: 30_000 }, async () => {
    const projectId = `contoso-${randomUUID()}`;
    const limiters = [limiterOn(first.db, projectId, 10, 2000), limiterOn(second.db, projectId, 10, 2000)];
    const grants: Array<{ at: number; by: number }> = [];
    const end = Date.now() + 5500;
    await Promise.all(limiters.map(async (limiter, by) => {
      while (Date.now() < end) {
        if (limiter.tryAcquire() === 0) grants.push({ at: Date.now(), by });
        else await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }));
    grants.sort((a, b) => a.at - b.at);
    let most = 0;
    for (let i = 0, j = 0; j < grants.length; j++) {
      while (grants[j]!.at - grants[i]!.at >= 2000) i++;
      most = Math.max(most, j - i + 1);
    }
    assert.ok(most <= 10, `${most} grants within two seconds`);
    assert.ok(grants.length > 10, `more than one window's worth in 5.5 s: the window slides (${grants.length})`);
    assert.ok(grants.some((g) => g.by === 0) && grants.some((g) => g.by === 1), 'both processes got grants');
    // Each limiter alone would have granted 10 per window: together they were held to the one quota
    // (counted in one-second slots, a lease's grants spent by the end of the next: 10 per 4 s at worst here).
    assert.ok(grants.length <= 30, `${grants.length} grants in 5.5 s`);
  });

  it("holds every process back after one process's 429", async () => {
    const projectId = `contoso-${randomUUID()}`;
    const a = limiterOn(first.db, projectId, 100, 10_000);
    const b = limiterOn(second.db, projectId, 100, 10_000);
    await a.refill();
    assert.equal(a.tryAcquire(), 0);
    a.blockFor(800);
    assert.ok(a.tryAcquire() > 0, 'the process that saw the 429 stops at once');
    // The block reaches the database; the other process leases nothing until it is over.
    await new Promise((resolve) => setTimeout(resolve, 100));
    await b.refill();
    const wait = b.tryAcquire();
    assert.ok(wait > 300 && wait <= 800, `the other process waits for the block (${wait} ms)`);
    await new Promise((resolve) => setTimeout(resolve, wait + 50));
    await b.refill();
    assert.equal(b.tryAcquire(), 0, 'and leases again after it');
  });

  it('keeps projects apart', async () => {
    const a = limiterOn(first.db, `contoso-${randomUUID()}`, 2, 60_000);
    const b = limiterOn(second.db, `fabrikam-${randomUUID()}`, 2, 60_000);
    for (const limiter of [a, b]) {
      await limiter.refill();
      assert.equal(limiter.tryAcquire(), 0);
      await limiter.refill();
      assert.equal(limiter.tryAcquire(), 0);
      await limiter.refill();
      assert.ok(limiter.tryAcquire() > 1000, 'the third query of the minute waits for the window');
    }
  });
});
