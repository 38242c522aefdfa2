import { randomBytes } from 'node:crypto';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { normalizePackageSid } from '../../src/protocols/wns/package-sid.ts';
import { createTestCa, issueServerCertificate } from '../apns/apns-test-pki.ts';

/**
 * A local stand-in for the Windows Push Notification Services, for tests and for simulated PCs (a
 * PC wakes when a raw notification reaches its channel). It speaks HTTPS on 127.0.0.1 and answers as
 * Microsoft documents WNS:
 * - `POST /accesstoken.srf`: the OAuth client-credentials token request
 *   (https://learn.microsoft.com/previous-versions/windows/apps/hh465435(v=win.10), "Access token request");
 * - `POST /w/?token=…`: the channel URIs it hands out (`channelUriFor`), checking the bearer token, the
 *   `X-WNS-*` headers and the size as the "Send notification request" section and the response codes
 *   table describe, answering with `X-WNS-Status`, `X-WNS-Msg-ID` and `X-WNS-Error-Description`.
 * Answers for a channel can be scripted (410, 429 with Retry-After, 503, an expired token…).
 */

/** An app registered with the stand-in: what Partner Center would show for a Store app. */
export interface WnsStandInApp {
  /** `S-1-15-2-…`, with or without `ms-app://`. */
  packageSid: string;
  clientSecret: string;
}

/** A notification WNS accepted for a channel. */
export interface ReceivedNotification {
  deviceKey: string;
  channelUri: string;
  /** The Package SID (`ms-app://…`) of the app whose token sent it. */
  packageSid: string;
  /** `X-WNS-Type`, e.g. `wns/raw`. */
  type: string;
  contentType: string;
  /** `X-WNS-Cache-Policy`, when sent. */
  cachePolicy?: string;
  body: Buffer;
  msgId: string;
}

/** A token request as the stand-in saw it (the secret itself is not kept, only whether it matched). */
export interface ReceivedTokenRequest {
  contentType: string;
  grantType: string | null;
  clientId: string | null;
  scope: string | null;
  secretMatched: boolean;
  /** The status the stand-in answered. */
  status: number;
}

/**
 * A scripted answer to the next notification for a channel (after the request passed the checks):
 * a status with optional `Retry-After`, `X-WNS-Status` and error description; `tokenExpired` answers
 * 401 as WNS does for an expired access token; `hang` never answers; `delayMs` waits before answering;
 * `until` holds the answer until the promise settles (a test's "meanwhile", whatever the machine's load).
 */
export type WnsScriptedAnswer =
  | { status: number; retryAfter?: number | string; wnsStatus?: string; errorDescription?: string; delayMs?: number; until?: Promise<unknown> }
  | { tokenExpired: true; delayMs?: number; until?: Promise<unknown> }
  | { hang: true };

export interface WnsStandInOptions {
  apps: WnsStandInApp[];
  /** The TLS server identity; a throwaway test CA and certificate for 127.0.0.1 when absent (see `caCertificatePem`). */
  certificatePem?: string;
  privateKeyPem?: string;
  /** `expires_in` of issued tokens. Default 86400. */
  tokenLifetimeSeconds?: number;
  /** Default 0: a free port. */
  port?: number;
}

export interface WnsStandInCounters {
  tokenRequests: number;
  tokensIssued: number;
  notificationRequests: number;
  accepted: number;
  /** Accepted while the channel's PC was offline and kept for it (one raw notification per channel). */
  cached: number;
  /** Non-200 answers by status. */
  rejected: Record<number, number>;
  /** The most notification requests in progress at once. */
  maxInFlight: number;
}

interface Channel {
  deviceKey: string;
  packageSid: string;
  uri: string;
  expired: boolean;
}

interface IssuedToken {
  packageSid: string;
  expiresAt: number;
}

/** The WNS maximum notification size (413 above it). */
const maxPayloadBytes = 5000;
const notificationTypes = new Set(['wns/raw', 'wns/toast', 'wns/tile', 'wns/badge']);

export class WnsStandIn {
  readonly #server: https.Server;
  readonly #apps: Map<string, string>;
  readonly #tokenLifetimeSeconds: number;
  readonly #tokens = new Map<string, IssuedToken>();
  readonly #channelsByToken = new Map<string, Channel>();
  readonly #channelsByDevice = new Map<string, Channel>();
  readonly #scripts = new Map<string, WnsScriptedAnswer[]>();
  readonly #listeners = new Set<(notification: ReceivedNotification) => void>();
  readonly #offline = new Map<string, ReceivedNotification | undefined>();
  readonly #hanging = new Set<ServerResponse>();
  #inFlight = 0;
  readonly notifications: ReceivedNotification[] = [];
  readonly tokenRequests: ReceivedTokenRequest[] = [];
  readonly counters: WnsStandInCounters = { tokenRequests: 0, tokensIssued: 0, notificationRequests: 0, accepted: 0, cached: 0, rejected: {}, maxInFlight: 0 };
  /** `https://127.0.0.1:<port>`, once started: what ENVELOPE_WNS_URL names. */
  url = '';
  /** The root that signed the stand-in's certificate, when the stand-in made its own (trust it in clients). */
  caCertificatePem = '';

  private constructor(options: WnsStandInOptions & { certificatePem: string; privateKeyPem: string }) {
    this.#apps = new Map(options.apps.map((app) => [sidOrThrow(app.packageSid), app.clientSecret]));
    this.#tokenLifetimeSeconds = options.tokenLifetimeSeconds ?? 86_400;
    this.#server = https.createServer({ cert: options.certificatePem, key: options.privateKeyPem }, (request, response) => this.#handle(request, response));
  }

  /** Starts listening on 127.0.0.1. */
  static async start(options: WnsStandInOptions): Promise<WnsStandIn> {
    let caCertificatePem = '';
    let identity = { certificatePem: options.certificatePem, privateKeyPem: options.privateKeyPem };
    if (identity.certificatePem === undefined || identity.privateKeyPem === undefined) {
      const ca = await createTestCa('WNS stand-in root');
      const server = await issueServerCertificate(ca);
      identity = { certificatePem: server.certificatePem, privateKeyPem: server.privateKeyPem };
      caCertificatePem = ca.certificatePem;
    }
    const standIn = new WnsStandIn({ ...options, certificatePem: identity.certificatePem!, privateKeyPem: identity.privateKeyPem! });
    standIn.caCertificatePem = caCertificatePem;
    await new Promise<void>((resolve, reject) => {
      standIn.#server.once('error', reject);
      standIn.#server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
    standIn.url = `https://127.0.0.1:${(standIn.#server.address() as AddressInfo).port}`;
    return standIn;
  }

  /**
   * The channel URI of the PC `deviceKey` for the app `packageSid` (the first app by default), as
   * `CreatePushNotificationChannelForApplicationAsync` would give it: the same URI until it is renewed.
   */
  channelUriFor(deviceKey: string, packageSid?: string): string {
    const existing = this.#channelsByDevice.get(deviceKey);
    if (existing !== undefined && !existing.expired) return existing.uri;
    return this.#newChannel(deviceKey, packageSid === undefined ? [...this.#apps.keys()][0]! : sidOrThrow(packageSid)).uri;
  }

  /** The PC renews its channel (every 15 days in real life): a new URI; the old one answers 410. */
  renewChannel(deviceKey: string): string {
    const old = this.#channelsByDevice.get(deviceKey);
    if (old === undefined) return this.channelUriFor(deviceKey);
    old.expired = true;
    return this.#newChannel(deviceKey, old.packageSid).uri;
  }

  /** The channel expires (30 days without renewal): notifications to it are answered 410 from now on. */
  expireChannel(deviceKey: string): void {
    const channel = this.#channelsByDevice.get(deviceKey);
    if (channel !== undefined) channel.expired = true;
  }

  /** Answers the next notifications to `deviceKey`'s channel with `answers`, in order. */
  script(deviceKey: string, ...answers: WnsScriptedAnswer[]): void {
    this.#scripts.set(deviceKey, [...(this.#scripts.get(deviceKey) ?? []), ...answers]);
  }

  /** Every token issued so far has expired: notifications carrying one are answered 401. */
  expireTokens(): void {
    for (const token of this.#tokens.values()) token.expiresAt = 0;
  }

  /** The PC is offline: an accepted notification with `X-WNS-Cache-Policy: cache` waits (one per channel), others are dropped. */
  setOffline(deviceKey: string): void {
    if (!this.#offline.has(deviceKey)) this.#offline.set(deviceKey, undefined);
  }

  /** The PC is back: a waiting notification is delivered now. */
  setOnline(deviceKey: string): void {
    const waiting = this.#offline.get(deviceKey);
    this.#offline.delete(deviceKey);
    if (waiting !== undefined) this.#deliver(waiting);
  }

  /** Calls `listener` for every notification delivered to a PC; returns the unsubscribe function. */
  onNotification(listener: (notification: ReceivedNotification) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Device keys of the notifications received so far, sorted. */
  notifiedDeviceKeys(): string[] {
    return this.notifications.map((notification) => notification.deviceKey).sort();
  }

  async close(): Promise<void> {
    for (const response of this.#hanging) response.destroy();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #newChannel(deviceKey: string, packageSid: string): Channel {
    if (!this.#apps.has(packageSid)) throw new Error(`the stand-in knows no app ${packageSid}`);
    // Real channel tokens are base64 with '+', '/' and '=', URL-encoded in the URI.
    const token = randomBytes(48).toString('base64');
    const channel: Channel = { deviceKey, packageSid, uri: `${this.url}/w/?token=${encodeURIComponent(token)}`, expired: false };
    this.#channelsByToken.set(token, channel);
    this.#channelsByDevice.set(deviceKey, channel);
    return channel;
  }

  #handle(request: IncomingMessage, response: ServerResponse): void {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= 64 * 1024) chunks.push(chunk);
    });
    request.on('end', () => {
      const url = new URL(request.url ?? '/', this.url);
      const body = Buffer.concat(chunks);
      if (url.pathname === '/accesstoken.srf') this.#token(request, response, body);
      else if (url.pathname === '/w/') this.#notification(request, response, url, body, size);
      else this.#answer(response, 404, {}, 'Not Found');
    });
  }

  #token(request: IncomingMessage, response: ServerResponse, body: Buffer): void {
    this.counters.tokenRequests++;
    const contentType = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    const form = new URLSearchParams(body.toString('utf8'));
    const record: ReceivedTokenRequest = {
      contentType,
      grantType: form.get('grant_type'),
      clientId: form.get('client_id'),
      scope: form.get('scope'),
      secretMatched: false,
      status: 0,
    };
    const oauthError = (error: string, description: string) => {
      record.status = 400;
      this.#answer(response, 400, { 'content-type': 'application/json' }, JSON.stringify({ error, error_description: description }));
    };
    this.tokenRequests.push(record);
    const secret = record.clientId === null ? undefined : this.#apps.get(record.clientId);
    record.secretMatched = secret !== undefined && secret === form.get('client_secret');
    if (request.method !== 'POST') {
      record.status = 405;
      this.#answer(response, 405, {}, '');
    } else if (contentType !== 'application/x-www-form-urlencoded') {
      oauthError('invalid_request', 'The request body must be application/x-www-form-urlencoded.');
    } else if (record.grantType !== 'client_credentials') {
      oauthError('unsupported_grant_type', 'grant_type must be client_credentials.');
    } else if (record.scope !== 'notify.windows.com') {
      oauthError('invalid_scope', 'The scope must be notify.windows.com.');
    } else if (!record.secretMatched) {
      oauthError('invalid_client', 'Invalid client id or client secret.');
    } else {
      const token = randomBytes(32).toString('base64');
      this.#tokens.set(token, { packageSid: record.clientId!, expiresAt: Date.now() + this.#tokenLifetimeSeconds * 1000 });
      this.counters.tokensIssued++;
      record.status = 200;
      this.#answer(response, 200, { 'content-type': 'application/json', 'cache-control': 'no-store' }, JSON.stringify({ access_token: token, token_type: 'bearer', expires_in: this.#tokenLifetimeSeconds }));
    }
  }

  #notification(request: IncomingMessage, response: ServerResponse, url: URL, body: Buffer, size: number): void {
    this.counters.notificationRequests++;
    this.#inFlight++;
    this.counters.maxInFlight = Math.max(this.counters.maxInFlight, this.#inFlight);
    response.on('close', () => this.#inFlight--);
    const msgId = randomBytes(8).toString('hex').toUpperCase();
    const refuse = (status: number, description: string, extra: Record<string, string> = {}) =>
      this.#answer(response, status, { 'x-wns-msg-id': msgId, 'x-wns-status': 'dropped', 'x-wns-error-description': description, ...extra }, '');
    const channel = this.#channelsByToken.get(url.searchParams.get('token') ?? '');
    if (request.method !== 'POST') return refuse(405, 'Only POST is allowed.');
    if (channel === undefined) return refuse(404, 'The channel URI is not valid or not recognized.');
    const authorization = /^Bearer (.+)$/.exec(request.headers.authorization ?? '');
    const token = authorization === null ? undefined : this.#tokens.get(authorization[1]!);
    if (token === undefined) return refuse(401, 'Invalid token.', { 'www-authenticate': 'Bearer error="invalid_request",error_description="Invalid token"' });
    if (token.expiresAt <= Date.now()) return refuse(401, 'Token has expired.', { 'www-authenticate': 'Bearer error="invalid_request",error_description="Token has expired"' });
    if (token.packageSid !== channel.packageSid) return refuse(403, 'The token does not match the app of the channel.');
    const type = request.headers['x-wns-type'];
    if (typeof type !== 'string' || !notificationTypes.has(type)) return refuse(400, 'X-WNS-Type is missing or invalid.');
    const contentType = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type === 'wns/raw' ? contentType !== 'application/octet-stream' : contentType !== 'text/xml') return refuse(400, `Content-Type ${contentType || '(none)'} does not match ${type}.`);
    const cachePolicy = request.headers['x-wns-cache-policy'];
    if (cachePolicy !== undefined && cachePolicy !== 'cache' && cachePolicy !== 'no-cache') return refuse(400, 'X-WNS-Cache-Policy must be cache or no-cache.');
    if (request.headers['transfer-encoding'] !== undefined || request.headers['content-length'] === undefined) return refuse(400, 'Content-Length is required; chunking is not supported.');
    if (size > maxPayloadBytes) return refuse(413, 'The notification payload exceeds 5000 bytes.');
    if (channel.expired) return refuse(410, 'The channel expired.');

    const answer = this.#scripts.get(channel.deviceKey)?.shift();
    const act = () => {
      if (answer !== undefined && 'hang' in answer) {
        this.#hanging.add(response);
        return;
      }
      if (answer !== undefined && 'tokenExpired' in answer) return refuse(401, 'Token has expired.', { 'www-authenticate': 'Bearer error="invalid_request",error_description="Token has expired"' });
      if (answer !== undefined && answer.status !== 200) {
        const headers: Record<string, string> = { 'x-wns-msg-id': msgId, 'x-wns-status': answer.wnsStatus ?? 'dropped' };
        if (answer.retryAfter !== undefined) headers['retry-after'] = String(answer.retryAfter);
        if (answer.errorDescription !== undefined) headers['x-wns-error-description'] = answer.errorDescription;
        return this.#answer(response, answer.status, headers, '');
      }
      const notification: ReceivedNotification = { deviceKey: channel.deviceKey, channelUri: channel.uri, packageSid: channel.packageSid, type, contentType, body, msgId };
      if (typeof cachePolicy === 'string') notification.cachePolicy = cachePolicy;
      const offline = this.#offline.has(channel.deviceKey);
      // Raw notifications are cached for an offline PC only when asked to; one per channel, the newest.
      const status = offline && cachePolicy !== 'cache' ? 'dropped' : 'received';
      this.#answer(response, 200, { 'x-wns-msg-id': msgId, 'x-wns-status': status }, '');
      if (status === 'dropped') return;
      this.counters.accepted++;
      this.notifications.push(notification);
      if (offline) {
        this.counters.cached++;
        this.#offline.set(channel.deviceKey, notification);
      } else {
        this.#deliver(notification);
      }
    };
    const delayMs = answer !== undefined && 'delayMs' in answer ? answer.delayMs : undefined;
    const until = answer !== undefined && 'until' in answer ? answer.until : undefined;
    if (until) void until.then(act, act);
    else if (delayMs) setTimeout(act, delayMs);
    else act();
  }

  #answer(response: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
    if (status !== 200) this.counters.rejected[status] = (this.counters.rejected[status] ?? 0) + 1;
    if (response.destroyed) return;
    response.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(body)) });
    response.end(body);
  }

  #deliver(notification: ReceivedNotification): void {
    for (const listener of this.#listeners) listener(notification);
  }
}

function sidOrThrow(packageSid: string): string {
  const sid = normalizePackageSid(packageSid);
  if (sid === null) throw new Error(`'${packageSid}' is not a Package SID`);
  return sid;
}
