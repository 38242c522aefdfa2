import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { PushFailed } from './push-result.ts';
import { RetryingPusher, type RetryOutcome, type RetryPolicy } from './retrying-pusher.ts';
import { deviceToken, startApnsFixture, type ApnsFixture } from './test-support/apns-fixture.ts';
import { ManualScheduler } from './test-support/manual-scheduler.ts';

const second = 1000;
const minute = 60 * second;

describe('RetryingPusher over the APNs provider and stand-in, on a manual clock', () => {
  let f: ApnsFixture;
  let clock: ManualScheduler;
  let outcomes: RetryOutcome[];
  let nextToken = 0;
  let token: string;
  before(async () => {
    f = await startApnsFixture();
  });
  after(() => f.close());
  beforeEach(() => {
    clock = new ManualScheduler();
    outcomes = [];
    token = deviceToken(5000 + nextToken++);
    f.standIn.failRandomly(0, { status: 200 });
  });

  /** A retrying pusher over a fresh provider; `random` 0.5 means no jitter. */
  const retrying = (options: { random?: () => number; policy?: Partial<RetryPolicy> } = {}) =>
    new RetryingPusher(f.provider(), { scheduler: clock, random: options.random ?? (() => 0.5), policy: options.policy, onRetryOutcome: (outcome) => outcomes.push(outcome) });

  const summary = (outcome: RetryOutcome) => [outcome.attempt, outcome.result.ok ? 'ok' : (outcome.result as PushFailed).reason, outcome.final];

  it('retries a 503 after 30 s and the following 429 after 2 min, then reports the delivery', async () => {
    f.standIn.script(token, { status: 503, reason: 'ServiceUnavailable' }, { status: 429, reason: 'TooManyRequests' }, { status: 200 });
    const pusher = retrying();
    const requests = () => f.standIn.counters.requests;
    const start = clock.now();

    const [first] = await pusher.push([{ token, pushMagic: 'magic' }]);
    assert.deepEqual([first?.ok, (first as PushFailed).reason], [false, 'ServiceUnavailable'], 'push returns the first answer as it is');
    assert.equal(pusher.pendingCount, 1);
    assert.equal(clock.nextTimerAt, start + 30 * second);

    const sent = requests();
    await clock.advance(30 * second - 1);
    assert.equal(requests(), sent, 'nothing before the backoff');
    await clock.advance(1);
    assert.equal(requests(), sent + 1);
    assert.deepEqual(outcomes.map(summary), [[1, 'TooManyRequests', false]]);
    assert.equal(clock.nextTimerAt, clock.now() + 2 * minute);

    await clock.advance(2 * minute);
    assert.deepEqual(outcomes.map(summary), [
      [1, 'TooManyRequests', false],
      [2, 'ok', true],
    ]);
    assert.equal(pusher.pendingCount, 0);
    assert.equal(clock.nextTimerAt, undefined);
  });

  it('never retries a permanent failure', async () => {
    f.standIn.script(token, { status: 410, reason: 'Unregistered', timestamp: 1_900_000_000_000 });
    const pusher = retrying();
    const [result] = await pusher.push([{ token, pushMagic: 'magic' }]);
    assert.equal((result as PushFailed).permanent, true);
    assert.equal(pusher.pendingCount, 0);
    assert.equal(clock.nextTimerAt, undefined);
  });

  it('jitters each wait by up to ±20 %', async () => {
    for (const [random, wait] of [
      [0, 24 * second],
      [0.999_999, 36 * second],
    ] as const) {
      const tokenForCase = `${token.slice(0, -1)}${random === 0 ? 'a' : 'b'}`;
      f.standIn.script(tokenForCase, { status: 500, reason: 'InternalServerError' });
      const pusher = retrying({ random: () => random });
      await pusher.push([{ token: tokenForCase, pushMagic: 'magic' }]);
      assert.ok(Math.abs(clock.nextTimerAt! - clock.now() - wait) < 1, `random ${random}: wait ${clock.nextTimerAt! - clock.now()} ms`);
      pusher.stop();
    }
  });

  it('waits at least the Retry-After APNs asked for', async () => {
    f.standIn.script(token, { status: 429, reason: 'TooManyRequests', retryAfter: 300 });
    const pusher = retrying();
    await pusher.push([{ token, pushMagic: 'magic' }]);
    assert.equal(clock.nextTimerAt, clock.now() + 300 * second);
    pusher.stop();
  });

  it('gives up after the fourth retry (30 s, 2 min, 8 min, 30 min) and says so', async () => {
    const failure = { status: 503, reason: 'ServiceUnavailable' } as const;
    f.standIn.script(token, failure, failure, failure, failure, failure, { status: 200 });
    const pusher = retrying({ policy: { breakerThreshold: 100 } });
    await pusher.push([{ token, pushMagic: 'magic' }]);
    await clock.advance(30 * second + 2 * minute + 8 * minute + 30 * minute);
    assert.deepEqual(outcomes.map(summary), [
      [1, 'ServiceUnavailable', false],
      [2, 'ServiceUnavailable', false],
      [3, 'ServiceUnavailable', false],
      [4, 'ServiceUnavailable', true],
    ]);
    assert.equal(pusher.pendingCount, 0);
    assert.equal(clock.nextTimerAt, undefined);
  });

  it('drops a pending retry when a fresh push of the same device succeeds', async () => {
    f.standIn.script(token, { status: 503, reason: 'ServiceUnavailable' });
    const pusher = retrying();
    await pusher.push([{ token, pushMagic: 'magic' }]);
    assert.equal(pusher.pendingCount, 1);
    const [second] = await pusher.push([{ token, pushMagic: 'magic' }]);
    assert.equal(second?.ok, true);
    assert.equal(pusher.pendingCount, 0);
    const sent = f.standIn.counters.requests;
    await clock.advance(60 * minute);
    assert.equal(f.standIn.counters.requests, sent);
    assert.deepEqual(outcomes, []);
  });

  it('opens the breaker after 5 calls that got only 5xx: pushes are then answered CircuitOpen without being sent, and go out when it closes 2 min later', async () => {
    f.standIn.failRandomly(1, { status: 503, reason: 'ServiceUnavailable' });
    const pusher = retrying();
    const tokens = Array.from({ length: 6 }, (_, i) => `${token.slice(0, -1)}${i}`);
    for (const failing of tokens.slice(0, 4)) await pusher.push([{ token: failing, pushMagic: 'magic' }]);
    assert.equal(pusher.breakerOpenUntil, undefined, 'four failed calls are not enough');
    await pusher.push([{ token: tokens[4]!, pushMagic: 'magic' }]);
    assert.equal(pusher.breakerOpenUntil, clock.now() + 2 * minute);

    const sent = f.standIn.counters.requests;
    const [refused] = await pusher.push([{ token: tokens[5]!, pushMagic: 'magic' }]);
    assert.deepEqual(refused, { ok: false, token: tokens[5], status: 0, reason: 'CircuitOpen', permanent: false, retryAfter: 120 });
    assert.equal(f.standIn.counters.requests, sent, 'nothing sent while open');

    f.standIn.failRandomly(0, { status: 200 });
    await clock.advance(2 * minute - 1);
    assert.equal(f.standIn.counters.requests, sent, 'the 30 s retries wait for the breaker');
    await clock.advance(1);
    assert.deepEqual(outcomes.map((outcome) => [outcome.target.token, outcome.result.ok, outcome.final]).sort(), tokens.map((t) => [t, true, true]).sort());
    assert.equal(pusher.breakerOpenUntil, undefined);
    assert.equal(pusher.pendingCount, 0);
  });

  it('re-opens the breaker when the first call after the cooldown fails too', async () => {
    f.standIn.failRandomly(1, { status: 503, reason: 'ServiceUnavailable' });
    const pusher = retrying({ policy: { backoffsMs: [10 * minute] } });
    for (let i = 0; i < 5; i++) await pusher.push([{ token: `${token.slice(0, -1)}${i}`, pushMagic: 'magic' }]);
    assert.ok(pusher.breakerOpenUntil !== undefined);
    await clock.advance(2 * minute);
    const [probe] = await pusher.push([{ token: `${token.slice(0, -1)}f`, pushMagic: 'magic' }]);
    assert.equal((probe as PushFailed).reason, 'ServiceUnavailable', 'the probe was sent');
    assert.equal(pusher.breakerOpenUntil, clock.now() + 2 * minute);
    pusher.stop();
  });

  it('does not count per-device rejections towards the breaker', async () => {
    f.standIn.failRandomly(1, { status: 400, reason: 'BadDeviceToken' });
    const pusher = retrying();
    for (let i = 0; i < 8; i++) await pusher.push([{ token: `${token.slice(0, -1)}${i}`, pushMagic: 'magic' }]);
    assert.equal(pusher.breakerOpenUntil, undefined);
  });
});
