import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { issuePushCertificate, createTestCa } from '../../../sim/apns/apns-test-pki.ts';
import type { AcceptedPush, ScriptedResponse } from '../../../sim/apns/apns-standin.ts';
import { ApnsProvider } from './apns-provider.ts';
import type { PushFailed } from './push-result.ts';
import { deviceToken, startApnsFixture, type ApnsFixture } from './test-support/apns-fixture.ts';

describe('ApnsProvider against the APNs stand-in over HTTP/2 and TLS', () => {
  let f: ApnsFixture;
  before(async () => {
    f = await startApnsFixture();
  });
  after(() => f.close());

  it('delivers an MDM push: 200 with the apns-id, and the stand-in sees token, PushMagic, topic and Apple headers', async () => {
    const seen: AcceptedPush[] = [];
    const stop = f.standIn.onPush((push) => seen.push(push));
    const provider = f.provider({ expirationSeconds: 3600, now: () => Date.parse('2030-01-01T00:00:00Z') });
    const [result] = await provider.push([{ token: deviceToken(1), pushMagic: 'B6A1C1F4-6D1E-4F0C-9E0B-5C7E1E0A4C11' }]);
    stop();
    assert.equal(result?.ok, true);
    assert.ok(result.ok);
    assert.match(result.apnsId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.deepEqual(seen, [
      {
        token: deviceToken(1),
        pushMagic: 'B6A1C1F4-6D1E-4F0C-9E0B-5C7E1E0A4C11',
        topic: f.pushCertificate.topic,
        apnsId: result.apnsId,
        pushType: 'mdm',
        priority: 10,
        expiration: Date.parse('2030-01-01T01:00:00Z') / 1000,
      },
    ]);
  });

  it('returns one result per target in the targets’ order', async () => {
    f.standIn.script(deviceToken(21), { status: 410, reason: 'Unregistered', timestamp: 1 });
    const targets = [20, 21, 22].map((n) => ({ token: deviceToken(n), pushMagic: `magic-${n}` }));
    const results = await f.provider().push(targets);
    assert.deepEqual(
      results.map((result) => [result.token, result.ok]),
      [
        [deviceToken(20), true],
        [deviceToken(21), false],
        [deviceToken(22), true],
      ],
    );
  });

  const cases: [ScriptedResponse & { status: number }, Partial<PushFailed>][] = [
    [{ status: 400, reason: 'BadDeviceToken' }, { status: 400, reason: 'BadDeviceToken', permanent: true }],
    [{ status: 400, reason: 'DeviceTokenNotForTopic' }, { status: 400, reason: 'DeviceTokenNotForTopic', permanent: true }],
    [{ status: 410, reason: 'Unregistered', timestamp: 1_900_000_000_000 }, { status: 410, reason: 'Unregistered', permanent: true, timestamp: 1_900_000_000_000 }],
    [{ status: 410, reason: 'ExpiredToken', timestamp: 1_900_000_000_001 }, { status: 410, reason: 'ExpiredToken', permanent: true, timestamp: 1_900_000_000_001 }],
    [{ status: 403, reason: 'BadCertificate' }, { status: 403, reason: 'BadCertificate', permanent: true }],
    [{ status: 403, reason: 'BadCertificateEnvironment' }, { status: 403, reason: 'BadCertificateEnvironment', permanent: true }],
    [{ status: 403, reason: 'Forbidden' }, { status: 403, reason: 'Forbidden', permanent: true }],
    [{ status: 400, reason: 'BadTopic' }, { status: 400, reason: 'BadTopic', permanent: true }],
    [{ status: 400, reason: 'TopicDisallowed' }, { status: 400, reason: 'TopicDisallowed', permanent: true }],
    [{ status: 400, reason: 'MissingTopic' }, { status: 400, reason: 'MissingTopic', permanent: true }],
    [{ status: 413, reason: 'PayloadTooLarge' }, { status: 413, reason: 'PayloadTooLarge', permanent: true }],
    [{ status: 400, reason: 'BadPriority' }, { status: 400, reason: 'BadPriority', permanent: true }],
    [{ status: 400, reason: 'IdleTimeout' }, { status: 400, reason: 'IdleTimeout', permanent: false }],
    [{ status: 429, reason: 'TooManyRequests', retryAfter: 60 }, { status: 429, reason: 'TooManyRequests', permanent: false, retryAfter: 60 }],
    [{ status: 500, reason: 'InternalServerError' }, { status: 500, reason: 'InternalServerError', permanent: false }],
    [{ status: 503, reason: 'ServiceUnavailable' }, { status: 503, reason: 'ServiceUnavailable', permanent: false }],
    [{ status: 503, reason: 'Shutdown' }, { status: 503, reason: 'Shutdown', permanent: false }],
  ];
  for (const [scripted, expected] of cases) {
    it(`maps ${scripted.status} ${'reason' in scripted ? scripted.reason : ''} to a ${expected.permanent ? 'permanent' : 'retryable'} failure`, async () => {
      const token = deviceToken(100 + cases.findIndex(([candidate]) => candidate === scripted));
      f.standIn.script(token, scripted);
      const [result] = await f.provider().push([{ token, pushMagic: 'magic' }]);
      assert.ok(result !== undefined && !result.ok);
      assert.deepEqual({ ...result, apnsId: undefined }, { ok: false, token, apnsId: undefined, ...expected });
      assert.match(String(result.apnsId), /^[0-9a-f-]{36}$/, 'APNs sends apns-id with failures too');
    });
  }

  it('reports a non-hexadecimal token as BadDeviceToken without sending it', async () => {
    const before = f.standIn.counters.requests;
    const [result] = await f.provider().push([{ token: '../../admin', pushMagic: 'magic' }]);
    assert.deepEqual(result, { ok: false, token: '../../admin', status: 0, reason: 'BadDeviceToken', permanent: true, detail: 'the token is not hexadecimal; not sent' });
    assert.equal(f.standIn.counters.requests, before);
  });

  it('passes on the stand-in’s own checks: a hex token shorter than 64 digits is a 400 BadDeviceToken', async () => {
    const [result] = await f.provider().push([{ token: 'abcd', pushMagic: 'magic' }]);
    assert.deepEqual({ status: (result as PushFailed).status, reason: (result as PushFailed).reason }, { status: 400, reason: 'BadDeviceToken' });
  });

  it('times out a stream APNs never answers, then sends the next push on a new connection', async () => {
    const provider = f.provider({ requestTimeoutMs: 200 });
    f.standIn.script(deviceToken(300), { action: 'hang' });
    const started = Date.now();
    const [stuck] = await provider.push([{ token: deviceToken(300), pushMagic: 'magic' }]);
    assert.deepEqual({ ...stuck, detail: undefined }, { ok: false, token: deviceToken(300), status: 0, reason: 'Timeout', permanent: false, detail: undefined });
    assert.ok(Date.now() - started >= 190, 'not before the deadline');
    const [next] = await provider.push([{ token: deviceToken(301), pushMagic: 'magic' }]);
    assert.equal(next?.ok, true);
    assert.equal(provider.stats.connectionsOpened, 2);
  });

  it('resends the requests of a connection killed mid-flight on a new connection, and all are delivered', async () => {
    const provider = f.provider({ maxConnections: 1 });
    const connectionsBefore = f.standIn.counters.connections;
    const tokens = Array.from({ length: 10 }, (_, i) => deviceToken(400 + i));
    for (const token of tokens.slice(1)) f.standIn.script(token, { status: 200, delayMs: 100 });
    f.standIn.script(tokens[0]!, { action: 'destroyConnection', delayMs: 30 });
    const results = await provider.push(tokens.map((token) => ({ token, pushMagic: 'magic' })));
    assert.deepEqual(
      results.map((result) => result.ok),
      tokens.map(() => true),
    );
    assert.ok(provider.stats.requestsResent >= 1 && provider.stats.requestsResent <= 10, 'the requests in flight on the killed connection were resent');
    assert.equal(f.standIn.counters.connections - connectionsBefore, 2);
  });

  it('moves to a new connection after a GOAWAY (APNs "Shutdown") and delivers the refused request', async () => {
    const provider = f.provider();
    f.standIn.script(deviceToken(500), { action: 'goaway', reason: 'Shutdown' });
    const [result] = await provider.push([{ token: deviceToken(500), pushMagic: 'magic' }]);
    assert.equal(result?.ok, true);
    assert.equal(provider.stats.connectionsOpened, 2);
    assert.equal(provider.stats.requestsResent, 1);
  });

  it('does not resend a request refused by a GOAWAY whose reason is permanent (BadCertificate), and reports that reason', async () => {
    const provider = f.provider();
    f.standIn.script(deviceToken(501), { action: 'goaway', reason: 'BadCertificate' });
    const [result] = await provider.push([{ token: deviceToken(501), pushMagic: 'magic' }]);
    assert.deepEqual({ ...result, detail: undefined }, { ok: false, token: deviceToken(501), status: 0, reason: 'BadCertificate', permanent: true, detail: undefined });
    assert.equal(provider.stats.requestsResent, 0);
  });
});

describe('ApnsProvider: stream limits, closing and volume', () => {
  it('never has more streams in flight on a connection than the stand-in allows (1), spreading the load over its pool', async () => {
    const f = await startApnsFixture({ maxConcurrentStreams: 1 });
    try {
      const provider = f.provider({ maxConnections: 3 });
      const tokens = Array.from({ length: 30 }, (_, i) => deviceToken(600 + i));
      for (const token of tokens) f.standIn.script(token, { status: 200, delayMs: 20 });
      const results = await provider.push(tokens.map((token) => ({ token, pushMagic: 'magic' })));
      assert.ok(results.every((result) => result.ok));
      assert.equal(f.standIn.counters.maxInFlightPerConnection, 1);
      assert.equal(f.standIn.counters.connections, 3, 'three connections share the work');
      assert.equal(provider.stats.requestsResent, 0, 'no stream was refused');
    } finally {
      await f.close();
    }
  });

  it('follows APNs lowering the limit to 1 after a failed notification', async () => {
    const f = await startApnsFixture({ maxConcurrentStreams: 100, streamsAfterFailure: 1 });
    try {
      const provider = f.provider({ maxConnections: 1 });
      f.standIn.script(deviceToken(700), { status: 400, reason: 'BadDeviceToken' });
      const [failed] = await provider.push([{ token: deviceToken(700), pushMagic: 'magic' }]);
      assert.equal(failed?.ok, false);
      const tokens = Array.from({ length: 20 }, (_, i) => deviceToken(701 + i));
      for (const token of tokens) f.standIn.script(token, { status: 200, delayMs: 5 });
      const before = f.standIn.counters.maxInFlightPerConnection;
      const results = await provider.push(tokens.map((token) => ({ token, pushMagic: 'magic' })));
      assert.ok(results.every((result) => result.ok));
      assert.equal(before, 1);
      assert.equal(f.standIn.counters.maxInFlightPerConnection, 1, 'one stream at a time once the limit dropped');
      assert.equal(provider.stats.requestsResent, 0);
    } finally {
      await f.close();
    }
  });

  it('on close, lets the request in flight finish, fails the queued ones and refuses new pushes', async () => {
    const f = await startApnsFixture({ maxConcurrentStreams: 1 });
    try {
      const provider = f.provider({ maxConnections: 1 });
      const tokens = [0, 1, 2].map((i) => deviceToken(750 + i));
      for (const token of tokens) f.standIn.script(token, { status: 200, delayMs: 100 });
      const pushed = provider.push(tokens.map((token) => ({ token, pushMagic: 'magic' })));
      while (f.standIn.counters.requests === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      await provider.close();
      const results = await pushed;
      assert.deepEqual(
        results.map((result) => (result.ok ? 'ok' : `${result.reason}: ${result.detail}`)),
        ['ok', 'ConnectionError: the provider is closed', 'ConnectionError: the provider is closed'],
      );
      const [late] = await provider.push([{ token: deviceToken(753), pushMagic: 'magic' }]);
      assert.equal((late as PushFailed).detail, 'the provider is closed');
      assert.equal(provider.openConnections, 0);
    } finally {
      await f.close();
    }
  });

  it('sends 1,000 pushes through a stand-in advertising 500 streams', async () => {
    const f = await startApnsFixture();
    try {
      const provider = f.provider();
      const targets = Array.from({ length: 1000 }, (_, i) => ({ token: deviceToken(10_000 + i), pushMagic: `magic-${i}` }));
      const started = performance.now();
      const results = await provider.push(targets);
      const elapsed = performance.now() - started;
      assert.equal(results.filter((result) => result.ok).length, 1000);
      assert.equal(f.standIn.counters.accepted, 1000);
      console.log(`1,000 APNs pushes over ${provider.stats.connectionsOpened} connection(s): ${elapsed.toFixed(0)} ms (${((1000 / elapsed) * 1000).toFixed(0)} pushes/s)`);
    } finally {
      await f.close();
    }
  });
});

describe('ApnsProvider connection failures', () => {
  it('gets nothing through with a push certificate the stand-in does not trust or that has expired: the TLS connection is refused', async () => {
    const f = await startApnsFixture();
    try {
      const stranger = await issuePushCertificate(await createTestCa('Not Apple'), { keyAlgorithm: 'ec' });
      const expired = await issuePushCertificate(f.ca, { keyAlgorithm: 'ec', notBefore: new Date(Date.now() - 3 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) });
      for (const [n, identity] of [stranger, expired].entries()) {
        const rejectedBefore = f.standIn.counters.tlsRejected;
        const provider = new ApnsProvider({ certificate: { ...identity, topic: f.pushCertificate.topic }, url: f.standIn.url, ca: f.ca.certificatePem });
        const [result] = await provider.push([{ token: deviceToken(800 + n), pushMagic: 'magic' }]);
        await provider.close();
        assert.deepEqual({ ...result, detail: undefined }, { ok: false, token: deviceToken(800 + n), status: 0, reason: 'ConnectionError', permanent: false, detail: undefined });
        assert.match(String((result as PushFailed).detail), /before its HTTP\/2 SETTINGS arrived \(a refused client certificate looks like this\)/);
        assert.equal(f.standIn.counters.tlsRejected - rejectedBefore, 2, 'refused twice: the first attempt and one reconnect');
      }
      assert.equal(f.standIn.counters.requests, 0);
      assert.equal(f.standIn.counters.accepted, 0);
    } finally {
      await f.close();
    }
  });

  it('reports a retryable ConnectionError after one reconnect when nothing listens at the URL', async () => {
    const f = await startApnsFixture();
    const url = f.standIn.url;
    const provider = new ApnsProvider({ certificate: f.pushCertificate, url, ca: f.ca.certificatePem });
    await f.close();
    const results = await provider.push([1, 2].map((n) => ({ token: deviceToken(900 + n), pushMagic: 'magic' })));
    await provider.close();
    for (const result of results) {
      assert.deepEqual({ ...result, detail: undefined }, { ok: false, token: result.token, status: 0, reason: 'ConnectionError', permanent: false, detail: undefined });
      assert.match(String((result as PushFailed).detail), /ECONNREFUSED/);
    }
    assert.equal(provider.stats.connectionsOpened, 2);
  });

  it('reports ConnectionError when it does not trust the server certificate', async () => {
    const f = await startApnsFixture();
    try {
      const provider = new ApnsProvider({ certificate: f.pushCertificate, url: f.standIn.url, ca: (await createTestCa('Other root')).certificatePem });
      const [result] = await provider.push([{ token: deviceToken(950), pushMagic: 'magic' }]);
      await provider.close();
      assert.equal((result as PushFailed).reason, 'ConnectionError');
      assert.equal((result as PushFailed).permanent, false);
      assert.match(String((result as PushFailed).detail), /self-signed|unable to verify|local issuer/i);
    } finally {
      await f.close();
    }
  });
});
