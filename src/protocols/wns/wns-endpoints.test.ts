import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizePackageSid } from './package-sid.ts';
import { wnsEndpoints, wnsTokenUrl } from './wns-endpoints.ts';

const sid = 'S-1-15-2-2972962901-2322836549-3722629029-1345238579-3987825745-2155616079-650196962';

describe('normalizePackageSid', () => {
  it('keeps one form, ms-app://S-1-15-2-…, whether the prefix was given or not', () => {
    assert.equal(normalizePackageSid(sid), `ms-app://${sid}`);
    assert.equal(normalizePackageSid(`ms-app://${sid}`), `ms-app://${sid}`);
    assert.equal(normalizePackageSid(`  MS-APP://s${sid.slice(1)} `), `ms-app://${sid}`);
  });

  it('refuses what is not an app container SID', () => {
    for (const text of ['', 'ms-app://', 'S-1-5-21-1-2-3', 'S-1-15-2', 'S-1-15-2-', 'S-1-15-2-12345678901', `ms-app:${sid}`, `https://${sid}`, `${sid}-x`, `ms-app://${sid}/`]) {
      assert.equal(normalizePackageSid(text), null, text);
    }
  });
});

describe('the WNS endpoints', () => {
  it("use Microsoft's token URL and accept only https channel URIs on *.notify.windows.com by default", () => {
    const endpoints = wnsEndpoints(null);
    assert.equal(endpoints.tokenUrl, wnsTokenUrl);
    for (const uri of ['https://db5p.notify.windows.com/?token=AwYAAAB%2bX%3d', 'https://wns2-bl2p.notify.windows.com/w/?token=x', 'https://DB5P.Notify.Windows.com/?token=x']) {
      assert.equal(endpoints.isAllowedChannelUri(uri), true, uri);
    }
  });

  it('refuse channel URIs elsewhere, on another port, over http, with user info, or not URLs at all (SSRF)', () => {
    const endpoints = wnsEndpoints(null);
    for (const uri of [
      'http://db5p.notify.windows.com/?token=x',
      'https://notify.windows.com/?token=x',
      'https://db5p.notify.windows.com.evil.example/?token=x',
      'https://evilnotify.windows.com/?token=x',
      'https://db5p.notify.windows.com:8443/?token=x',
      'https://user:pw@db5p.notify.windows.com/?token=x',
      'https://db5p.notify.windows.com./?token=x',
      'https://127.0.0.1/?token=x',
      'https://169.254.169.254/latest/meta-data',
      'file:///etc/passwd',
      'not a uri',
      `https://db5p.notify.windows.com/?token=${'a'.repeat(2100)}`,
    ]) {
      assert.equal(endpoints.isAllowedChannelUri(uri), false, uri);
    }
  });

  it('with an override, fetch the token from its origin and push only to channel URIs on exactly that origin', () => {
    const endpoints = wnsEndpoints('https://127.0.0.1:8444');
    assert.equal(endpoints.tokenUrl, 'https://127.0.0.1:8444/accesstoken.srf');
    assert.equal(endpoints.isAllowedChannelUri('https://127.0.0.1:8444/w/?token=abc'), true);
    for (const uri of ['https://127.0.0.1:8445/w/?token=abc', 'http://127.0.0.1:8444/w/?token=abc', 'https://db5p.notify.windows.com/?token=x', 'https://localhost:8444/w/']) {
      assert.equal(endpoints.isAllowedChannelUri(uri), false, uri);
    }
  });
});
