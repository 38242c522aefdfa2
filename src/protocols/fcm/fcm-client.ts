import type https from 'node:https';
import { httpsPost } from '../wns/https-post.ts';
import type { FcmEndpoints } from './fcm-endpoints.ts';
import { serviceAccountAssertion, tokenRequestBody } from './fcm-jwt.ts';
import { fcmOutcomeOf, retryAfterOf, type FcmPushOutcome } from './fcm-outcome.ts';
import type { FcmServiceAccount } from './service-account.ts';

export interface FcmClientOptions {
  account: FcmServiceAccount;
  endpoints: FcmEndpoints;
  /** Keep-alive agent with the trusted roots; owned by the caller. */
  agent: https.Agent;
  /** Messages in flight at once per `push` call. Default 16. */
  concurrency?: number;
  /** Deadline of one request, answer included. Default 10 s. */
  requestTimeoutMs?: number;
  now?: () => number;
}

/** A token is replaced this long before it expires. */
const refreshMarginMs = 5 * 60_000;

/** After Google refused the credentials, no new token request before this long. */
const refusedRetryMs = 5 * 60_000;

type TokenState = { kind: 'token'; value: string; usableUntil: number } | { kind: 'refused'; reason: string; status: number; until: number };

/**
 * Sends FCM HTTP v1 data messages for one Firebase project (one tenant's service account) to the
 * registration tokens of Knox agents, which then fetch their commands.
 * Google: https://firebase.google.com/docs/cloud-messaging/send-message (HTTP v1), and
 * https://developers.google.com/identity/protocols/oauth2/service-account (the access token).
 *
 * - The access token comes from a signed service-account assertion (`fcm-jwt.ts`), is shared by
 *   concurrent pushes (one request at a time) and reused until 5 minutes before it expires.
 * - A message answered 401 gets one new token and is sent once more; a second 401 drops it as a
 *   sender problem. Refused credentials are not asked for again for 5 minutes.
 * - The message is a high-priority data message `{"envelope":"checkIn"}`, collapsed per device
 *   (`collapse_key`), living 8 hours at most: an agent asleep longer checks in on its own schedule.
 * Nothing here logs; the key and the token never leave the requests they belong to.
 */
export class FcmClient {
  readonly #account: FcmServiceAccount;
  readonly #endpoints: FcmEndpoints;
  readonly #agent: https.Agent;
  readonly #concurrency: number;
  readonly #timeoutMs: number;
  readonly #now: () => number;
  #token: TokenState | null = null;
  #fetching: Promise<TokenState> | null = null;
  readonly stats = { tokenRequests: 0, messages: 0 };

  constructor(options: FcmClientOptions) {
    this.#account = options.account;
    this.#endpoints = options.endpoints;
    this.#agent = options.agent;
    this.#concurrency = options.concurrency ?? 16;
    this.#timeoutMs = options.requestTimeoutMs ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  /** Pushes each registration token once; outcomes in the same order. Never rejects. */
  async push(registrationTokens: readonly string[]): Promise<FcmPushOutcome[]> {
    const outcomes: FcmPushOutcome[] = new Array(registrationTokens.length);
    let next = 0;
    const worker = async () => {
      while (next < registrationTokens.length) {
        const index = next++;
        outcomes[index] = await this.#pushOne(registrationTokens[index]!);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#concurrency, registrationTokens.length) }, worker));
    return outcomes;
  }

  async #pushOne(registrationToken: string): Promise<FcmPushOutcome> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const token = await this.#accessToken(attempt > 0);
      if (token.kind === 'refused') {
        return token.status === 429 || token.status >= 500 || token.status === 0
          ? { kind: 'retry', status: token.status, reason: `Token:${token.reason}` }
          : { kind: 'dropped', status: token.status, reason: `Token:${token.reason}`, senderProblem: true };
      }
      let outcome: FcmPushOutcome;
      try {
        this.stats.messages += 1;
        const answer = await httpsPost(
          this.#endpoints.sendUrl(this.#account.projectId),
          { authorization: `Bearer ${token.value}`, 'content-type': 'application/json; charset=utf-8' },
          JSON.stringify({ message: { token: registrationToken, data: { envelope: 'checkIn' }, android: { priority: 'HIGH', collapse_key: 'envelope-check-in', ttl: '28800s' } } }),
          { agent: this.#agent, timeoutMs: this.#timeoutMs },
        );
        outcome = fcmOutcomeOf(answer.status, answer.headers, answer.body, this.#now());
      } catch (error) {
        return { kind: 'retry', status: 0, reason: `Connection:${(error as Error).message.slice(0, 80)}` };
      }
      if (outcome.kind !== 'unauthorized') return outcome;
      if (attempt > 0) return { kind: 'dropped', status: 401, reason: 'Unauthorized', senderProblem: true };
    }
    throw new Error('unreachable');
  }

  /** The current token, or a new one when `renew` (after a 401) or when it is due. */
  async #accessToken(renew: boolean): Promise<TokenState> {
    const now = this.#now();
    const current = this.#token;
    if (current !== null && !renew) {
      if (current.kind === 'token' && current.usableUntil > now) return current;
      if (current.kind === 'refused' && current.until > now) return current;
    }
    if (this.#fetching === null) {
      this.#fetching = this.#fetchToken().finally(() => {
        this.#fetching = null;
      });
    }
    return this.#fetching;
  }

  async #fetchToken(): Promise<TokenState> {
    this.stats.tokenRequests += 1;
    const now = this.#now();
    let state: TokenState;
    try {
      const assertion = serviceAccountAssertion(this.#account, this.#endpoints.tokenUrl, now);
      const answer = await httpsPost(this.#endpoints.tokenUrl, { 'content-type': 'application/x-www-form-urlencoded' }, tokenRequestBody(assertion), { agent: this.#agent, timeoutMs: this.#timeoutMs });
      const json = parseJson(answer.body);
      if (answer.status === 200 && typeof json?.access_token === 'string' && json.access_token !== '') {
        const expiresIn = Number(json.expires_in);
        const lifetimeMs = (Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : 3600) * 1000;
        state = { kind: 'token', value: json.access_token, usableUntil: now + (lifetimeMs > 2 * refreshMarginMs ? lifetimeMs - refreshMarginMs : lifetimeMs / 2) };
      } else {
        const reason = typeof json?.error === 'string' ? json.error.slice(0, 64) : `HTTP${answer.status}`;
        const transient = answer.status === 429 || answer.status >= 500;
        const wait = transient ? (retryAfterOf(answer.headers['retry-after'], now) ?? 5_000) : refusedRetryMs;
        state = { kind: 'refused', reason, status: answer.status, until: now + wait };
      }
    } catch (error) {
      state = { kind: 'refused', reason: `Connection:${(error as Error).message.slice(0, 80)}`, status: 0, until: now + 5_000 };
    }
    this.#token = state;
    return state;
  }
}

function parseJson(body: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(body);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
