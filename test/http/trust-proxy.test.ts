import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { createEnvelope, type Envelope } from '../../src/main.ts';
import { enrollRateLimit } from '../../src/http/device/apple/enroll.ts';
import { openTestDb, type TestDb } from '../helpers/test-db.ts';

describe('ENVELOPE_TRUST_PROXY', () => {
  it('is empty by default, takes addresses, CIDR ranges and named ranges, and refuses anything else naming the variable', () => {
    assert.deepEqual(loadConfig({}, '/srv').trustProxy, []);
    assert.deepEqual(loadConfig({ ENVELOPE_TRUST_PROXY: ' 10.0.0.5, 10.1.0.0/16 ,loopback,fd00::/8' }, '/srv').trustProxy, ['10.0.0.5', '10.1.0.0/16', 'loopback', 'fd00::/8']);
    for (const value of ['true', '*', '10.0.0.0/33', 'proxy.example.com', '10.0.0.1/8/1', '1']) {
      assert.throws(() => loadConfig({ ENVELOPE_TRUST_PROXY: value }, '/srv'), (error: unknown) => error instanceof ConfigError && /^ENVELOPE_TRUST_PROXY: /.test(error.message), value);
    }
  });
});

/**
 * Behind a reverse proxy every device arrives from the proxy's address. Per-address rate limits
 * (60 enrollments a minute) would then throttle the whole fleet as one client unless the proxy is
 * named: then the device's own address comes from X-Forwarded-For — and only from a named proxy.
 */
describe('client addresses behind a reverse proxy', () => {
  let testDb: TestDb;
  const envelopes: Envelope[] = [];

  before(async () => {
    testDb = await openTestDb();
  });
  after(async () => {
    for (const envelope of envelopes) await envelope.app.close();
    await testDb.dispose();
  });

  async function envelopeTrusting(trustProxy: readonly string[]): Promise<Envelope> {
    const envelope = await createEnvelope({ db: testDb.db, secretKey: randomBytes(32), adminToken: null, logger: false, publicUrl: 'https://envelope.test', trustProxy });
    envelopes.push(envelope);
    return envelope;
  }

  const enrollFrom = (envelope: Envelope, forwardedFor: string, remoteAddress = '127.0.0.1') =>
    envelope.app.inject({ method: 'GET', url: '/mdm/apple/enroll?token=enr_unknown', remoteAddress, headers: { 'x-forwarded-for': forwardedFor } });

  it('keys rate limits by the forwarded device address when the proxy is trusted', async () => {
    const envelope = await envelopeTrusting(['127.0.0.1']);
    for (let i = 0; i < enrollRateLimit.max; i++) assert.notEqual((await enrollFrom(envelope, '203.0.113.7')).statusCode, 429);
    assert.equal((await enrollFrom(envelope, '203.0.113.7')).statusCode, 429, 'that device used its allowance');
    assert.equal((await enrollFrom(envelope, '203.0.113.8')).statusCode, 403, 'another device behind the same proxy is not throttled');
  });

  it('ignores X-Forwarded-For from a peer that is not a named proxy (a client cannot pick its own address)', async () => {
    const envelope = await envelopeTrusting(['10.0.0.5']);
    for (let i = 0; i < enrollRateLimit.max; i++) assert.notEqual((await enrollFrom(envelope, `198.51.100.${i}`, '192.0.2.1')).statusCode, 429);
    assert.equal((await enrollFrom(envelope, '198.51.100.250', '192.0.2.1')).statusCode, 429, 'one bucket: the peer address');
  });
});
