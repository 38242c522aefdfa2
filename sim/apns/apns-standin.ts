import { randomUUID } from 'node:crypto';
import http2, { type IncomingHttpHeaders, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import * as x509 from '../../src/lib/x509.ts';
import { uidOid } from '../../src/protocols/apns/push-certificate.ts';
import { isUuid, validateApnsRequest, type Rejection } from './validate-apns-request.ts';

/**
 * A local stand-in for APNs' provider API, for tests and for the device simulators (a simulated device
 * wakes when its push arrives). It speaks HTTP/2 over TLS on 127.0.0.1, demands a client certificate
 * signed by the CA it is given (as APNs demands one signed by Apple), validates requests as Apple
 * documents them and answers in Apple's shapes.
 * Apple: https://developer.apple.com/documentation/usernotifications/sending-notification-requests-to-apns
 * and https://developer.apple.com/documentation/usernotifications/handling-notification-responses-from-apns
 */

/** A push APNs accepted for delivery. `token` is lower-case hex; `topic` is the client certificate's UID. */
export interface AcceptedPush {
  token: string;
  pushMagic: string;
  topic: string;
  apnsId: string;
  /** The request's `apns-push-type`, `apns-priority` and `apns-expiration` headers, when sent. */
  pushType?: string;
  priority?: number;
  expiration?: number;
}

/**
 * A scripted answer for one request to a token. `{status: 200}` accepts; another status answers
 * `{"reason", "timestamp"?}` with an optional `retry-after` header; `hang` never answers;
 * `destroyConnection` resets the TCP connection with the request in flight; `goaway` sends GOAWAY with
 * `{"reason"}` as debug data and leaves the request unanswered. `delayMs` waits before acting.
 */
export type ScriptedResponse =
  | { status: 200; delayMs?: number }
  | { status: number; reason: string; timestamp?: number; retryAfter?: number; delayMs?: number }
  | { action: 'hang' | 'destroyConnection'; delayMs?: number }
  | { action: 'goaway'; reason: string; delayMs?: number };

export interface ApnsStandInOptions {
  /** The stand-in's TLS server identity (PEM). */
  certificatePem: string;
  privateKeyPem: string;
  /** Roots that client (push) certificates must chain to. */
  clientCa: string | string[];
  /** MAX_CONCURRENT_STREAMS advertised on each new connection; APNs starts at 500 (default). */
  maxConcurrentStreams?: number;
  /** Like APNs after a failed notification: lower a connection's MAX_CONCURRENT_STREAMS to this after any non-200 answer. */
  streamsAfterFailure?: number;
  /** Default 0; port 0 picks a free one. */
  port?: number;
}

export interface ApnsStandInCounters {
  /** TLS connections that completed the handshake (client certificate accepted). */
  connections: number;
  /** Handshakes refused, e.g. for a client certificate the CA did not sign. */
  tlsRejected: number;
  requests: number;
  accepted: number;
  /** Accepted pushes handed to listeners (at once, or when the offline device came back). */
  delivered: number;
  /** Accepted pushes that replaced a pending one for an offline device. */
  coalesced: number;
  /** Non-200 answers by reason. */
  rejected: Record<string, number>;
  /** The most streams any one connection had open at once. */
  maxInFlightPerConnection: number;
}


export class ApnsStandIn {
  readonly #server: http2.Http2SecureServer;
  readonly #sessions = new Set<ServerHttp2Session>();
  readonly #topics = new WeakMap<ServerHttp2Session, string | undefined>();
  readonly #inFlight = new WeakMap<ServerHttp2Session, number>();
  readonly #scripts = new Map<string, ScriptedResponse[]>();
  readonly #listeners = new Set<(push: AcceptedPush) => void>();
  readonly #offline = new Map<string, AcceptedPush | undefined>();
  readonly #streamsAfterFailure: number | undefined;
  readonly #initialMaxConcurrentStreams: number;
  #maxConcurrentStreams: number;
  #failures: { rate: number; response: ScriptedResponse; random: () => number } | undefined;
  readonly counters: ApnsStandInCounters = { connections: 0, tlsRejected: 0, requests: 0, accepted: 0, delivered: 0, coalesced: 0, rejected: {}, maxInFlightPerConnection: 0 };
  /** `https://127.0.0.1:<port>`, once started. */
  url = '';

  private constructor(options: ApnsStandInOptions) {
    this.#initialMaxConcurrentStreams = options.maxConcurrentStreams ?? 500;
    this.#maxConcurrentStreams = this.#initialMaxConcurrentStreams;
    this.#streamsAfterFailure = options.streamsAfterFailure;
    this.#server = http2.createSecureServer({
      cert: options.certificatePem,
      key: options.privateKeyPem,
      ca: options.clientCa,
      requestCert: true,
      rejectUnauthorized: true,
      settings: { maxConcurrentStreams: this.#initialMaxConcurrentStreams },
    });
    this.#server.on('secureConnection', () => this.counters.connections++);
    this.#server.on('tlsClientError', () => this.counters.tlsRejected++);
    this.#server.on('session', (session) => this.#openSession(session));
    this.#server.on('stream', (stream, headers) => this.#handle(stream, headers));
  }

  /** Starts listening on 127.0.0.1. */
  static async start(options: ApnsStandInOptions): Promise<ApnsStandIn> {
    const standIn = new ApnsStandIn(options);
    await new Promise<void>((resolve, reject) => {
      standIn.#server.once('error', reject);
      standIn.#server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
    standIn.url = `https://127.0.0.1:${(standIn.#server.address() as AddressInfo).port}`;
    return standIn;
  }

  /** Answers the next requests for `token` with `responses`, in order; afterwards the default applies again. */
  script(token: string, ...responses: ScriptedResponse[]): void {
    this.#scripts.set(token.toLowerCase(), [...(this.#scripts.get(token.toLowerCase()) ?? []), ...responses]);
  }

  /** Answers each unscripted request with `response` with probability `rate` (per `random`, default Math.random). */
  failRandomly(rate: number, response: ScriptedResponse, random: () => number = Math.random): void {
    this.#failures = { rate, response, random };
  }

  /** Calls `listener` for every push handed to a device; returns the unsubscribe function. */
  onPush(listener: (push: AcceptedPush) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** From now on, accepted pushes for `token` wait, and a newer one replaces a waiting one (APNs keeps one per device). */
  setOffline(token: string): void {
    if (!this.#offline.has(token.toLowerCase())) this.#offline.set(token.toLowerCase(), undefined);
  }

  /** The device is reachable again: the waiting push, if any, is delivered now. */
  setOnline(token: string): void {
    const pending = this.#offline.get(token.toLowerCase());
    this.#offline.delete(token.toLowerCase());
    if (pending !== undefined) this.#deliver(pending);
  }

  /** Changes MAX_CONCURRENT_STREAMS on every open connection (a SETTINGS frame) and for new ones. */
  setMaxConcurrentStreams(value: number): void {
    this.#maxConcurrentStreams = value;
    for (const session of this.#sessions) session.settings({ maxConcurrentStreams: value });
  }

  /** Resets every open connection, as a network failure would. */
  destroyConnections(): void {
    for (const session of this.#sessions) session.destroy();
  }

  get openConnections(): number {
    return this.#sessions.size;
  }

  async close(): Promise<void> {
    this.destroyConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #openSession(session: ServerHttp2Session): void {
    this.#sessions.add(session);
    this.#inFlight.set(session, 0);
    session.on('close', () => this.#sessions.delete(session));
    session.on('error', () => {});
    if (this.#maxConcurrentStreams !== this.#initialMaxConcurrentStreams) session.settings({ maxConcurrentStreams: this.#maxConcurrentStreams });
    const peer = (session.socket as TLSSocket).getPeerCertificate();
    let topic: string | undefined;
    try {
      topic = new x509.X509Certificate(peer.raw).subjectName.getField(uidOid)[0];
    } catch {
      topic = undefined;
    }
    this.#topics.set(session, topic);
  }

  #handle(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
    const session = stream.session as ServerHttp2Session;
    this.counters.requests++;
    const inFlight = (this.#inFlight.get(session) ?? 0) + 1;
    this.#inFlight.set(session, inFlight);
    this.counters.maxInFlightPerConnection = Math.max(this.counters.maxInFlightPerConnection, inFlight);
    stream.on('close', () => this.#inFlight.set(session, (this.#inFlight.get(session) ?? 1) - 1));
    stream.on('error', () => {});
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => this.#answer(stream, session, headers, Buffer.concat(chunks)));
  }

  #answer(stream: ServerHttp2Stream, session: ServerHttp2Session, headers: IncomingHttpHeaders, body: Buffer): void {
    const requestedId = headers['apns-id'];
    const apnsId = typeof requestedId === 'string' && isUuid(requestedId) ? requestedId : randomUUID();
    const topic = this.#topics.get(session);
    const checked = validateApnsRequest(headers, body, topic);
    if ('status' in checked) {
      this.#reject(stream, session, apnsId, checked);
      return;
    }
    const response = this.#scripts.get(checked.token)?.shift() ?? this.#randomFailure() ?? { status: 200 };
    const act = () => {
      if (stream.destroyed) return;
      if ('action' in response) {
        if (response.action === 'destroyConnection') session.destroy();
        if (response.action === 'goaway') {
          // Like APNs shutting a connection down: GOAWAY naming no processed stream, this one refused, then close.
          session.goaway(http2.constants.NGHTTP2_NO_ERROR, 0, Buffer.from(JSON.stringify({ reason: response.reason })));
          stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
          session.close();
        }
        return;
      }
      if (response.status !== 200) {
        this.#reject(stream, session, apnsId, response as Rejection);
        return;
      }
      this.counters.accepted++;
      stream.respond({ ':status': 200, 'apns-id': apnsId });
      stream.end();
      const push: AcceptedPush = { token: checked.token, pushMagic: checked.pushMagic, topic: topic!, apnsId };
      if (typeof headers['apns-push-type'] === 'string') push.pushType = headers['apns-push-type'];
      if (headers['apns-priority'] !== undefined) push.priority = Number(headers['apns-priority']);
      if (headers['apns-expiration'] !== undefined) push.expiration = Number(headers['apns-expiration']);
      this.#accept(push);
    };
    if (response.delayMs) setTimeout(act, response.delayMs);
    else act();
  }

  #randomFailure(): ScriptedResponse | undefined {
    return this.#failures !== undefined && this.#failures.random() < this.#failures.rate ? this.#failures.response : undefined;
  }

  #reject(stream: ServerHttp2Stream, session: ServerHttp2Session, apnsId: string, rejection: Rejection): void {
    this.counters.rejected[rejection.reason] = (this.counters.rejected[rejection.reason] ?? 0) + 1;
    const responseHeaders: Record<string, string | number> = { ':status': rejection.status, 'apns-id': apnsId, 'content-type': 'application/json' };
    if (rejection.retryAfter !== undefined) responseHeaders['retry-after'] = rejection.retryAfter;
    stream.respond(responseHeaders);
    stream.end(JSON.stringify(rejection.timestamp === undefined ? { reason: rejection.reason } : { reason: rejection.reason, timestamp: rejection.timestamp }));
    if (this.#streamsAfterFailure !== undefined) session.settings({ maxConcurrentStreams: this.#streamsAfterFailure });
  }

  #accept(push: AcceptedPush): void {
    if (this.#offline.has(push.token)) {
      if (this.#offline.get(push.token) !== undefined) this.counters.coalesced++;
      this.#offline.set(push.token, push);
      return;
    }
    this.#deliver(push);
  }

  #deliver(push: AcceptedPush): void {
    this.counters.delivered++;
    for (const listener of this.#listeners) listener(push);
  }
}
