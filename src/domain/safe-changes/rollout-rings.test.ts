import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { isDeviceReached, reachedScopeOf, rolloutBucket, type RolloutRing } from './rollout-rings.ts';

const devices: string[] = Array.from({ length: 5000 }, () => randomUUID());

describe('Staged rollout rings', () => {
  it('puts a device in the same bucket every time, whatever the case of its id', () => {
    const rollout = randomUUID();
    for (const device of devices.slice(0, 100)) {
      assert.equal(rolloutBucket(rollout, device), rolloutBucket(rollout.toUpperCase(), device.toUpperCase()));
      assert.ok(rolloutBucket(rollout, device) >= 0 && rolloutBucket(rollout, device) < 10_000);
    }
    assert.equal(rolloutBucket('3f1c0b8e-4a43-4d3b-9f7e-1d2c3b4a5f60', '00000000-0000-4000-8000-000000000001'),
      rolloutBucket('3f1c0b8e-4a43-4d3b-9f7e-1d2c3b4a5f60', '00000000-0000-4000-8000-000000000001'));
  });

  it('reaches about the given share of devices, and widening a ring only adds devices', () => {
    const rollout = randomUUID();
    const rings: RolloutRing[] = [{ percent: 1 }, { percent: 10 }, { percent: 50 }, { percent: 100 }];
    let before: Set<string> = new Set();
    for (const [index, expected] of [[1, 0.01], [2, 0.1], [3, 0.5], [4, 1]] as const) {
      const scope = reachedScopeOf(rings, index);
      const reached = new Set(devices.filter((d) => isDeviceReached(scope, rollout, d, [])));
      const share = reached.size / devices.length;
      assert.ok(Math.abs(share - expected) < Math.max(0.01, expected * 0.2), `ring ${index}: ${share} vs ${expected}`);
      for (const d of before) assert.ok(reached.has(d), 'a device reached by a smaller ring stays reached');
      before = reached;
    }
    assert.equal(before.size, devices.length, '100 % is everyone');
  });

  it('samples different devices in different rollouts', () => {
    const scope = reachedScopeOf([{ percent: 10 }, { percent: 100 }], 1);
    const a = devices.filter((d) => isDeviceReached(scope, randomUUID(), d, []));
    const first = randomUUID();
    const second = randomUUID();
    const inFirst = new Set(devices.filter((d) => isDeviceReached(scope, first, d, [])));
    const overlap = devices.filter((d) => isDeviceReached(scope, second, d, []) && inFirst.has(d)).length;
    assert.ok(a.length > 0);
    assert.ok(overlap < inFirst.size / 2, `independent samples overlap by about 10 %, got ${overlap} of ${inFirst.size}`);
  });

  it('reaches group rings through the device or its user, cumulatively, then everyone', () => {
    const pilot = randomUUID();
    const early = randomUUID();
    const rings: RolloutRing[] = [{ groupIds: [pilot] }, { groupIds: [early] }, { percent: 100 }];
    const rollout = randomUUID();
    const [d1, d2, d3] = devices;
    assert.equal(isDeviceReached(reachedScopeOf(rings, 1), rollout, d1!, [pilot]), true);
    assert.equal(isDeviceReached(reachedScopeOf(rings, 1), rollout, d2!, [early]), false);
    assert.equal(isDeviceReached(reachedScopeOf(rings, 2), rollout, d2!, [early]), true);
    assert.equal(isDeviceReached(reachedScopeOf(rings, 2), rollout, d1!, [pilot]), true, 'ring 1 stays reached in ring 2');
    assert.equal(isDeviceReached(reachedScopeOf(rings, 2), rollout, d3!, []), false);
    assert.equal(isDeviceReached(reachedScopeOf(rings, 3), rollout, d3!, []), true);
    assert.deepEqual(reachedScopeOf(rings, 2), { bucketLimit: 0, groupIds: [pilot, early].sort() });
    assert.deepEqual(reachedScopeOf(rings, 0), { bucketLimit: 0, groupIds: [] });
  });
});
