import http2, { type ClientHttp2Session, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';

/** TLS material of one connection: the push certificate as client identity, and optional extra trust. */
export interface ApnsTls {
  certificatePem: string;
  privateKeyPem: string;
  /** Trusted roots for the server certificate; Node's default roots when absent (real APNs). */
  ca?: string | string[];
}

/**
 * How one request ended, before any APNs meaning is attached.
 * - `response`: APNs answered with a status (and maybe a JSON body).
 * - `unsent`: the request never reached APNs' processing (refused stream, GOAWAY before it, the
 *   session already closing), so resending it elsewhere is safe.
 * - `lost`: the connection broke while the request was in flight; APNs may or may not have seen it.
 * - `timeout`: no answer within the deadline; the stream was cancelled.
 */
export type RequestOutcome =
  | { kind: 'response'; status: number; headers: IncomingHttpHeaders; body: string }
  | { kind: 'unsent' | 'lost' | 'timeout'; error: Error | undefined };

/**
 * One HTTP/2 session to APNs. It accepts requests only once the server's first SETTINGS frame has
 * arrived, and never holds more in flight than the server's current `MAX_CONCURRENT_STREAMS` (APNs
 * lowers it, even to 1, after a failed notification; a stream over the limit is refused). A GOAWAY, an
 * error or a timed-out stream retires the session: it finishes what is in flight, takes nothing new.
 * `onChange` is called whenever capacity may have changed (settings, a finished stream, close).
 */
export class ApnsConnection {
  readonly #session: ClientHttp2Session;
  readonly #onChange: () => void;
  #limit = 0;
  #inFlight = 0;
  #ready = false;
  #retired = false;
  #closed = false;
  #error: Error | undefined;
  /** The `reason` from the GOAWAY frame's debug data (APNs puts its JSON error there), if any. */
  goawayReason: string | undefined;
  /** The largest number of streams this session had in flight at once. */
  maxInFlight = 0;

  constructor(url: string, tls: ApnsTls, options: { connectTimeoutMs: number; onChange: () => void }) {
    this.#onChange = options.onChange;
    this.#session = http2.connect(url, { cert: tls.certificatePem, key: tls.privateKeyPem, ca: tls.ca });
    const connectTimer = setTimeout(() => {
      if (!this.#ready) this.#session.destroy(new Error(`no HTTP/2 SETTINGS from ${url} within ${options.connectTimeoutMs} ms`));
    }, options.connectTimeoutMs);
    this.#session.on('remoteSettings', (settings) => {
      this.#ready = true;
      clearTimeout(connectTimer);
      // No MAX_CONCURRENT_STREAMS in SETTINGS means "unlimited" (RFC 9113 §6.5.2).
      this.#limit = settings.maxConcurrentStreams ?? Number.MAX_SAFE_INTEGER;
      this.#onChange();
    });
    this.#session.on('goaway', (_code, _lastStreamId, data) => {
      this.goawayReason ??= reasonOf(data);
      this.#retire();
      this.#onChange();
    });
    this.#session.on('error', (error) => {
      this.#error ??= error;
    });
    this.#session.on('close', () => {
      clearTimeout(connectTimer);
      this.#closed = true;
      this.#retired = true;
      this.#onChange();
    });
  }

  /** How many more requests this session takes now: 0 until ready, once retired, or at the limit. */
  get capacity(): number {
    const usable = this.#ready && !this.#retired && !this.#session.closed && !this.#session.destroyed;
    return usable ? Math.max(0, this.#limit - this.#inFlight) : 0;
  }

  get connecting(): boolean {
    return !this.#ready && !this.#closed;
  }

  get retired(): boolean {
    return this.#retired;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Whether the session ever became usable; a session closed before that failed to connect. */
  get everReady(): boolean {
    return this.#ready;
  }

  /** The first session error (a TLS alert, a reset socket), if any. */
  get error(): Error | undefined {
    return this.#error;
  }

  /** Sends one POST; resolves with its outcome and never rejects. The caller checks `capacity` first. */
  request(headers: OutgoingHttpHeaders, body: string, timeoutMs: number): Promise<RequestOutcome> {
    return new Promise((resolve) => {
      let stream: http2.ClientHttp2Stream;
      try {
        stream = this.#session.request({ ':method': 'POST', ...headers });
      } catch (error) {
        this.#retired = true;
        resolve({ kind: 'unsent', error: error as Error });
        return;
      }
      this.#inFlight++;
      this.maxInFlight = Math.max(this.maxInFlight, this.#inFlight);
      let status: number | undefined;
      let responseHeaders: IncomingHttpHeaders = {};
      let timedOut = false;
      let streamError: Error | undefined;
      const chunks: Buffer[] = [];
      const timer = setTimeout(() => {
        timedOut = true;
        // A stream APNs does not answer may mean a dead connection: take nothing new on it.
        this.#retired = true;
        stream.close(http2.constants.NGHTTP2_CANCEL);
      }, timeoutMs);
      stream.on('response', (received) => {
        responseHeaders = received;
        status = Number(received[':status']);
      });
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', (error) => {
        streamError = error;
      });
      stream.on('close', () => {
        clearTimeout(timer);
        this.#inFlight--;
        if (this.#retired) queueMicrotask(() => this.#retire());
        if (timedOut) resolve({ kind: 'timeout', error: undefined });
        else if (status !== undefined) resolve({ kind: 'response', status, headers: responseHeaders, body: Buffer.concat(chunks).toString('utf8') });
        else if (stream.rstCode === http2.constants.NGHTTP2_REFUSED_STREAM) resolve({ kind: 'unsent', error: streamError });
        else {
          // The stream died without an answer: the session is breaking, even if its 'close' has not come yet.
          this.#retired = true;
          resolve({ kind: 'lost', error: this.#error ?? streamError });
        }
        this.#onChange();
      });
      stream.end(body);
    });
  }

  /** Takes no new requests; lets those in flight finish, then closes. Resolves once closed. */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    const closed = new Promise<void>((resolve) => this.#session.once('close', () => resolve()));
    this.#retire();
    return closed;
  }

  /**
   * Takes no new requests and ends the session once nothing is in flight. Destroyed rather than closed:
   * Node's graceful close can wait forever for a peer that sent GOAWAY and keeps the socket open.
   */
  #retire(): void {
    this.#retired = true;
    if (this.#inFlight === 0 && !this.#closed) this.#session.destroy();
  }

  /** Closes at once, failing what is in flight (`lost`). */
  destroy(): void {
    this.#retired = true;
    this.#session.destroy();
  }
}

function reasonOf(data: Buffer | undefined): string | undefined {
  if (data === undefined || data.length === 0) return undefined;
  try {
    const parsed: unknown = JSON.parse(data.toString('utf8'));
    const reason = (parsed as { reason?: unknown } | null)?.reason;
    return typeof reason === 'string' ? reason : undefined;
  } catch {
    return undefined;
  }
}
