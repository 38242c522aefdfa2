import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from './config.ts';

describe('loadConfig', () => {
  it('defaults to port 8080 on localhost with embedded PGlite in ./data', () => {
    const config = loadConfig({}, '/srv/envelope');
    assert.equal(config.port, 8080);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.databaseUrl, null);
    assert.equal(config.dataDir, '/srv/envelope/data');
    assert.equal(config.secretKey, null);
    assert.equal(config.logFormat, 'json');
    assert.equal(loadConfig({}, '/', true).logFormat, 'pretty');
    assert.ok(Object.isFrozen(config));
  });

  it('reads every documented variable', () => {
    const config = loadConfig({
      PORT: '9443', HOST: '0.0.0.0', DATABASE_URL: 'postgres://envelope@db/envelope', ENVELOPE_DATA_DIR: '/var/lib/envelope',
      ENVELOPE_ADMIN_TOKEN: 'automation-token-0123456789', ENVELOPE_TLS_CERT: 'tls/cert.pem', ENVELOPE_TLS_KEY: 'tls/key.pem',
      ENVELOPE_SECRET_KEY: 'aa'.repeat(32), ENVELOPE_PUBLIC_URL: 'https://mdm.contoso.com/', LOG_LEVEL: 'warn', LOG_FORMAT: 'json',
    }, '/srv', true);
    assert.equal(config.port, 9443);
    assert.equal(config.host, '0.0.0.0');
    assert.equal(config.databaseUrl, 'postgres://envelope@db/envelope');
    assert.equal(config.dataDir, '/var/lib/envelope');
    assert.equal(config.adminToken, 'automation-token-0123456789');
    assert.equal(config.tlsCertPath, '/srv/tls/cert.pem');
    assert.equal(config.tlsKeyPath, '/srv/tls/key.pem');
    assert.equal(config.secretKey?.length, 32);
    assert.equal(config.publicUrl, 'https://mdm.contoso.com');
    assert.equal(config.logLevel, 'warn');
    assert.equal(config.logFormat, 'json');
  });

  it('reads the APNs trust file relative to the working directory, and the wake poll interval (default 1 s)', () => {
    const defaults = loadConfig({}, '/srv');
    assert.equal(defaults.apnsCaPath, null);
    assert.equal(defaults.wakePollIntervalMs, 1000);
    const set = loadConfig({ ENVELOPE_APNS_CA: 'pki/apns-standin-ca.pem', ENVELOPE_WAKE_POLL_MS: '250' }, '/srv');
    assert.equal(set.apnsCaPath, '/srv/pki/apns-standin-ca.pem');
    assert.equal(set.wakePollIntervalMs, 250);
  });

  const bad: Array<[Record<string, string>, string]> = [
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://db' }, 'DATABASE_URL'],
    [{ ENVELOPE_TLS_CERT: 'cert.pem' }, 'ENVELOPE_TLS_KEY'],
    [{ ENVELOPE_TLS_KEY: 'key.pem' }, 'ENVELOPE_TLS_CERT'],
    [{ ENVELOPE_ADMIN_TOKEN: 'short' }, 'ENVELOPE_ADMIN_TOKEN'],
    [{ ENVELOPE_SECRET_KEY: 'abc' }, 'ENVELOPE_SECRET_KEY'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ LOG_FORMAT: 'xml' }, 'LOG_FORMAT'],
    [{ ENVELOPE_PUBLIC_URL: 'mdm.contoso.com' }, 'ENVELOPE_PUBLIC_URL'],
    [{ ENVELOPE_WAKE_POLL_MS: 'often' }, 'ENVELOPE_WAKE_POLL_MS'],
    [{ ENVELOPE_WAKE_POLL_MS: '10' }, 'ENVELOPE_WAKE_POLL_MS'],
    [{ ENVELOPE_WAKE_POLL_MS: '1.5' }, 'ENVELOPE_WAKE_POLL_MS'],
  ];
  for (const [env, variable] of bad) {
    it(`refuses ${JSON.stringify(env)} naming ${variable}`, () => {
      assert.throws(() => loadConfig(env, '/'), (error: unknown) => error instanceof ConfigError && error.message.startsWith(`${variable}:`));
    });
  }
});
