import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deviceTargetingIndex } from './device-targeting.ts';

describe('deviceTargetingIndex', () => {
  it('gives each in-scope device the resolver list it is in, and leaves out-of-scope devices absent', () => {
    const index = deviceTargetingIndex({
      targeted: [{ deviceId: 'a', userId: 'u', via: 'user' }],
      withoutPrimaryUser: ['b'],
      platformMismatch: ['c'],
    });
    assert.deepEqual([...index], [['a', 'targeted'], ['b', 'withoutPrimaryUser'], ['c', 'platformMismatch']]);
    assert.equal(index.get('d'), undefined);
  });
});
