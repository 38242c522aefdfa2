import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { complianceStatuses } from './delivery-status.ts';
import {
  overviewBucketOf,
  overviewBuckets,
  overviewCounters,
  statusCountDeltas,
  userBucketOf,
  type CountedStatus,
  type OverviewBucket,
  type OverviewCounts,
} from './status-count-deltas.ts';

const zero = (): OverviewCounts => Object.fromEntries(overviewCounters.map((c) => [c, 0])) as OverviewCounts;
const status = (s: CountedStatus['status'], reasonCode = 'x'): CountedStatus => ({ status: s, reasonCode });

describe('overviewBucketOf', () => {
  const cases: [string, CountedStatus | null, OverviewBucket | null][] = [
    ['an unknown status counts as pending', status('unknown'), 'pending'],
    ['compliant counts as success', status('compliant'), 'success'],
    ['remediated counts as success', status('remediated'), 'success'],
    ['nonCompliant counts as failed', status('nonCompliant'), 'failed'],
    ['a platform mismatch counts as not applicable due to platform', status('notApplicable', 'platformMismatch'), 'notApplicablePlatform'],
    ['an old OS counts as plain not applicable', status('notApplicable', 'osVersionTooOld'), 'notApplicable'],
    ['notAssigned is not counted', status('notAssigned'), null],
    ['a missing row is not counted', null, null],
  ];
  for (const [sentence, input, expected] of cases) it(sentence, () => assert.equal(overviewBucketOf(input), expected));
});

describe('userBucketOf', () => {
  it('shows a user with one failed and one successful device as an error', () => {
    assert.equal(userBucketOf({ success: 1, error: 1 }), 'error');
  });
  it('shows a user as a success only when no device is pending', () => {
    assert.equal(userBucketOf({ success: 2, pending: 1 }), 'pending');
    assert.equal(userBucketOf({ success: 2, notApplicable: 1 }), 'success');
  });
  it('counts a user whose devices are all the wrong platform as not applicable', () => {
    assert.equal(userBucketOf({ notApplicablePlatform: 2 }), 'notApplicable');
  });
  it('does not count a user without counted devices', () => {
    assert.equal(userBucketOf({ success: 0 }), null);
  });
});

describe('statusCountDeltas', () => {
  it('moves one device from pending to success in both overviews', () => {
    const deltas = statusCountDeltas(status('unknown'), status('compliant'), { pending: 1 });
    assert.deepEqual(deltas, { device: { pendingCount: -1, successCount: 1 }, user: { pendingCount: -1, successCount: 1 }, userTally: { pending: -1, success: 1 } });
  });

  it('leaves the user overview alone while another device of the user is still pending', () => {
    const deltas = statusCountDeltas(status('unknown'), status('compliant'), { pending: 2 });
    assert.deepEqual(deltas.user, {});
    assert.deepEqual(deltas.device, { pendingCount: -1, successCount: 1 });
  });

  it('counts a platform mismatch in both not-applicable counters of the device overview but once for the user', () => {
    const deltas = statusCountDeltas(null, status('notApplicable', 'platformMismatch'), {});
    assert.deepEqual(deltas.device, { notApplicableCount: 1, notApplicablePlatformCount: 1 });
    assert.deepEqual(deltas.user, { notApplicableCount: 1 });
  });

  it('changes nothing when the bucket stays the same', () => {
    assert.deepEqual(statusCountDeltas(status('compliant'), status('remediated'), { success: 1 }), { device: {}, user: {}, userTally: {} });
  });

  it('removes a row that is no longer counted', () => {
    assert.deepEqual(statusCountDeltas(status('error'), status('notAssigned'), { error: 1 }), { device: { errorCount: -1 }, user: { errorCount: -1 }, userTally: { error: -1 } });
  });

  it('keeps counters equal to a recount over random transition sequences', () => {
    const statusArb = fc.option(
      fc.record({ status: fc.constantFrom(...complianceStatuses), reasonCode: fc.constantFrom('platformMismatch', 'osVersionTooOld', 'other') }),
      { nil: null },
    );
    const changeArb = fc.record({ device: fc.nat(7), user: fc.nat(3), next: statusArb });
    fc.assert(
      fc.property(fc.array(changeArb, { maxLength: 60 }), (changes) => {
        const rows = new Map<number, { user: number; status: CountedStatus }>();
        const tallies = new Map<number, Partial<Record<OverviewBucket, number>>>();
        const device = zero();
        const user = zero();
        const apply = (target: OverviewCounts, delta: Partial<OverviewCounts>) => {
          for (const [k, v] of Object.entries(delta)) target[k as keyof OverviewCounts] += v;
        };
        const change = (userId: number, before: CountedStatus | null, after: CountedStatus | null) => {
          const tally = tallies.get(userId) ?? {};
          const deltas = statusCountDeltas(before, after, tally);
          apply(device, deltas.device);
          apply(user, deltas.user);
          const next = { ...tally };
          for (const [bucket, delta] of Object.entries(deltas.userTally)) next[bucket as OverviewBucket] = (next[bucket as OverviewBucket] ?? 0) + delta;
          tallies.set(userId, next);
        };
        for (const { device: deviceId, user: userId, next } of changes) {
          const current = rows.get(deviceId);
          if (current !== undefined && current.user !== userId) {
            // The device's primary user changed: the row leaves the old user and joins the new one.
            change(current.user, current.status, null);
            change(userId, null, next);
          } else {
            change(userId, current?.status ?? null, next);
          }
          if (next === null) rows.delete(deviceId);
          else rows.set(deviceId, { user: userId, status: next });
        }
        // Recount from scratch.
        const expectedDevice = zero();
        const perUser = new Map<number, Partial<Record<OverviewBucket, number>>>();
        for (const { user: userId, status: s } of rows.values()) {
          const bucket = overviewBucketOf(s);
          if (bucket === null) continue;
          const counters = bucket === 'notApplicablePlatform' ? (['notApplicableCount', 'notApplicablePlatformCount'] as const) : ([`${bucket}Count`] as const);
          for (const c of counters) expectedDevice[c as keyof OverviewCounts] += 1;
          const tally = perUser.get(userId) ?? {};
          tally[bucket] = (tally[bucket] ?? 0) + 1;
          perUser.set(userId, tally);
        }
        const expectedUser = zero();
        for (const tally of perUser.values()) {
          const bucket = userBucketOf(tally);
          if (bucket !== null) expectedUser[`${bucket}Count` as keyof OverviewCounts] += 1;
        }
        assert.deepEqual(device, expectedDevice);
        assert.deepEqual(user, expectedUser);
        for (const [userId, tally] of tallies) {
          for (const bucket of overviewBuckets) assert.equal(tally[bucket] ?? 0, perUser.get(userId)?.[bucket] ?? 0);
        }
      }),
      { numRuns: 500 },
    );
  });
});
