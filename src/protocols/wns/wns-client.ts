import type https from 'node:https';
import { httpsPost, HttpsTimeoutError } from './https-post.ts';
import { accessTokenRequestBody, parseAccessTokenAnswer, tokenUsableForMs, type WnsCredentials } from './wns-access-token.ts';
import type { WnsEndpoints } from './wns-endpoints.ts';
import { localWnsReasons, wnsOutcomeOf, type WnsPushOutcome } from './wns-outcome.ts';

export interface WnsClientOptions {
  credentials: WnsCredentials;
  endpoints: WnsEndpoints;
  /** Keep-alive agent with the trusted roots; shared by the clients of all tenants, owned by the caller. */
  agent: https.Agent;
  /** Notifications in flight at once per `push` call. Default 16. */
  concurrency?: number;
  /** Deadline of one token request or notification, answer included. Default 10 s. */
  requestTimeoutMs?: number;
  /** A token is replaced this long before WNS says it expires. Default 5 min. */
  tokenRefreshMarginMs?: number;
  /**
   * After WNS refused the credentials (`invalid_client`…), no new token request before this long: a
   * wrong secret must not cost a request to login.live.com for every wake. Default 5 min. A changed
   * secret makes a new client, which asks at once.
   */
  refusedTokenRetryMs?: number;
  now?: () => number;
}

export interface WnsClientStats {
  tokenRequests: number;
  notifications: number;
}

/**
 * The raw notification body. MDM push carries no payload the PC reads (push-notification-windows-mdm:
 * "raw push notifications do not support or utilize push notification payloads"); a few bytes keep
 * the request an ordinary one.
 */
const rawBody = Buffer.from('envelope', 'utf8');

/**
 * Sends WNS raw notifications for one app identity (one tenant's Package SID and secret) to the
 * channel URIs of enrolled PCs, which then open an OMA-DM session (Alert 1200).
 * Microsoft: https://learn.microsoft.com/windows/client-management/mdm/push-notification-windows-mdm
 * and https://learn.microsoft.com/previous-versions/windows/apps/hh465435(v=win.10)
 *
 * - The access token (OAuth client credentials, scope `notify.windows.com`) is fetched on first use,
 *   shared by concurrent pushes (one request at a time), and reused until `tokenRefreshMarginMs`
 *   before `expires_in`.
 * - A notification answered 401 gets one new token and is sent once more ("do not try to re-send
 *   your notification more than once if the access token is rejected"); a second 401 drops it.
 * - A channel URI off WNS's hosts is refused without any request (`WnsEndpoints`).
 * - Every request has a deadline; at most `concurrency` notifications are in flight.
 * Nothing here logs; the secret and the token never leave the requests they belong to.
 */
export class WnsClient {
  readonly #credentials: WnsCredentials;
  readonly #endpoints: WnsEndpoints;
  readonly #agent: https.Agent;
  readonly #concurrency: number;
  readonly #timeoutMs: number;
  readonly #refreshMarginMs: number;
  readonly #refusedRetryMs: number;
  readonly #now: () => number;
  #token: { value: string; usableUntil: number } | null = null;
  #tokenRequest: Promise<string | WnsPushOutcome> | null = null;
  #refused: { outcome: WnsPushOutcome; until: number } | null = null;
  readonly stats: WnsClientStats = { tokenRequests: 0, notifications: 0 };

  constructor(options: WnsClientOptions) {
    this.#credentials = options.credentials;
    this.#endpoints = options.endpoints;
    this.#agent = options.agent;
    this.#concurrency = Math.max(1, options.concurrency ?? 16);
    this.#timeoutMs = options.requestTimeoutMs ?? 10_000;
    this.#refreshMarginMs = options.tokenRefreshMarginMs ?? 300_000;
    this.#refusedRetryMs = options.refusedTokenRetryMs ?? 300_000;
    this.#now = options.now ?? Date.now;
  }

  /** One outcome per channel URI, in order. Never rejects: transport failures are `retry` outcomes. */
  push(channelUris: readonly string[]): Promise<WnsPushOutcome[]> {
    return mapBounded(channelUris, this.#concurrency, (uri) => this.#pushOne(uri));
  }

  async #pushOne(channelUri: string): Promise<WnsPushOutcome> {
    if (!this.#endpoints.isAllowedChannelUri(channelUri)) {
      return { kind: 'dropped', status: 0, reason: localWnsReasons.channelUriRefused, senderProblem: false };
    }
    const token = await this.#accessToken(null);
    if (typeof token !== 'string') return token;
    const outcome = await this.#notify(channelUri, token);
    if (outcome.status !== 401) return outcome;
    const fresh = await this.#accessToken(token);
    return typeof fresh === 'string' ? this.#notify(channelUri, fresh) : fresh;
  }

  /**
   * A usable token, or the outcome every push gets when none can be had. `rejected` is a token WNS
   * just answered 401 to: it is replaced, unless another push already replaced it.
   */
  #accessToken(rejected: string | null): Promise<string | WnsPushOutcome> {
    const now = this.#now();
    if (this.#refused !== null && now < this.#refused.until) return Promise.resolve(this.#refused.outcome);
    const token = this.#token;
    if (token !== null && token.value !== rejected && now < token.usableUntil) return Promise.resolve(token.value);
    if (token !== null && token.value === rejected) this.#token = null;
    this.#tokenRequest ??= this.#requestToken().finally(() => {
      this.#tokenRequest = null;
    });
    return this.#tokenRequest;
  }

  async #requestToken(): Promise<string | WnsPushOutcome> {
    this.stats.tokenRequests++;
    let answer;
    try {
      const reply = await httpsPost(this.#endpoints.tokenUrl, { 'content-type': 'application/x-www-form-urlencoded' }, accessTokenRequestBody(this.#credentials), {
        agent: this.#agent,
        timeoutMs: this.#timeoutMs,
      });
      answer = parseAccessTokenAnswer(reply.status, reply.body);
    } catch (error) {
      return { kind: 'retry', status: 0, reason: `Token${error instanceof HttpsTimeoutError ? localWnsReasons.timeout : localWnsReasons.connectionError}` };
    }
    if (answer.ok) {
      this.#refused = null;
      this.#token = { value: answer.accessToken, usableUntil: this.#now() + tokenUsableForMs(answer.expiresInSeconds, this.#refreshMarginMs) };
      return answer.accessToken;
    }
    const reason = `Token:${answer.error}`;
    const details = answer.description === undefined ? {} : { errorDescription: answer.description };
    if (answer.retryable) return { kind: 'retry', status: answer.status, reason, ...details };
    const outcome: WnsPushOutcome = { kind: 'dropped', status: answer.status, reason, senderProblem: true, ...details };
    this.#refused = { outcome, until: this.#now() + this.#refusedRetryMs };
    return outcome;
  }

  async #notify(channelUri: string, token: string): Promise<WnsPushOutcome> {
    this.stats.notifications++;
    try {
      const reply = await httpsPost(
        channelUri,
        {
          authorization: `Bearer ${token}`,
          'content-type': 'application/octet-stream',
          'x-wns-type': 'wns/raw',
          // Kept while the PC is offline (one raw notification per channel) and delivered when it is back.
          'x-wns-cache-policy': 'cache',
        },
        rawBody,
        { agent: this.#agent, timeoutMs: this.#timeoutMs, maxBodyBytes: 1024 },
      );
      return wnsOutcomeOf(reply.status, reply.headers, this.#now());
    } catch (error) {
      return { kind: 'retry', status: 0, reason: error instanceof HttpsTimeoutError ? localWnsReasons.timeout : localWnsReasons.connectionError };
    }
  }
}

/** `fn` over `items` with at most `limit` calls pending; results in the items' order. */
async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
