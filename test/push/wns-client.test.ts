import assert from 'node:assert/strict';
import https from 'node:https';
import { after, before, beforeEach, describe, it } from 'node:test';
import { WnsStandIn } from '../../sim/wns/wns-standin.ts';
import { WnsClient, type WnsClientOptions } from '../../src/protocols/wns/wns-client.ts';
import { wnsEndpoints } from '../../src/protocols/wns/wns-endpoints.ts';

const sid = 'ms-app://S-1-15-2-2972962901-2322836549-3722629029-1345238579-3987825745-2155616079-650196962';
const secret = 'Vex8L9WOFZuj95euaLrvSH7XyoDhLJc7+/=&';

/**
 * The WNS client against the HTTPS stand-in: the token request's shape and caching, the raw
 * notification's headers, outcomes of scripted answers, the SSRF rule, bounded concurrency and
 * deadlines. No database is involved.
 */
describe('the WNS client', () => {
  let standIn: WnsStandIn;
  let agent: https.Agent;
  let clock: number;
  const client = (options: Partial<WnsClientOptions> = {}) =>
    new WnsClient({ credentials: { packageSid: sid, clientSecret: secret }, endpoints: wnsEndpoints(standIn.url), agent, now: () => clock, ...options });

  before(async () => {
    standIn = await WnsStandIn.start({ apps: [{ packageSid: sid, clientSecret: secret }], tokenLifetimeSeconds: 3600 });
    agent = new https.Agent({ keepAlive: true, ca: standIn.caCertificatePem });
  });
  after(async () => {
    agent.destroy();
    await standIn.close();
  });
  beforeEach(() => {
    clock = Date.now();
    standIn.notifications.length = 0;
    standIn.tokenRequests.length = 0;
  });

  it('asks for a token form-encoded with client_credentials, the ms-app:// SID, the secret and scope notify.windows.com, once for many pushes', async () => {
    const wns = client();
    const uris = ['pc-1', 'pc-2', 'pc-3'].map((key) => standIn.channelUriFor(key));
    assert.deepEqual((await wns.push(uris)).map((outcome) => outcome.kind), ['sent', 'sent', 'sent']);
    assert.deepEqual((await wns.push([uris[0]!])).map((outcome) => outcome.kind), ['sent']);
    assert.deepEqual(standIn.tokenRequests, [{ contentType: 'application/x-www-form-urlencoded', grantType: 'client_credentials', clientId: sid, scope: 'notify.windows.com', secretMatched: true, status: 200 }]);
    assert.equal(wns.stats.tokenRequests, 1);
  });

  it('sends a small raw notification, cached for an offline PC, with the WNS message id in the outcome', async () => {
    const [outcome] = await client().push([standIn.channelUriFor('pc-1')]);
    assert.equal(outcome?.kind, 'sent');
    assert.match(outcome!.msgId ?? '', /^[0-9A-F]{16}$/);
    const [notification] = standIn.notifications;
    assert.equal(notification?.deviceKey, 'pc-1');
    assert.equal(notification?.type, 'wns/raw');
    assert.equal(notification?.contentType, 'application/octet-stream');
    assert.equal(notification?.cachePolicy, 'cache');
    assert.equal(notification?.packageSid, sid);
    assert.ok(notification!.body.length > 0 && notification!.body.length < 64);
  });

  it('shares one token request among concurrent pushes, and renews the token shortly before it expires', async () => {
    const wns = client();
    await Promise.all([wns.push([standIn.channelUriFor('pc-1')]), wns.push([standIn.channelUriFor('pc-2')]), wns.push([standIn.channelUriFor('pc-3')])]);
    assert.equal(standIn.tokenRequests.length, 1);
    clock += (3600 - 301) * 1000;
    await wns.push([standIn.channelUriFor('pc-1')]);
    assert.equal(standIn.tokenRequests.length, 1, 'still valid for more than five minutes');
    clock += 2000;
    await wns.push([standIn.channelUriFor('pc-1')]);
    assert.equal(standIn.tokenRequests.length, 2, 'renewed within five minutes of expiry');
  });

  it('fetches a new token once when WNS says the token expired, and sends the notification again', async () => {
    const wns = client();
    await wns.push([standIn.channelUriFor('pc-1')]);
    standIn.expireTokens();
    standIn.notifications.length = 0;
    const outcomes = await wns.push([standIn.channelUriFor('pc-1'), standIn.channelUriFor('pc-2')]);
    assert.deepEqual(outcomes.map((outcome) => outcome.kind), ['sent', 'sent']);
    assert.equal(standIn.tokenRequests.length, 2, 'one refresh for both 401s');
    assert.deepEqual(standIn.notifiedDeviceKeys(), ['pc-1', 'pc-2']);
  });

  it('drops a notification whose fresh token is refused too, without asking again', async () => {
    const wns = client();
    standIn.script('pc-9', { tokenExpired: true }, { tokenExpired: true });
    const [outcome] = await wns.push([standIn.channelUriFor('pc-9')]);
    assert.equal(outcome?.kind, 'dropped');
    assert.equal(outcome?.status, 401);
    assert.deepEqual(outcome?.kind === 'dropped' && [outcome.reason, outcome.senderProblem], ['Unauthorized', true]);
    assert.equal(standIn.tokenRequests.length, 2);
  });

  it('maps 410 to a gone channel, 429 and 503 to retries with Retry-After, and a token of another app to a sender problem', async () => {
    const other = 'ms-app://S-1-15-2-1-2-3-4-5-6-7';
    const standInWithTwoApps = await WnsStandIn.start({ apps: [{ packageSid: sid, clientSecret: secret }, { packageSid: other, clientSecret: 'other' }] });
    const twoAppsAgent = new https.Agent({ ca: standInWithTwoApps.caCertificatePem });
    try {
      standInWithTwoApps.script('gone', { status: 410 });
      standInWithTwoApps.script('busy', { status: 429, retryAfter: 3 });
      standInWithTwoApps.script('down', { status: 503, retryAfter: 'Fri, 01 May 2099 12:00:30 GMT' });
      const wns = new WnsClient({ credentials: { packageSid: sid, clientSecret: secret }, endpoints: wnsEndpoints(standInWithTwoApps.url), agent: twoAppsAgent });
      const outcomes = await wns.push(['gone', 'busy', 'down'].map((key) => standInWithTwoApps.channelUriFor(key)).concat(standInWithTwoApps.channelUriFor('other-app-pc', other)));
      assert.deepEqual(outcomes.map((outcome) => [outcome.kind, outcome.status, 'reason' in outcome ? outcome.reason : '']), [
        ['channelGone', 410, 'ChannelExpired'],
        ['retry', 429, 'TooManyRequests'],
        ['retry', 503, 'ServiceUnavailable'],
        ['dropped', 403, 'Forbidden'],
      ]);
      assert.equal(outcomes[1]?.kind === 'retry' && outcomes[1].retryAfterMs, 3000);
      assert.ok(outcomes[2]?.kind === 'retry' && outcomes[2].retryAfterMs! > 365 * 24 * 3600_000);
      assert.equal(outcomes[3]?.kind === 'dropped' && outcomes[3].senderProblem, true);
      assert.equal(outcomes[0]?.kind === 'channelGone' && outcomes[0].errorDescription, undefined);
    } finally {
      twoAppsAgent.destroy();
      await standInWithTwoApps.close();
    }
  });

  it('refuses a channel URI off the WNS hosts without any request, not even for a token', async () => {
    const wns = client();
    const requestsBefore = standIn.counters.notificationRequests;
    const outcomes = await wns.push(['https://db5p.notify.windows.com/?token=x', 'https://169.254.169.254/latest/meta-data', `${standIn.url.replace('127.0.0.1', 'localhost')}/w/?token=x`]);
    assert.deepEqual(outcomes.map((outcome) => outcome.kind === 'dropped' && outcome.reason), ['ChannelUriRefused', 'ChannelUriRefused', 'ChannelUriRefused']);
    assert.equal(standIn.counters.notificationRequests, requestsBefore);
    assert.equal(standIn.tokenRequests.length, 0);
    assert.deepEqual(wnsEndpoints(null).isAllowedChannelUri(standIn.channelUriFor('pc-1')), false, "without ENVELOPE_WNS_URL the stand-in's URIs are refused too");
  });

  it('drops every push when the secret is refused, and does not ask again for a while', async () => {
    const wns = client({ credentials: { packageSid: sid, clientSecret: 'wrong' }, refusedTokenRetryMs: 60_000 });
    const outcomes = await wns.push([standIn.channelUriFor('pc-1'), standIn.channelUriFor('pc-2')]);
    assert.deepEqual(outcomes.map((outcome) => outcome.kind === 'dropped' && [outcome.reason, outcome.senderProblem, outcome.errorDescription]), [
      ['Token:invalid_client', true, 'Invalid client id or client secret.'],
      ['Token:invalid_client', true, 'Invalid client id or client secret.'],
    ]);
    await wns.push([standIn.channelUriFor('pc-1')]);
    assert.deepEqual(standIn.tokenRequests.map((request) => [request.secretMatched, request.status]), [[false, 400]]);
    clock += 61_000;
    await wns.push([standIn.channelUriFor('pc-1')]);
    assert.equal(standIn.tokenRequests.length, 2, 'asks again once the pause is over');
    assert.equal(standIn.notifications.length, 0);
  });

  it('keeps at most `concurrency` notifications in flight and gives up on one that gets no answer in time', async () => {
    const keys = Array.from({ length: 12 }, (_, index) => `slow-${index}`);
    for (const key of keys) standIn.script(key, { status: 200, delayMs: 40 });
    standIn.script('silent', { hang: true });
    standIn.counters.maxInFlight = 0;
    const wns = client({ concurrency: 3, requestTimeoutMs: 400 });
    const outcomes = await wns.push([...keys, 'silent'].map((key) => standIn.channelUriFor(key)));
    assert.deepEqual(outcomes.slice(0, 12).map((outcome) => outcome.kind), Array(12).fill('sent'));
    assert.deepEqual(outcomes[12], { kind: 'retry', status: 0, reason: 'Timeout' });
    assert.ok(standIn.counters.maxInFlight <= 3, `at most 3 at once, saw ${standIn.counters.maxInFlight}`);
    assert.ok(standIn.counters.maxInFlight >= 2);
  });
});
