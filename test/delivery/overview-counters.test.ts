import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openTestDb, type TestDb } from '../helpers/test-db.ts';
import {
  complianceStatusOf,
  overviewBucketOf,
  overviewBuckets,
  overviewCounters,
  userBucketOf,
  type ComplianceStatus,
  type LedgerRow,
  type OverviewBucket,
  type OverviewCounter,
} from '../../src/domain/delivery/index.ts';
import type { DeliveryResult } from '../../src/services/delivery/delivery-service.ts';
import { createDeliveryFixture, type DeliveryFixture } from './delivery-fixture.ts';

/** A small seeded PRNG (mulberry32), so a failing run can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const deviceCounters: Record<OverviewBucket, OverviewCounter[]> = {
  pending: ['pendingCount'], notApplicable: ['notApplicableCount'], notApplicablePlatform: ['notApplicableCount', 'notApplicablePlatformCount'],
  success: ['successCount'], error: ['errorCount'], failed: ['failedCount'], conflict: ['conflictCount'],
};
const userCounter: Record<OverviewBucket, OverviewCounter> = {
  pending: 'pendingCount', notApplicable: 'notApplicableCount', notApplicablePlatform: 'notApplicableCount',
  success: 'successCount', error: 'errorCount', failed: 'failedCount', conflict: 'conflictCount',
};

describe('delivery overview counters', () => {
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

  it('equal a recount of the ledger after a random workload of assignments, edits, user changes, results and device deletions', async () => {
    const seed = Number(process.env.DELIVERY_SEED ?? 20261130);
    const rnd = random(seed);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)]!;
    const s = f.envelope.services;
    const delivery = s.delivery;
    const users = [await f.user('Uma'), await f.user('Vic'), await f.user('Wes')];
    const devices: string[] = [];
    const newDevice = async (i: number) => devices.push(await f.device(`Device ${i}`, i % 5 === 4 ? null : pick(users), i % 4 === 3 ? 'Windows' : 'iOS'));
    for (let i = 0; i < 8; i++) await newDevice(i);
    const groups = [
      await f.group('G users A', { users: users.slice(0, 2) }),
      await f.group('G users B', { users: users.slice(2) }),
      await f.group('G devices', { devices: devices.slice(0, 5) }),
    ];
    // p0 and p2 share host and address source: assigned together they conflict.
    const profiles = [
      await f.iosProfile('P0', 'a.contoso.com'), await f.iosProfile('P1', 'b.contoso.com'),
      await f.iosProfile('P2', 'a.contoso.com', { accountName: 'P2' }), await f.iosProfile('P3', 'c.contoso.com'),
    ];
    let now = Date.UTC(2026, 10, 30, 11);
    const results: DeliveryResult[] = [
      { kind: 'acknowledged' }, { kind: 'acknowledged' }, { kind: 'acknowledged' }, { kind: 'notNow' },
      { kind: 'failed', error: { errorClass: 'transient', code: 'T', message: 'transient' } },
      { kind: 'failed', error: { errorClass: 'terminal', code: 'X', message: 'terminal' } },
      { kind: 'failed', error: { errorClass: 'duplicateAccount', code: 'MCEASErrorDomain (21005)', message: 'duplicate' } },
    ];
    for (let step = 0; step < 120; step++) {
      now += Math.floor(rnd() * 20 * 60_000);
      const action = rnd();
      if (action < 0.12) {
        await f.assign(pick(profiles), groups.filter(() => rnd() < 0.5));
      } else if (action < 0.17) {
        await s.profiles.update(f.tenantId, pick(profiles), { accountName: `Edited ${step}` });
      } else if (action < 0.24) {
        await s.devices.update(f.tenantId, pick(devices), { userId: rnd() < 0.2 ? null : pick(users) });
      } else if (action < 0.27) {
        const victim = pick(devices);
        await s.devices.delete(f.tenantId, victim);
        devices.splice(devices.indexOf(victim), 1);
        await newDevice(100 + step);
      } else {
        const deviceId = pick(devices);
        const command = await delivery.checkIn(f.tenantId, deviceId, now);
        if (command !== null && rnd() < 0.9) await delivery.recordResult(f.tenantId, deviceId, command.commandId, pick(results), now + 1000);
      }
    }

    const rows = await testDb.db.query<{ profile_id: string; state: LedgerRow['state']; operation: LedgerRow['operation']; reason_code: string; compliance_status: ComplianceStatus; counted_user_id: string | null }>(
      'SELECT profile_id, state, operation, reason_code, compliance_status, counted_user_id FROM delivery_ledger WHERE tenant_id = $1', [f.tenantId]);
    assert.ok(rows.length > 10, `the workload produced ledger rows (${rows.length})`);
    const expected = new Map<string, Record<OverviewCounter, number>>();
    const tallies = new Map<string, Record<OverviewBucket, number>>();
    const counts = (key: string) => {
      if (!expected.has(key)) expected.set(key, Object.fromEntries(overviewCounters.map((c) => [c, 0])) as Record<OverviewCounter, number>);
      return expected.get(key)!;
    };
    for (const row of rows) {
      assert.equal(row.compliance_status, complianceStatusOf(row), 'the stored status is the row’s status');
      const bucket = overviewBucketOf({ status: row.compliance_status, reasonCode: row.reason_code });
      if (bucket === null) continue;
      for (const counter of deviceCounters[bucket]) counts(`${row.profile_id}|device`)[counter]++;
      if (row.counted_user_id === null) continue;
      const key = `${row.profile_id}|${row.counted_user_id}`;
      const tally = tallies.get(key) ?? (Object.fromEntries(overviewBuckets.map((b) => [b, 0])) as Record<OverviewBucket, number>);
      tally[bucket]++;
      tallies.set(key, tally);
    }
    for (const [key, tally] of tallies) {
      const bucket = userBucketOf(tally);
      if (bucket !== null) counts(`${key.split('|')[0]}|user`)[userCounter[bucket]]++;
    }
    const stored = await testDb.db.query<Record<string, number | string>>(
      `SELECT profile_id, kind, sum(pending_count)::int AS "pendingCount", sum(not_applicable_count)::int AS "notApplicableCount",
              sum(not_applicable_platform_count)::int AS "notApplicablePlatformCount", sum(success_count)::int AS "successCount",
              sum(error_count)::int AS "errorCount", sum(failed_count)::int AS "failedCount", sum(conflict_count)::int AS "conflictCount"
         FROM delivery_overview WHERE tenant_id = $1 GROUP BY profile_id, kind`, [f.tenantId]);
    const actual = new Map(stored.map((r) => [`${r.profile_id}|${r.kind}`, Object.fromEntries(overviewCounters.map((c) => [c, Number(r[c])]))]));
    for (const key of new Set([...expected.keys(), ...actual.keys()])) {
      const zero = Object.fromEntries(overviewCounters.map((c) => [c, 0]));
      assert.deepEqual(actual.get(key) ?? zero, expected.get(key) ?? zero, `${key} (seed ${seed})`);
    }
    const storedTallies = await testDb.db.query<Record<string, number | string>>('SELECT * FROM delivery_user_tally WHERE tenant_id = $1', [f.tenantId]);
    const columns: Record<OverviewBucket, string> = { pending: 'pending', notApplicable: 'not_applicable', notApplicablePlatform: 'not_applicable_platform', success: 'success', error: 'error', failed: 'failed', conflict: 'conflict' };
    for (const row of storedTallies) {
      const key = `${row.profile_id}|${row.user_id}`;
      const recount = tallies.get(key) ?? Object.fromEntries(overviewBuckets.map((b) => [b, 0]));
      assert.deepEqual(Object.fromEntries(overviewBuckets.map((b) => [b, Number(row[columns[b]])])), recount, `tally ${key} (seed ${seed})`);
    }
  });
});
