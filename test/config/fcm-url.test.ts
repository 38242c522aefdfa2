import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.ts';

describe('ENVELOPE_FCM_URL and ENVELOPE_FCM_CA', () => {
  it("are unset by default: Google's FCM hosts and Node's roots", () => {
    const config = loadConfig({}, '/srv');
    assert.equal(config.fcmUrl, null);
    assert.equal(config.fcmCaPath, null);
  });

  it('take an https origin such as a test stand-in with a port (a trailing slash is dropped), and a CA file relative to the working directory', () => {
    const config = loadConfig({ ENVELOPE_FCM_URL: 'https://127.0.0.1:8444/', ENVELOPE_FCM_CA: 'fcm/ca.pem' }, '/srv');
    assert.equal(config.fcmUrl, 'https://127.0.0.1:8444');
    assert.equal(config.fcmCaPath, '/srv/fcm/ca.pem');
    assert.equal(loadConfig({ ENVELOPE_FCM_URL: 'https://FCM.Test' }, '/srv').fcmUrl, 'https://fcm.test');
  });

  it('refuse plain http, paths, queries and user info, naming the variable', () => {
    for (const value of ['http://127.0.0.1:8444', 'https://127.0.0.1:8444/token', 'https://fcm.test/?x=1', 'https://user:pw@fcm.test', 'fcm.test', 'https://']) {
      assert.throws(() => loadConfig({ ENVELOPE_FCM_URL: value }, '/srv'), (error: unknown) => error instanceof ConfigError && /^ENVELOPE_FCM_URL: /.test(error.message), value);
    }
  });
});
