import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AmapiRateLimiter, defaultAmapiQuota, policyRolloutDurationMs } from './amapi-rate-limiter.ts';

describe('AmapiRateLimiter', () => {
  it('grants Google\'s default 1,000 queries in 100 s, then makes the next wait for the oldest grant to leave the window', () => {
    let now = 1_000_000;
    const limiter = new AmapiRateLimiter(defaultAmapiQuota, () => now);
    for (let i = 0; i < 1000; i++) {
      assert.equal(limiter.tryAcquire(), 0);
      now += 10;
    }
    // 1,000 grants from t0 to t0 + 9,990 ms: the 1,001st waits until t0 + 100 s.
    assert.equal(limiter.waitMs(), 1_000_000 + 100_000 - now, 'waitMs tells without taking');
    assert.equal(limiter.tryAcquire(), 1_000_000 + 100_000 - now);
    assert.equal(limiter.available(), 0);
    now = 1_000_000 + 100_000;
    assert.equal(limiter.tryAcquire(), 0);
    assert.equal(limiter.tryAcquire(), 10, 'the second-oldest grant leaves 10 ms later');
  });

  it('never lets more than the limit through in any window, whatever the burst pattern', () => {
    let now = 0;
    const limiter = new AmapiRateLimiter({ limit: 5, windowMs: 1000 }, () => now);
    const grants: number[] = [];
    for (let step = 0; step < 400; step++) {
      now += step % 7 === 0 ? 97 : 3;
      if (limiter.tryAcquire() === 0) grants.push(now);
    }
    for (let i = 5; i < grants.length; i++) assert.ok(grants[i]! - grants[i - 5]! >= 1000, `grants ${i - 5} and ${i} in one window`);
    assert.ok(grants.length >= 5);
  });

  it('holds every grant back after a 429 until its Retry-After has passed', () => {
    let now = 0;
    const limiter = new AmapiRateLimiter({ limit: 100, windowMs: 1000 }, () => now);
    assert.equal(limiter.tryAcquire(), 0);
    limiter.blockFor(30_000);
    assert.equal(limiter.tryAcquire(), 30_000);
    now = 29_999;
    assert.equal(limiter.tryAcquire(), 1);
    now = 30_000;
    assert.equal(limiter.tryAcquire(), 0);
  });

  it('states what the default quota means for a large fleet: 100,000 policy patches take about 2.8 hours', () => {
    assert.equal(policyRolloutDurationMs(100_000), 10_000_000);
    assert.equal(Math.round(policyRolloutDurationMs(100_000) / 360_000) / 10, 2.8);
  });

  it('refuses a quota that is not one', () => {
    assert.throws(() => new AmapiRateLimiter({ limit: 0, windowMs: 1000 }), RangeError);
    assert.throws(() => new AmapiRateLimiter({ limit: 10, windowMs: 0 }), RangeError);
  });
});
