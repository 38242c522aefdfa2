import assert from 'node:assert/strict';
import https from 'node:https';
import { after, before, describe, it } from 'node:test';
import { FcmStandIn } from '../../sim/fcm/fcm-standin.ts';
import { FcmClient } from '../../src/protocols/fcm/fcm-client.ts';
import { fcmEndpoints } from '../../src/protocols/fcm/fcm-endpoints.ts';
import { fcmOutcomeOf } from '../../src/protocols/fcm/fcm-outcome.ts';
import { parseServiceAccount, ServiceAccountError } from '../../src/protocols/fcm/service-account.ts';

/** The FCM HTTP v1 client against the stand-in (sim/fcm), which answers as Google documents, over HTTPS on 127.0.0.1. */
describe('FCM HTTP v1 client', () => {
  let fcm: FcmStandIn;
  let agent: https.Agent;
  const projectId = 'contoso-envelope';

  before(async () => {
    fcm = await FcmStandIn.start();
    agent = new https.Agent({ keepAlive: true, ca: fcm.caCertificatePem });
  });
  after(async () => {
    agent.destroy();
    await fcm.close();
  });

  const client = (keyFile = fcm.createServiceAccount(projectId)) => new FcmClient({ account: parseServiceAccount(keyFile), endpoints: fcmEndpoints(fcm.url), agent });

  it('gets an access token with a signed service-account assertion, reuses it, and sends data messages (200 with the message name)', async () => {
    const sender = client();
    const tokens = [fcm.registrationTokenFor('phone-1'), fcm.registrationTokenFor('phone-2')];
    const outcomes = await sender.push(tokens);
    assert.deepEqual(outcomes.map((o) => o.kind), ['sent', 'sent']);
    assert.match((outcomes[0] as { name: string }).name, /^projects\/contoso-envelope\/messages\//);
    assert.equal(sender.stats.tokenRequests, 1, 'one token for both');
    const received = fcm.messages.filter((m) => m.deviceKey === 'phone-1');
    assert.deepEqual(received.at(-1)!.data, { envelope: 'checkIn' });
  });

  it('maps 404 UNREGISTERED to tokenGone, 429 RESOURCE_EXHAUSTED to retry with Retry-After, 503 to retry', async () => {
    const sender = client();
    const gone = fcm.registrationTokenFor('phone-gone');
    fcm.unregister('phone-gone');
    const throttled = fcm.registrationTokenFor('phone-throttled');
    fcm.script('phone-throttled', { status: 429, retryAfter: 30 }, { status: 503 });
    const [a, b] = await sender.push([gone, throttled]);
    assert.deepEqual(a, { kind: 'tokenGone', status: 404, reason: 'UNREGISTERED' });
    assert.deepEqual(b, { kind: 'retry', status: 429, reason: 'QUOTA_EXCEEDED', retryAfterMs: 30_000 });
    assert.deepEqual((await sender.push([throttled]))[0], { kind: 'retry', status: 503, reason: 'UNAVAILABLE' });
    assert.equal((await sender.push([throttled]))[0]!.kind, 'sent');
  });

  it('answers a 401 with one fresh token and one more send; a second 401 drops it as a sender problem', async () => {
    const sender = client();
    const token = fcm.registrationTokenFor('phone-401');
    fcm.script('phone-401', { status: 401 });
    assert.equal((await sender.push([token]))[0]!.kind, 'sent');
    assert.equal(sender.stats.tokenRequests, 2);
    fcm.script('phone-401', { status: 401 }, { status: 401 });
    assert.deepEqual((await sender.push([token]))[0], { kind: 'dropped', status: 401, reason: 'Unauthorized', senderProblem: true });
  });

  it('drops as a sender problem: a key Google does not know (invalid_grant, asked again only after a while), a token of another project (403)', async () => {
    const stranger = parseServiceAccount(fcm.createServiceAccount(projectId));
    const foreign = new FcmClient({ account: { ...stranger, clientEmail: 'nobody@contoso-envelope.iam.gserviceaccount.com' }, endpoints: fcmEndpoints(fcm.url), agent });
    const token = fcm.registrationTokenFor('phone-x');
    const outcomes = await foreign.push([token, token]);
    assert.deepEqual(outcomes[0], { kind: 'dropped', status: 400, reason: 'Token:invalid_grant', senderProblem: true });
    assert.equal(foreign.stats.tokenRequests, 1, 'refused credentials are not asked for again at once');
    const otherProject = new FcmClient({ account: { ...parseServiceAccount(fcm.createServiceAccount('fabrikam-envelope')), projectId }, endpoints: fcmEndpoints(fcm.url), agent });
    assert.deepEqual((await otherProject.push([token]))[0], { kind: 'dropped', status: 403, reason: 'PERMISSION_DENIED', senderProblem: true });
  });

  it('reads Retry-After as seconds or an HTTP date, and FCM error details', () => {
    const now = Date.parse('2026-11-30T12:00:00Z');
    const body = JSON.stringify({ error: { code: 429, status: 'RESOURCE_EXHAUSTED', details: [{ errorCode: 'QUOTA_EXCEEDED' }] } });
    assert.deepEqual(fcmOutcomeOf(429, { 'retry-after': 'Mon, 30 Nov 2026 12:01:00 GMT' }, body, now), { kind: 'retry', status: 429, reason: 'QUOTA_EXCEEDED', retryAfterMs: 60_000 });
    assert.deepEqual(fcmOutcomeOf(400, {}, JSON.stringify({ error: { code: 400, status: 'INVALID_ARGUMENT' } }), now), { kind: 'dropped', status: 400, reason: 'INVALID_ARGUMENT', senderProblem: false });
    assert.deepEqual(fcmOutcomeOf(403, {}, JSON.stringify({ error: { details: [{ errorCode: 'SENDER_ID_MISMATCH' }] } }), now), { kind: 'dropped', status: 403, reason: 'SENDER_ID_MISMATCH', senderProblem: true });
    assert.deepEqual(fcmOutcomeOf(502, {}, 'not json', now), { kind: 'retry', status: 502, reason: 'HTTP502' });
  });

  it('refuses service-account files that cannot work, naming the field', () => {
    const good = JSON.parse(fcm.createServiceAccount(projectId)) as Record<string, unknown>;
    const cases: [unknown, string][] = [
      ['not json', 'serviceAccount'],
      [{ ...good, type: 'authorized_user' }, 'serviceAccount.type'],
      [{ ...good, project_id: 'Bad_Project' }, 'serviceAccount.project_id'],
      [{ ...good, client_email: 'nope' }, 'serviceAccount.client_email'],
      [{ ...good, private_key: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n' }, 'serviceAccount.private_key'],
    ];
    for (const [file, field] of cases) {
      assert.throws(() => parseServiceAccount(typeof file === 'string' ? file : JSON.stringify(file)), (error: unknown) => error instanceof ServiceAccountError && error.field === field, field);
    }
  });
});
