import assert from 'node:assert/strict';
import http2, { type ClientHttp2Session, type OutgoingHttpHeaders } from 'node:http2';
import { after, before, describe, it } from 'node:test';
import { ApnsStandIn, type AcceptedPush } from '../../sim/apns/apns-standin.ts';
import { createTestCa, issuePushCertificate, issueServerCertificate, type TestCa, type TestIdentity } from '../../sim/apns/apns-test-pki.ts';

const token = 'a1'.repeat(32);

interface Answer {
  status: number;
  apnsId: string | undefined;
  body: unknown;
}

/** A raw HTTP/2 request, so the stand-in's checks can be probed with requests the provider would never send. */
function send(session: ClientHttp2Session, headers: OutgoingHttpHeaders, body: string | Buffer = '{"mdm":"magic"}'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':method': 'POST', ':path': `/3/device/${token}`, ...headers });
    let status = 0;
    let apnsId: string | undefined;
    const chunks: Buffer[] = [];
    stream.on('response', (received) => {
      status = Number(received[':status']);
      apnsId = received['apns-id'] as string | undefined;
    });
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve({ status, apnsId, body: chunks.length === 0 ? undefined : JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
    stream.on('error', reject);
    // Node ends a GET's stream with its headers; only a writable stream takes a body.
    if (stream.writable) stream.end(body);
  });
}

function connect(standIn: ApnsStandIn, ca: TestCa, identity: TestIdentity | undefined): ClientHttp2Session {
  const session = http2.connect(standIn.url, { ca: ca.certificatePem, ...(identity ? { cert: identity.certificatePem, key: identity.privateKeyPem } : {}) });
  session.on('error', () => {});
  return session;
}

describe('the APNs stand-in', () => {
  let ca: TestCa;
  let push: TestIdentity;
  let standIn: ApnsStandIn;
  let session: ClientHttp2Session;
  let topic: string;
  before(async () => {
    ca = await createTestCa();
    const server = await issueServerCertificate(ca);
    topic = 'com.apple.mgmt.External.0f8c7b2e-58a4-4a57-9a8e-2b4f2d1c0e9a';
    push = await issuePushCertificate(ca, { topic, keyAlgorithm: 'ec' });
    standIn = await ApnsStandIn.start({ certificatePem: server.certificatePem, privateKeyPem: server.privateKeyPem, clientCa: ca.certificatePem, maxConcurrentStreams: 7 });
    session = connect(standIn, ca, push);
  });
  after(async () => {
    session.close();
    await standIn.close();
  });

  it('accepts a valid MDM push with 200 and a new apns-id, and tells its listeners', async () => {
    const seen: AcceptedPush[] = [];
    const stop = standIn.onPush((accepted) => seen.push(accepted));
    const answer = await send(session, { 'apns-topic': topic, 'apns-push-type': 'mdm', 'apns-priority': '10' });
    stop();
    await send(session, {});
    assert.equal(answer.status, 200);
    assert.match(String(answer.apnsId), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(answer.body, undefined, 'an empty body on success');
    assert.deepEqual(seen, [{ token, pushMagic: 'magic', topic, apnsId: answer.apnsId, pushType: 'mdm', priority: 10 }], 'the unsubscribed listener missed the second push');
  });

  it('echoes the apns-id the request carries', async () => {
    const apnsId = '6c3e5a1f-2b7d-4c9e-8f10-3a2b1c0d9e8f';
    assert.equal((await send(session, { 'apns-id': apnsId })).apnsId, apnsId);
  });

  it('takes the topic from the certificate when the request names none (as NanoMDM sends)', async () => {
    assert.equal((await send(session, {})).status, 200);
  });

  const rejections: [string, OutgoingHttpHeaders, string | Buffer | undefined, number, string][] = [
    ['a GET', { ':method': 'GET' }, '', 405, 'MethodNotAllowed'],
    ['a path outside /3/device/', { ':path': '/2/device/' + token }, undefined, 404, 'BadPath'],
    ['no token', { ':path': '/3/device/' }, undefined, 400, 'MissingDeviceToken'],
    ['a token that is not hex', { ':path': `/3/device/${'zz'.repeat(32)}` }, undefined, 400, 'BadDeviceToken'],
    ['a token shorter than 64 hex digits', { ':path': '/3/device/abcd' }, undefined, 400, 'BadDeviceToken'],
    ['a topic the certificate does not carry', { 'apns-topic': 'com.apple.mgmt.External.other' }, undefined, 400, 'TopicDisallowed'],
    ['an unknown push type', { 'apns-push-type': 'telegram' }, undefined, 400, 'InvalidPushType'],
    ['a non-MDM push type on an MDM topic', { 'apns-push-type': 'alert' }, undefined, 400, 'InvalidPushType'],
    ['priority 7', { 'apns-priority': '7' }, undefined, 400, 'BadPriority'],
    ['an expiration that is not a number', { 'apns-expiration': 'tomorrow' }, undefined, 400, 'BadExpirationDate'],
    ['an apns-id that is not a UUID', { 'apns-id': 'abc' }, undefined, 400, 'BadMessageId'],
    ['an empty body', {}, '', 400, 'PayloadEmpty'],
    ['a body over 4 KB', {}, JSON.stringify({ mdm: 'x'.repeat(4100) }), 413, 'PayloadTooLarge'],
    ['a body that is not JSON', {}, 'mdm=magic', 400, 'BadPayload'],
    ['a body without a string "mdm"', {}, '{"aps":{}}', 400, 'BadPayload'],
  ];
  for (const [what, headers, body, status, reason] of rejections) {
    it(`answers ${what} with ${status} ${reason}`, async () => {
      const answer = await send(session, headers, body);
      assert.deepEqual({ status: answer.status, body: answer.body }, { status, body: { reason } });
      assert.match(String(answer.apnsId), /^[0-9a-f-]{36}$/);
    });
  }

  it('counts requests, acceptances and rejections by reason', () => {
    assert.equal(standIn.counters.connections, 1);
    assert.equal(standIn.counters.accepted, standIn.counters.delivered);
    assert.equal(standIn.counters.requests, standIn.counters.accepted + Object.values(standIn.counters.rejected).reduce((a, b) => a + b, 0));
    assert.equal(standIn.counters.rejected.BadDeviceToken, 2);
    assert.equal(standIn.counters.rejected.BadPayload, 2);
  });

  it('answers scripted responses in order, then accepts again', async () => {
    standIn.script(token, { status: 410, reason: 'Unregistered', timestamp: 1_900_000_000_000 }, { status: 429, reason: 'TooManyRequests' });
    assert.deepEqual((await send(session, {})).body, { reason: 'Unregistered', timestamp: 1_900_000_000_000 });
    assert.deepEqual((await send(session, {})).body, { reason: 'TooManyRequests' });
    assert.equal((await send(session, {})).status, 200);
  });

  it('fails the share of pushes it is told to, by the random source it is given', async () => {
    const draws = [0.1, 0.9, 0.2, 0.8];
    standIn.failRandomly(0.5, { status: 503, reason: 'ServiceUnavailable' }, () => draws.shift()!);
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await send(session, {})).status);
    standIn.failRandomly(0, { status: 200 });
    assert.deepEqual(statuses, [503, 200, 503, 200]);
  });

  it('keeps one pending push per offline device, the newest, and delivers it when the device comes back', async () => {
    const seen: string[] = [];
    const stop = standIn.onPush((accepted) => seen.push(accepted.pushMagic));
    const coalescedBefore = standIn.counters.coalesced;
    standIn.setOffline(token);
    for (const magic of ['one', 'two', 'three']) assert.equal((await send(session, {}, JSON.stringify({ mdm: magic }))).status, 200);
    assert.deepEqual(seen, []);
    assert.equal(standIn.counters.coalesced - coalescedBefore, 2);
    standIn.setOnline(token);
    stop();
    assert.deepEqual(seen, ['three']);
  });

  it('advertises its MAX_CONCURRENT_STREAMS and can change it on open connections', async () => {
    const fresh = connect(standIn, ca, push);
    const first = await new Promise<number | undefined>((resolve) => fresh.once('remoteSettings', (settings) => resolve(settings.maxConcurrentStreams)));
    const changed = new Promise<number | undefined>((resolve) => fresh.once('remoteSettings', (settings) => resolve(settings.maxConcurrentStreams)));
    standIn.setMaxConcurrentStreams(1);
    assert.deepEqual([first, await changed], [7, 1]);
    fresh.close();
  });

  it('refuses a TLS client without a certificate, or with one from another CA, before any request', async () => {
    const stranger = await issuePushCertificate(await createTestCa('Not Apple'), { keyAlgorithm: 'ec' });
    for (const identity of [undefined, stranger]) {
      const before = { rejected: standIn.counters.tlsRejected, requests: standIn.counters.requests };
      const refused = connect(standIn, ca, identity);
      const outcome = await new Promise<string>((resolve) => {
        const stream = refused.request({ ':method': 'POST', ':path': `/3/device/${token}` });
        stream.on('response', () => resolve('answered'));
        stream.on('error', () => resolve('refused'));
        stream.on('close', () => resolve('refused'));
        stream.end('{"mdm":"magic"}');
      });
      refused.destroy();
      assert.equal(outcome, 'refused');
      assert.equal(standIn.counters.tlsRejected, before.rejected + 1);
      assert.equal(standIn.counters.requests, before.requests);
    }
  });

  it('answers 403 BadCertificate to a trusted certificate without a UID topic', async () => {
    const noTopic = connect(standIn, ca, await issuePushCertificate(ca, { withoutUid: true, keyAlgorithm: 'ec' }));
    const answer = await send(noTopic, {});
    noTopic.close();
    assert.deepEqual({ status: answer.status, body: answer.body }, { status: 403, body: { reason: 'BadCertificate' } });
  });
});
