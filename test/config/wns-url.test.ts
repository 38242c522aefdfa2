import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.ts';

describe('ENVELOPE_WNS_URL and ENVELOPE_WNS_CA', () => {
  it("are unset by default: Microsoft's WNS hosts and Node's roots", () => {
    const config = loadConfig({}, '/srv');
    assert.equal(config.wnsUrl, null);
    assert.equal(config.wnsCaPath, null);
  });

  it('take an https origin such as a test stand-in with a port (a trailing slash is dropped), and a CA file relative to the working directory', () => {
    const config = loadConfig({ ENVELOPE_WNS_URL: 'https://127.0.0.1:8444/', ENVELOPE_WNS_CA: 'wns/ca.pem' }, '/srv');
    assert.equal(config.wnsUrl, 'https://127.0.0.1:8444');
    assert.equal(config.wnsCaPath, '/srv/wns/ca.pem');
    assert.equal(loadConfig({ ENVELOPE_WNS_URL: 'https://WNS.Test' }, '/srv').wnsUrl, 'https://wns.test');
  });

  it('refuse plain http, paths, queries and user info, naming the variable', () => {
    for (const value of ['http://127.0.0.1:8444', 'https://127.0.0.1:8444/accesstoken.srf', 'https://wns.test/?x=1', 'https://user:pw@wns.test', 'wns.test', 'https://']) {
      assert.throws(() => loadConfig({ ENVELOPE_WNS_URL: value }, '/srv'), (error: unknown) => error instanceof ConfigError && /^ENVELOPE_WNS_URL: /.test(error.message), value);
    }
  });
});
