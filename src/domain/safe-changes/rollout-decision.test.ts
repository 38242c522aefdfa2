import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decideRollout, errorRatePercent } from './rollout-decision.ts';

const base = { errorThresholdPercent: 5, ringStartedAt: 1_000, soakMs: 60_000, now: 61_000, currentRing: 1, ringCount: 3, autoAdvance: true };
const counts = (reached: number, succeeded: number, errors: number) => ({ reached, succeeded, errors, pending: reached - succeeded - errors });

describe('Staged rollout decisions', () => {
  it('waits while the ring soaks, even with errors', () => {
    assert.equal(decideRollout({ ...base, now: 60_999, counts: counts(10, 0, 10) }).action, 'wait');
  });

  it('advances a soaked ring whose error rate is within the threshold, and completes after the last ring', () => {
    assert.deepEqual(decideRollout({ ...base, counts: counts(100, 95, 5) }), { action: 'advance' });
    assert.deepEqual(decideRollout({ ...base, currentRing: 3, counts: counts(100, 100, 0) }), { action: 'complete' });
  });

  it('pauses above the threshold, naming the rate and the counts', () => {
    const verdict = decideRollout({ ...base, counts: counts(100, 90, 6) });
    assert.equal(verdict.action, 'pause');
    assert.equal((verdict as { reason: string }).reason, 'Error rate 6 % (6 of 100 devices reached) is above the 5 % threshold.');
    assert.equal(decideRollout({ ...base, errorThresholdPercent: 0, counts: counts(3, 2, 1) }).action, 'pause', 'threshold 0: any error pauses');
  });

  it('waits for a first answer when the reached devices have all yet to answer; an empty ring advances', () => {
    assert.equal(decideRollout({ ...base, counts: counts(4, 0, 0) }).action, 'wait');
    assert.equal(decideRollout({ ...base, counts: counts(0, 0, 0) }).action, 'advance');
  });

  it('only pauses when autoAdvance is off', () => {
    assert.equal(decideRollout({ ...base, autoAdvance: false, counts: counts(10, 10, 0) }).action, 'wait');
    assert.equal(decideRollout({ ...base, autoAdvance: false, counts: counts(10, 0, 10) }).action, 'pause');
  });

  it('computes the error rate over the devices reached', () => {
    assert.equal(errorRatePercent(counts(0, 0, 0)), 0);
    assert.equal(errorRatePercent(counts(8, 4, 2)), 25);
  });
});
