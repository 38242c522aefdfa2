import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.ts';

describe('ENVELOPE_APNS_URL', () => {
  it("defaults to Apple's production APNs", () => {
    assert.equal(loadConfig({}, '/srv').apnsUrl, 'https://api.push.apple.com');
  });

  it('takes another https base URL, such as a test stand-in with a port, without a trailing slash', () => {
    assert.equal(loadConfig({ ENVELOPE_APNS_URL: 'https://127.0.0.1:8443/' }, '/srv').apnsUrl, 'https://127.0.0.1:8443');
  });

  it('refuses plain http and URLs with a path, naming the variable', () => {
    for (const value of ['http://api.push.apple.com', 'https://api.push.apple.com/3/device', 'api.push.apple.com']) {
      assert.throws(() => loadConfig({ ENVELOPE_APNS_URL: value }, '/srv'), (error: unknown) => error instanceof ConfigError && /^ENVELOPE_APNS_URL: /.test(error.message));
    }
  });
});
