import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { unrecognizedDeviceBody } from './unrecognized-device.ts';

describe('unrecognizedDeviceBody', () => {
  it('is exactly {"code":"com.apple.unrecognized.device"} by default', () => {
    assert.equal(unrecognizedDeviceBody(), '{"code":"com.apple.unrecognized.device"}');
  });

  it('adds the optional description and message when given', () => {
    assert.deepEqual(JSON.parse(unrecognizedDeviceBody({ description: 'enrollment removed', message: 'Your device was removed.' })), {
      code: 'com.apple.unrecognized.device',
      description: 'enrollment removed',
      message: 'Your device was removed.',
    });
  });
});
