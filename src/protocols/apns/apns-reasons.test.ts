import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fallbackReason, isPermanentApnsFailure } from './apns-reasons.ts';

describe('isPermanentApnsFailure', () => {
  it('treats the token, certificate and topic reasons as permanent whatever the status', () => {
    for (const reason of ['BadDeviceToken', 'Unregistered', 'ExpiredToken', 'DeviceTokenNotForTopic', 'BadCertificate', 'BadCertificateEnvironment', 'Forbidden', 'BadTopic', 'TopicDisallowed', 'MissingTopic', 'PayloadTooLarge']) {
      assert.equal(isPermanentApnsFailure(400, reason), true, reason);
      assert.equal(isPermanentApnsFailure(0, reason), true, `${reason} from a GOAWAY`);
    }
  });

  it('treats 429, 5xx and no answer as transient, whatever reason they carry', () => {
    for (const [status, reason] of [
      [429, 'TooManyRequests'],
      [429, 'TooManyProviderTokenUpdates'],
      [500, 'InternalServerError'],
      [503, 'ServiceUnavailable'],
      [503, 'Shutdown'],
      [0, 'ConnectionError'],
      [0, 'Timeout'],
      [0, 'CircuitOpen'],
    ] as const) {
      assert.equal(isPermanentApnsFailure(status, reason), false, `${status} ${reason}`);
    }
  });

  it('treats other 4xx as permanent, since a resend repeats the same request, except IdleTimeout', () => {
    assert.equal(isPermanentApnsFailure(404, 'BadPath'), true);
    assert.equal(isPermanentApnsFailure(405, 'MethodNotAllowed'), true);
    assert.equal(isPermanentApnsFailure(400, 'BadPriority'), true);
    assert.equal(isPermanentApnsFailure(400, 'SomethingNew'), true);
    assert.equal(isPermanentApnsFailure(400, 'IdleTimeout'), false);
  });
});

describe('fallbackReason', () => {
  it("names Apple's reason for a status whose body was missing, and the bare status otherwise", () => {
    assert.deepEqual([403, 404, 405, 410, 413, 429, 500, 503, 418].map(fallbackReason), [
      'Forbidden',
      'BadPath',
      'MethodNotAllowed',
      'Unregistered',
      'PayloadTooLarge',
      'TooManyRequests',
      'InternalServerError',
      'ServiceUnavailable',
      'HTTP418',
    ]);
  });
});
