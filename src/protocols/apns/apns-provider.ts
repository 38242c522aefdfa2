import { ApnsConnection, type ApnsTls, type RequestOutcome } from './apns-connection.ts';
import { fallbackReason, isPermanentApnsFailure, localReasons } from './apns-reasons.ts';
import type { PushFailed, PushResult, PushTarget, Pusher } from './push-result.ts';

/** Apple's production APNs; the sandbox is `https://api.sandbox.push.apple.com`. MDM pushes always go to production. */
export const apnsProductionUrl = 'https://api.push.apple.com';

export interface ApnsProviderOptions {
  /** The MDM push certificate (client identity) and its topic, as `parsePushCertificate` returns them. */
  certificate: { certificatePem: string; privateKeyPem: string; topic: string };
  /** Base URL; default `apnsProductionUrl`. Envelope's `ENVELOPE_APNS_URL` ends up here. */
  url?: string;
  /** Trusted roots for APNs' server certificate; Node's default roots when absent. */
  ca?: string | string[];
  /** Connections kept per certificate; more are opened only when the open ones are at their stream limit. Default 3. */
  maxConnections?: number;
  /** Deadline for one request once it is on the wire. Default 10 s. */
  requestTimeoutMs?: number;
  /** Deadline for TLS plus the server's first SETTINGS. Default 10 s. */
  connectTimeoutMs?: number;
  /** When set, `apns-expiration` = now + this many seconds: APNs keeps the push that long for an offline device. */
  expirationSeconds?: number;
  /** Clock for `apns-expiration`, in ms since the epoch. */
  now?: () => number;
}

export interface ApnsProviderStats {
  connectionsOpened: number;
  requestsSent: number;
  /** Requests sent again on another connection after theirs was refused or broke. */
  requestsResent: number;
}

interface Job {
  target: PushTarget;
  attempts: number;
  resolve: (result: PushResult) => void;
}

/** A request is resent at most this many times after a connection failure (pushes are idempotent). */
const maxResends = 1;

const hexToken = /^[0-9a-fA-F]+$/;

/**
 * Sends MDM wake-up pushes for one push certificate over HTTP/2 with TLS client-certificate auth
 * (MDM topics take no JWT): `POST /3/device/<token>` with `{"mdm":"<PushMagic>"}` and the headers
 * `apns-push-type: mdm`, `apns-topic`, `apns-priority: 10`, optionally `apns-expiration`.
 * Apple: https://developer.apple.com/documentation/usernotifications/sending-notification-requests-to-apns
 *
 * Requests are queued and spread over up to `maxConnections` sessions, each holding no more streams
 * than the server allows. A request whose connection refused it or broke before an answer is resent
 * once on another connection; after that it fails with `ConnectionError`. A request without an answer
 * within `requestTimeoutMs` fails with `Timeout` and retires its connection. Retrying later is the
 * caller's business (see `RetryingPusher`).
 */
export class ApnsProvider implements Pusher {
  readonly #url: string;
  readonly #tls: ApnsTls;
  readonly #topic: string;
  readonly #maxConnections: number;
  readonly #requestTimeoutMs: number;
  readonly #connectTimeoutMs: number;
  readonly #expirationSeconds: number | undefined;
  readonly #now: () => number;
  readonly #queue: Job[] = [];
  #connections: ApnsConnection[] = [];
  #closing = false;
  readonly stats: ApnsProviderStats = { connectionsOpened: 0, requestsSent: 0, requestsResent: 0 };

  constructor(options: ApnsProviderOptions) {
    this.#url = options.url ?? apnsProductionUrl;
    this.#tls = { certificatePem: options.certificate.certificatePem, privateKeyPem: options.certificate.privateKeyPem, ca: options.ca };
    this.#topic = options.certificate.topic;
    this.#maxConnections = options.maxConnections ?? 3;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.#expirationSeconds = options.expirationSeconds;
    this.#now = options.now ?? Date.now;
  }

  push(targets: readonly PushTarget[]): Promise<PushResult[]> {
    const results = targets.map(
      (target) =>
        new Promise<PushResult>((resolve) => {
          if (this.#closing) resolve(failure(target, 0, localReasons.connectionError, 'the provider is closed'));
          else if (!hexToken.test(target.token)) resolve(failure(target, 0, 'BadDeviceToken', 'the token is not hexadecimal; not sent'));
          else this.#queue.push({ target, attempts: 0, resolve });
        }),
    );
    this.#pump();
    return Promise.all(results);
  }

  /**
   * Fails what is still queued, lets requests in flight finish, and closes every connection. Open
   * connections keep the process alive, so call this at shutdown and when a certificate is replaced.
   */
  async close(): Promise<void> {
    this.#closing = true;
    for (const job of this.#queue.splice(0)) job.resolve(failure(job.target, 0, localReasons.connectionError, 'the provider is closed'));
    await Promise.all(this.#connections.map((connection) => connection.close()));
  }

  /** Open connections (retired ones still draining included), for metrics and tests. */
  get openConnections(): number {
    return this.#connections.length;
  }

  #pump(): void {
    while (this.#queue.length > 0) {
      const connection = this.#connections.find((candidate) => candidate.capacity > 0);
      if (connection === undefined) {
        this.#openConnectionIfUseful();
        return;
      }
      void this.#send(connection, this.#queue.shift()!);
    }
  }

  #openConnectionIfUseful(): void {
    if (this.#closing || this.#connections.some((connection) => connection.connecting)) return;
    if (this.#connections.filter((connection) => !connection.retired).length >= this.#maxConnections) return;
    this.stats.connectionsOpened++;
    const connection: ApnsConnection = new ApnsConnection(this.#url, this.#tls, {
      connectTimeoutMs: this.#connectTimeoutMs,
      onChange: () => this.#connectionChanged(connection),
    });
    this.#connections.push(connection);
  }

  #connectionChanged(connection: ApnsConnection): void {
    if (connection.closed && this.#connections.includes(connection)) {
      this.#connections = this.#connections.filter((other) => other !== connection);
      if (!connection.everReady) this.#chargeQueueForFailedConnect(connection);
    }
    // Deferred so a stream's close handler finishes before the next request starts.
    queueMicrotask(() => this.#pump());
  }

  /**
   * A connection that never became ready failed to connect. When no other connection is usable, the
   * queued requests count it as an attempt, so an unreachable APNs fails them instead of looping.
   */
  #chargeQueueForFailedConnect(connection: ApnsConnection): void {
    if (this.#connections.some((other) => other.everReady && !other.retired)) return;
    for (const job of this.#queue.splice(0)) {
      job.attempts++;
      if (job.attempts > maxResends) job.resolve(connectionFailure(job.target, connection.error ?? notReady));
      else this.#queue.push(job);
    }
  }

  async #send(connection: ApnsConnection, job: Job): Promise<void> {
    this.stats.requestsSent++;
    const outcome = await connection.request(this.#headers(job.target.token), JSON.stringify({ mdm: job.target.pushMagic }), this.#requestTimeoutMs);
    const goawayReason = connection.goawayReason;
    if ((outcome.kind === 'unsent' || outcome.kind === 'lost') && !(goawayReason !== undefined && isPermanentApnsFailure(0, goawayReason))) {
      job.attempts++;
      if (job.attempts <= maxResends && !this.#closing) {
        this.stats.requestsResent++;
        this.#queue.unshift(job);
        this.#pump();
        return;
      }
    }
    job.resolve(resultOf(job.target, outcome, goawayReason));
  }

  #headers(token: string): Record<string, string> {
    const headers: Record<string, string> = {
      ':path': `/3/device/${token}`,
      'content-type': 'application/json',
      'apns-push-type': 'mdm',
      'apns-topic': this.#topic,
      'apns-priority': '10',
    };
    if (this.#expirationSeconds !== undefined) headers['apns-expiration'] = String(Math.floor(this.#now() / 1000) + this.#expirationSeconds);
    return headers;
  }
}

function failure(target: PushTarget, status: number, reason: string, detail?: string): PushFailed {
  const result: PushFailed = { ok: false, token: target.token, status, reason, permanent: isPermanentApnsFailure(status, reason) };
  if (detail !== undefined) result.detail = detail;
  return result;
}

/**
 * A server that refuses the client certificate after the TLS handshake (Node's TLS server does; what
 * APNs does is undocumented) just closes the connection. The provider cannot tell that from a network
 * failure, so it stays a retryable ConnectionError and the detail says what it may mean.
 */
const notReady = new Error('the server closed the connection before its HTTP/2 SETTINGS arrived (a refused client certificate looks like this)');

/** No answer: the GOAWAY's reason when APNs gave one (`Shutdown`, `BadCertificate`…), else ConnectionError. */
function connectionFailure(target: PushTarget, error: Error | undefined, goawayReason?: string): PushFailed {
  return failure(target, 0, goawayReason ?? localReasons.connectionError, error?.message);
}

function resultOf(target: PushTarget, outcome: RequestOutcome, goawayReason: string | undefined): PushResult {
  if (outcome.kind === 'timeout') return failure(target, 0, localReasons.timeout, 'no answer within the request timeout');
  if (outcome.kind !== 'response') return connectionFailure(target, outcome.error, goawayReason);
  const apnsId = typeof outcome.headers['apns-id'] === 'string' ? outcome.headers['apns-id'] : undefined;
  if (outcome.status === 200) return { ok: true, token: target.token, apnsId: apnsId ?? '' };

  const body = parseErrorBody(outcome.body);
  const result = failure(target, outcome.status, body.reason ?? fallbackReason(outcome.status));
  if (apnsId !== undefined) result.apnsId = apnsId;
  if (body.timestamp !== undefined) result.timestamp = body.timestamp;
  const retryAfter = Number(outcome.headers['retry-after']);
  if (outcome.headers['retry-after'] !== undefined && Number.isFinite(retryAfter) && retryAfter >= 0) result.retryAfter = retryAfter;
  return result;
}

/** APNs' error body `{"reason": "...", "timestamp": <ms>}`; anything unreadable yields neither. */
function parseErrorBody(body: string): { reason?: string; timestamp?: number } {
  try {
    const parsed = JSON.parse(body) as { reason?: unknown; timestamp?: unknown } | null;
    return {
      ...(typeof parsed?.reason === 'string' ? { reason: parsed.reason } : {}),
      ...(typeof parsed?.timestamp === 'number' ? { timestamp: parsed.timestamp } : {}),
    };
  } catch {
    return {};
  }
}
