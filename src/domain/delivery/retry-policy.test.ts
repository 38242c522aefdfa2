import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { defaultRetryPolicy, nextAttemptAt } from './retry-policy.ts';

const minute = 60_000;
const noJitter = { ...defaultRetryPolicy, jitterRatio: 0 };

describe('nextAttemptAt', () => {
  it('backs transient failures off 1, 4, 16, 64, 256 minutes, then every 8 hours', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 20].map((attempts) => ((nextAttemptAt('transient', attempts, 0, 'seed', noJitter) ?? 0) / minute));
    assert.deepEqual(delays, [1, 4, 16, 64, 256, 480, 480, 480]);
  });

  it('retries a user-made duplicate account after 1, 2, 4 hours, then every 8 hours', () => {
    const delays = [1, 2, 3, 4, 9].map((attempts) => ((nextAttemptAt('duplicateAccount', attempts, 0, 'seed', noJitter) ?? 0) / minute / 60));
    assert.deepEqual(delays, [1, 2, 4, 8, 8]);
  });

  it('never schedules a terminal failure', () => {
    assert.equal(nextAttemptAt('terminal', 1, 0, 'seed'), null);
  });

  it('spreads devices that failed together but gives one command the same time on every run', () => {
    const times = new Set(['a', 'b', 'c', 'd', 'e'].map((seed) => nextAttemptAt('transient', 3, 0, seed)));
    assert.ok(times.size > 1);
    assert.equal(nextAttemptAt('transient', 3, 0, 'a'), nextAttemptAt('transient', 3, 0, 'a'));
  });

  it('keeps every delay between (1 − jitter) × base and the maximum', () => {
    fc.assert(
      fc.property(fc.constantFrom('transient' as const, 'duplicateAccount' as const), fc.integer({ min: 0, max: 10_000 }), fc.string(), (errorClass, attempts, seed) => {
        const delay = nextAttemptAt(errorClass, attempts, 1000, seed);
        assert.ok(delay !== null);
        const [base, max] = errorClass === 'transient' ? [defaultRetryPolicy.transientBaseMs, defaultRetryPolicy.transientMaxMs] : [defaultRetryPolicy.duplicateAccountBaseMs, defaultRetryPolicy.duplicateAccountMaxMs];
        assert.ok(delay - 1000 >= Math.floor(base * (1 - defaultRetryPolicy.jitterRatio)));
        assert.ok(delay - 1000 <= max);
      }),
    );
  });
});
