/**
 * Google's default Android Management API quota is 1,000 queries per 100 seconds per Cloud project
 * (developers.google.com/android/management/permissible-usage). At that rate 100,000 per-device
 * policy patches take 100,000 / 10 per s ≈ 2.8 hours; a faster rollout needs a quota increase from
 * Google (then raise `limit` to match).
 */
export interface AmapiQuota {
  /** Queries allowed in any window of `windowMs`. */
  limit: number;
  windowMs: number;
}

export const defaultAmapiQuota: Readonly<AmapiQuota> = Object.freeze({ limit: 1000, windowMs: 100_000 });

/**
 * What the AMAPI client asks of a project's limiter: this file's per-process `AmapiRateLimiter`, or
 * the one shared through PostgreSQL by every process (decision 0033).
 */
export interface AmapiQuotaLimiter {
  readonly quota: Readonly<AmapiQuota>;
  /** Takes one grant now and returns 0, or takes nothing and returns how many ms to wait. */
  tryAcquire(): number;
  /** How many ms until a grant could be had (0: now), without taking one. */
  waitMs(): number;
  /** Google answered 429: no grants before `now + ms`. */
  blockFor(ms: number): void;
}

/**
 * A sliding-window limiter: at most `limit` grants in any `windowMs` (a log of the last `limit`
 * grant times), so bursts never exceed Google's per-100 s count whichever way Google aligns its
 * window. A 429 from Google (another tool spending the same project's quota, or another Envelope
 * process) holds every grant back until `blockUntil`.
 *
 * One limiter per Google Cloud project per process, shared by every caller in that process: alone it
 * knows nothing of other processes (decision 0020). The server uses the one shared through PostgreSQL
 * (`SharedAmapiRateLimiter`, decision 0033); this one stays the in-memory reference.
 */
export class AmapiRateLimiter implements AmapiQuotaLimiter {
  readonly #quota: AmapiQuota;
  readonly #now: () => number;
  /** Grant times, oldest first; never more than `limit` entries. */
  readonly #grants: number[] = [];
  #blockedUntil = 0;

  constructor(quota: AmapiQuota = defaultAmapiQuota, now: () => number = Date.now) {
    if (!Number.isSafeInteger(quota.limit) || quota.limit < 1) throw new RangeError('quota.limit must be a whole number ≥ 1');
    if (!(quota.windowMs > 0)) throw new RangeError('quota.windowMs must be positive');
    this.#quota = quota;
    this.#now = now;
  }

  get quota(): Readonly<AmapiQuota> {
    return this.#quota;
  }

  /**
   * Takes one grant now and returns 0, or takes nothing and returns how many ms to wait before a
   * grant can be had.
   */
  tryAcquire(): number {
    const now = this.#now();
    if (now < this.#blockedUntil) return this.#blockedUntil - now;
    const { limit, windowMs } = this.#quota;
    if (this.#grants.length >= limit) {
      const oldest = this.#grants[this.#grants.length - limit]!;
      if (oldest + windowMs > now) return oldest + windowMs - now;
    }
    this.#grants.push(now);
    if (this.#grants.length > limit) this.#grants.splice(0, this.#grants.length - limit);
    return 0;
  }

  /** How many ms until a grant could be had (0: now), without taking one. */
  waitMs(): number {
    const now = this.#now();
    if (now < this.#blockedUntil) return this.#blockedUntil - now;
    const { limit, windowMs } = this.#quota;
    if (this.#grants.length < limit) return 0;
    return Math.max(0, this.#grants[this.#grants.length - limit]! + windowMs - now);
  }

  /** Google answered 429: no grants before `now + ms`. */
  blockFor(ms: number): void {
    this.#blockedUntil = Math.max(this.#blockedUntil, this.#now() + Math.max(0, ms));
  }

  /** Grants left in the current window (for status output). */
  available(): number {
    const now = this.#now();
    if (now < this.#blockedUntil) return 0;
    const recent = this.#grants.filter((t) => t + this.#quota.windowMs > now).length;
    return this.#quota.limit - recent;
  }
}

/** How long `devices` per-device policy patches take at `quota` (ms), for status and docs. */
export function policyRolloutDurationMs(devices: number, quota: AmapiQuota = defaultAmapiQuota): number {
  return (devices * quota.windowMs) / quota.limit;
}
