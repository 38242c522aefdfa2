import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { accessTokenRequestBody, parseAccessTokenAnswer, tokenUsableForMs } from './wns-access-token.ts';
import { retryAfterMs, wnsOutcomeOf } from './wns-outcome.ts';

const now = Date.parse('2026-05-01T12:00:00Z');

describe('wnsOutcomeOf', () => {
  it('counts 200 as sent, keeping the message id', () => {
    assert.deepEqual(wnsOutcomeOf(200, { 'x-wns-status': 'received', 'x-wns-msg-id': '1A2B3C4D5E6F7A8B' }, now), { kind: 'sent', status: 200, wnsStatus: 'received', msgId: '1A2B3C4D5E6F7A8B' });
  });

  it('treats 404 and 410 as a gone channel', () => {
    assert.equal(wnsOutcomeOf(410, {}, now).kind, 'channelGone');
    assert.deepEqual(wnsOutcomeOf(404, { 'x-wns-error-description': 'unknown channel' }, now), { kind: 'channelGone', status: 404, reason: 'ChannelNotFound', errorDescription: 'unknown channel' });
  });

  it('retries throttling and WNS failures, honouring Retry-After in seconds or as a date', () => {
    assert.deepEqual(wnsOutcomeOf(429, { 'retry-after': '7' }, now), { kind: 'retry', status: 429, reason: 'TooManyRequests', retryAfterMs: 7000 });
    assert.deepEqual(wnsOutcomeOf(503, { 'retry-after': 'Fri, 01 May 2026 12:00:30 GMT' }, now), { kind: 'retry', status: 503, reason: 'ServiceUnavailable', retryAfterMs: 30_000 });
    assert.deepEqual(wnsOutcomeOf(406, {}, now), { kind: 'retry', status: 406, reason: 'NotAcceptable' });
    assert.deepEqual(wnsOutcomeOf(500, { 'retry-after': 'soon' }, now), { kind: 'retry', status: 500, reason: 'InternalServerError' });
    assert.deepEqual(wnsOutcomeOf(502, {}, now), { kind: 'retry', status: 502, reason: 'HTTP502' });
    assert.deepEqual(wnsOutcomeOf(200, { 'x-wns-status': 'channelthrottled', 'x-wns-continue-after': '60' }, now), { kind: 'retry', status: 200, reason: 'ChannelThrottled', wnsStatus: 'channelthrottled', retryAfterMs: 60_000 });
  });

  it('drops credential and request problems as sender problems, and a notification WNS dropped as the device\'s', () => {
    for (const [status, reason] of [[400, 'BadRequest'], [401, 'Unauthorized'], [403, 'Forbidden'], [405, 'MethodNotAllowed'], [413, 'PayloadTooLarge']] as const) {
      assert.deepEqual(wnsOutcomeOf(status, {}, now), { kind: 'dropped', status, reason, senderProblem: true });
    }
    assert.deepEqual(wnsOutcomeOf(200, { 'x-wns-status': 'dropped' }, now), { kind: 'dropped', status: 200, reason: 'Dropped', senderProblem: false, wnsStatus: 'dropped' });
    assert.deepEqual(wnsOutcomeOf(418, {}, now), { kind: 'dropped', status: 418, reason: 'HTTP418', senderProblem: false });
  });

  it('cuts long diagnostic headers', () => {
    const outcome = wnsOutcomeOf(400, { 'x-wns-error-description': 'x'.repeat(1000) }, now);
    assert.equal(outcome.errorDescription?.length, 256);
  });
});

describe('retryAfterMs', () => {
  it('reads delay-seconds and HTTP dates, never negative, undefined otherwise', () => {
    assert.equal(retryAfterMs('0', now), 0);
    assert.equal(retryAfterMs(' 120 ', now), 120_000);
    assert.equal(retryAfterMs('Fri, 01 May 2026 11:00:00 GMT', now), 0);
    assert.equal(retryAfterMs('-5', now), undefined);
    assert.equal(retryAfterMs(undefined, now), undefined);
  });
});

describe('the WNS access token', () => {
  it('is requested form-encoded with client_credentials, the ms-app:// Package SID, the secret and scope notify.windows.com', () => {
    const body = accessTokenRequestBody({ packageSid: 'ms-app://S-1-15-2-1-2-3', clientSecret: 'Vex8L9+/&=x' });
    assert.equal(body, 'grant_type=client_credentials&client_id=ms-app%3A%2F%2FS-1-15-2-1-2-3&client_secret=Vex8L9%2B%2F%26%3Dx&scope=notify.windows.com');
  });

  it('is read from a 200 answer, with 86400 s when expires_in is missing', () => {
    assert.deepEqual(parseAccessTokenAnswer(200, '{"access_token":"EgAc=","token_type":"bearer","expires_in":3600}'), { ok: true, accessToken: 'EgAc=', expiresInSeconds: 3600 });
    assert.deepEqual(parseAccessTokenAnswer(200, '{"access_token":"EgAc=","token_type":"bearer"}'), { ok: true, accessToken: 'EgAc=', expiresInSeconds: 86_400 });
  });

  it('reports OAuth errors: credential errors are final, 5xx and unreadable answers retryable', () => {
    assert.deepEqual(parseAccessTokenAnswer(400, '{"error":"invalid_client","error_description":"Invalid client id"}'), { ok: false, status: 400, error: 'invalid_client', description: 'Invalid client id', retryable: false });
    assert.deepEqual(parseAccessTokenAnswer(503, 'busy'), { ok: false, status: 503, error: 'HTTP503', retryable: true });
    assert.equal(parseAccessTokenAnswer(200, '<html>').ok, false);
    assert.equal(parseAccessTokenAnswer(200, '{"access_token":"x","token_type":"mac"}').ok, false);
  });

  it('is used until five minutes before it expires, or half its life when that is short', () => {
    assert.equal(tokenUsableForMs(86_400, 300_000), 86_100_000);
    assert.equal(tokenUsableForMs(400, 300_000), 200_000);
  });
});
