import { androidmanagement, auth, type androidmanagement_v1 } from '@googleapis/androidmanagement';
import type { AmapiQuotaLimiter } from './amapi-rate-limiter.ts';

export type AmapiPolicy = androidmanagement_v1.Schema$Policy;
export type AmapiDevice = androidmanagement_v1.Schema$Device;
export type AmapiEnrollmentToken = androidmanagement_v1.Schema$EnrollmentToken;
export type AmapiApplicationPolicy = androidmanagement_v1.Schema$ApplicationPolicy;

/** The fields of a Google service-account key file the client needs (the rest is ignored). */
export interface ServiceAccountKey {
  client_email: string;
  private_key: string;
  project_id: string;
}

/** Google's OAuth scope for the Android Management API. */
export const amapiScope = 'https://www.googleapis.com/auth/androidmanagement';

/** Where the library sends the service-account JWT grant (gtoken's fixed token URL). */
const googleTokenUrl = 'https://www.googleapis.com/oauth2/v4/token';

/**
 * An Android Management API call that did not succeed:
 * - `quota`: 429 RESOURCE_EXHAUSTED; try again after `retryAfterMs` (the limiter is held back too);
 * - `transient`: a 5xx, a timeout or no connection (idempotent calls were already retried);
 * - `rejected`: Google refused the request (4xx): retrying the same request cannot help;
 * - `rateLimited`: the local limiter had no grant within the caller's wait (nothing was sent).
 * The message carries Google's error message, never credentials.
 */
export class AmapiError extends Error {
  readonly kind: 'quota' | 'transient' | 'rejected' | 'rateLimited';
  readonly status: number | null;
  readonly retryAfterMs: number | null;

  constructor(kind: AmapiError['kind'], message: string, status: number | null, retryAfterMs: number | null) {
    super(message);
    this.name = 'AmapiError';
    this.kind = kind;
    this.status = status;
    this.retryAfterMs = retryAfterMs;
  }
}

export interface AmapiClientOptions {
  key: ServiceAccountKey;
  /**
   * ENVELOPE_AMAPI_URL: a stand-in's root URL (`http://127.0.0.1:PORT/`) replacing
   * `https://androidmanagement.googleapis.com/` for API calls, and whose `token` path replaces
   * Google's OAuth token URL for the service-account JWT grant. Null: Google's service.
   */
  rootUrl: string | null;
  /** Shared by every client of the same project in this process (and, shared through PostgreSQL, by every process). */
  limiter: AmapiQuotaLimiter;
  /** Longest a call waits for the limiter before failing with `rateLimited` (default 0: never waits). */
  maxQuotaWaitMs?: number;
  timeoutMs?: number;
  /** Retries of idempotent calls on 5xx and lost connections (default 2). */
  retries?: number;
  /** How long a 429 without Retry-After holds the project's calls back (default 30 s). */
  quotaBackoffMs?: number;
}

/**
 * The four Android Management API calls Envelope makes, through Google's official client
 * (`@googleapis/androidmanagement`) with service-account JWT credentials. Every call takes a grant
 * from the project's rate limiter first. Only idempotent calls are retried by the library
 * (`policies.patch` and `devices.patch` write a whole value; `devices.get` reads);
 * `enrollmentTokens.create` is not (a repeat would mint a second token), so a failure of it is the
 * caller's to report.
 */
export class AmapiClient {
  readonly #api: androidmanagement_v1.Androidmanagement;
  readonly #limiter: AmapiQuotaLimiter;
  readonly #maxQuotaWaitMs: number;
  readonly #timeoutMs: number;
  readonly #retries: number;
  readonly #quotaBackoffMs: number;

  constructor(options: AmapiClientOptions) {
    const jwt = new auth.JWT({ email: options.key.client_email, key: options.key.private_key, scopes: [amapiScope] });
    if (options.rootUrl !== null) {
      // The library's token URL is fixed; for a stand-in, its JWT grant goes to `<rootUrl>token`.
      const tokenUrl = new URL('token', options.rootUrl).toString();
      const transporter = jwt.transporter;
      const request = transporter.request.bind(transporter) as (opts: { url?: string }) => unknown;
      Object.assign(transporter, { request: (opts: { url?: string }) => request(opts.url === googleTokenUrl ? { ...opts, url: tokenUrl } : opts) });
    }
    this.#api = androidmanagement({ version: 'v1', auth: jwt, ...(options.rootUrl === null ? {} : { rootUrl: options.rootUrl }) });
    this.#limiter = options.limiter;
    this.#maxQuotaWaitMs = options.maxQuotaWaitMs ?? 0;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#retries = options.retries ?? 2;
    this.#quotaBackoffMs = options.quotaBackoffMs ?? 30_000;
  }

  /** How long until the project's limiter has room (0: now): callers defer work that cannot be sent yet. */
  quotaWaitMs(): number {
    return this.#limiter.waitMs();
  }

  /** `enterprises.policies.patch`: writes the whole policy `name`; returns it with Google's new `version`. */
  async patchPolicy(name: string, policy: AmapiPolicy): Promise<AmapiPolicy> {
    return this.#call(() => this.#api.enterprises.policies.patch({ name, requestBody: policy }, this.#options(true)));
  }

  /** `enterprises.devices.patch` with `updateMask=policyName`: gives the device its policy. */
  async assignPolicy(deviceName: string, policyName: string): Promise<AmapiDevice> {
    return this.#call(() => this.#api.enterprises.devices.patch({ name: deviceName, updateMask: 'policyName', requestBody: { policyName } }, this.#options(true)));
  }

  /** `enterprises.devices.get`. */
  async getDevice(deviceName: string): Promise<AmapiDevice> {
    return this.#call(() => this.#api.enterprises.devices.get({ name: deviceName }, this.#options(true)));
  }

  /** `enterprises.enrollmentTokens.create` (not retried). */
  async createEnrollmentToken(enterpriseName: string, token: AmapiEnrollmentToken): Promise<AmapiEnrollmentToken> {
    return this.#call(() => this.#api.enterprises.enrollmentTokens.create({ parent: enterpriseName, requestBody: token }, this.#options(false)));
  }

  #options(idempotent: boolean) {
    return {
      timeout: this.#timeoutMs,
      retry: idempotent && this.#retries > 0,
      retryConfig: {
        retry: idempotent ? this.#retries : 0,
        noResponseRetries: idempotent ? this.#retries : 0,
        httpMethodsToRetry: ['GET', 'PATCH'],
        // 429 is not retried here: the caller reschedules, and the limiter is held back.
        statusCodesToRetry: [[500, 599]],
        retryDelay: 200,
      },
    };
  }

  async #call<T>(send: () => Promise<{ data: T }>): Promise<T> {
    const waitMs = this.#limiter.tryAcquire();
    if (waitMs > 0) {
      // A wait of a few ms (a limiter shared through PostgreSQL fetching grants) is waited, never refused.
      if (waitMs > Math.max(this.#maxQuotaWaitMs, 50)) throw new AmapiError('rateLimited', `Envelope's Android Management API rate limit (${this.#limiter.quota.limit} queries per ${this.#limiter.quota.windowMs / 1000} s) has no room for ${Math.ceil(waitMs / 1000)} s.`, null, waitMs);
      await new Promise((resolve) => setTimeout(resolve, waitMs));
      return this.#call(send);
    }
    try {
      return (await send()).data;
    } catch (error) {
      throw this.#mapError(error);
    }
  }

  #mapError(error: unknown): AmapiError {
    const failure = error as { response?: { status?: number; headers?: Record<string, string>; data?: { error?: { message?: string; status?: string } | string; error_description?: string } }; code?: string; message?: string };
    const status = failure.response?.status ?? null;
    const body = failure.response?.data;
    const googleMessage = typeof body?.error === 'object' ? body.error.message : typeof body?.error === 'string' ? `${body.error}${body.error_description ? `: ${body.error_description}` : ''}` : undefined;
    const message = googleMessage ?? (status === null ? `no answer (${failure.code ?? 'connection failed'})` : `HTTP ${status}`);
    if (status === 429) {
      const retryAfterMs = retryAfterOf(failure.response?.headers?.['retry-after']) ?? this.#quotaBackoffMs;
      this.#limiter.blockFor(retryAfterMs);
      return new AmapiError('quota', `Google's Android Management API quota is exhausted (429): ${message}`, status, retryAfterMs);
    }
    if (status === null || status >= 500) return new AmapiError('transient', `Android Management API unavailable: ${message}`, status, null);
    return new AmapiError('rejected', `Android Management API refused the request (${status}): ${message}`, status, null);
  }
}

function retryAfterOf(header: string | undefined): number | null {
  if (header === undefined) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now());
}

/**
 * One limiter per Cloud project per process (`projectId`), created on first use: every client of the
 * project in this process shares its window.
 */
export class AmapiRateLimiters {
  readonly #limiters = new Map<string, AmapiQuotaLimiter>();
  readonly #create: (projectId: string) => AmapiQuotaLimiter;

  constructor(create: (projectId: string) => AmapiQuotaLimiter) {
    this.#create = create;
  }

  forProject(projectId: string): AmapiQuotaLimiter {
    let limiter = this.#limiters.get(projectId);
    if (limiter === undefined) {
      limiter = this.#create(projectId);
      this.#limiters.set(projectId, limiter);
    }
    return limiter;
  }
}
