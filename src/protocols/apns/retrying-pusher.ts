import { localReasons } from './apns-reasons.ts';
import type { PushFailed, PushResult, PushTarget, Pusher } from './push-result.ts';

/**
 * Time and timers, injected so tests drive retries without sleeping. A callback may return a promise
 * (a retry round); a test scheduler can await it.
 */
export interface Scheduler {
  now(): number;
  setTimeout(callback: () => unknown, ms: number): { cancel(): void };
}

/** Real time; timers are unref'd so pending retries never keep a process alive. */
export const systemScheduler: Scheduler = {
  now: () => Date.now(),
  setTimeout(callback, ms) {
    const timer = setTimeout(callback, ms);
    timer.unref();
    return { cancel: () => clearTimeout(timer) };
  },
};

/**
 * How hard to retry. The defaults are Fleet's (`server/mdm/apple/retrying_pusher.go`), see decision 0009:
 * four retries after 30 s, 2 min, 8 min and 30 min, each ±20 %; then the device is left to the periodic
 * re-push of devices with pending commands. Five consecutive failed calls open the breaker for 2 min.
 */
export interface RetryPolicy {
  /** Wait before retry n (n = 1…length); after the last retry fails the push is given up. */
  backoffsMs: readonly number[];
  /** Each wait is scaled by a uniform factor in [1 − jitter, 1 + jitter]. */
  jitter: number;
  /** Consecutive calls that got no answer from APNs (connection errors, timeouts, 5xx) before the breaker opens. */
  breakerThreshold: number;
  breakerCooldownMs: number;
  /** Most devices waiting for a retry; beyond it the oldest is given up. */
  maxPending: number;
  /** Most devices re-pushed in one retry round. */
  batchSize: number;
}

export const defaultRetryPolicy: RetryPolicy = Object.freeze({
  backoffsMs: Object.freeze([30_000, 120_000, 480_000, 1_800_000]),
  jitter: 0.2,
  breakerThreshold: 5,
  breakerCooldownMs: 120_000,
  maxPending: 10_000,
  batchSize: 500,
});

/**
 * The result of a background retry. `attempt` counts retries (1 = first retry). `final` is true when
 * the device leaves the retry set: delivered, rejected permanently, given up after the last backoff,
 * or dropped because the set was full.
 */
export interface RetryOutcome {
  target: PushTarget;
  result: PushResult;
  attempt: number;
  final: boolean;
}

interface PendingRetry {
  target: PushTarget;
  /** Retries already sent. */
  attempt: number;
  dueAt: number;
  lastResult: PushFailed;
}

/**
 * Wraps a Pusher: `push` returns the inner results at once, and devices whose push failed transiently
 * (429, 5xx, connection errors, timeouts) are re-pushed in the background with jittered exponential
 * backoff. Permanent failures are never retried. Pushes carry no content and APNs keeps one per device,
 * so a retry that duplicates a delivered push is harmless, and a dropped retry only delays a device
 * until the next push.
 *
 * Circuit breaker: after `breakerThreshold` consecutive calls in which APNs answered nothing but 5xx or
 * no answer at all, the breaker opens for `breakerCooldownMs`: `push` then sends nothing and answers
 * `CircuitOpen` (status 0, retryable, `retryAfter` = seconds left), and those devices are retried when
 * it closes. After the cooldown the next call is a probe: one more failed call re-opens the breaker,
 * any answer from APNs closes it.
 */
export class RetryingPusher implements Pusher {
  readonly #inner: Pusher;
  readonly #policy: RetryPolicy;
  readonly #scheduler: Scheduler;
  readonly #random: () => number;
  readonly #onRetryOutcome: (outcome: RetryOutcome) => void;
  /** By token, in insertion order (the oldest first). */
  readonly #pending = new Map<string, PendingRetry>();
  #consecutiveFailures = 0;
  #openUntil = 0;
  #timer: { cancel(): void } | undefined;
  #flushing = false;

  constructor(
    inner: Pusher,
    options: { policy?: Partial<RetryPolicy>; scheduler?: Scheduler; random?: () => number; onRetryOutcome?: (outcome: RetryOutcome) => void } = {},
  ) {
    this.#inner = inner;
    this.#policy = { ...defaultRetryPolicy, ...options.policy };
    this.#scheduler = options.scheduler ?? systemScheduler;
    this.#random = options.random ?? Math.random;
    this.#onRetryOutcome = options.onRetryOutcome ?? (() => {});
  }

  async push(targets: readonly PushTarget[]): Promise<PushResult[]> {
    const now = this.#scheduler.now();
    if (now < this.#openUntil) {
      const retryAfter = Math.ceil((this.#openUntil - now) / 1000);
      const results = targets.map((target): PushFailed => ({ ok: false, token: target.token, status: 0, reason: localReasons.circuitOpen, permanent: false, retryAfter }));
      results.forEach((result, index) => this.#schedule(targets[index]!, result, this.#openUntil));
      this.#arm();
      return results;
    }
    const results = await this.#inner.push(targets);
    const after = this.#scheduler.now();
    this.#noteCall(results, after);
    results.forEach((result, index) => {
      if (result.ok || result.permanent) this.#pending.delete(result.token);
      else this.#schedule(targets[index]!, result, after + this.#backoff(0, result));
    });
    this.#arm();
    return results;
  }

  /** Devices waiting for a retry. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  /** When the open breaker closes (ms since the epoch), or undefined when it is closed. */
  get breakerOpenUntil(): number | undefined {
    return this.#scheduler.now() < this.#openUntil ? this.#openUntil : undefined;
  }

  /** Cancels the timer and forgets pending retries. */
  stop(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#pending.clear();
  }

  /** A device already pending keeps its place in the backoff sequence; its target is refreshed (new PushMagic). */
  #schedule(target: PushTarget, result: PushFailed, dueAt: number): void {
    const existing = this.#pending.get(target.token);
    if (existing !== undefined) {
      existing.target = target;
      existing.lastResult = result;
      return;
    }
    if (this.#pending.size >= this.#policy.maxPending) {
      const [oldestToken, oldest] = this.#pending.entries().next().value!;
      this.#pending.delete(oldestToken);
      this.#onRetryOutcome({ target: oldest.target, result: oldest.lastResult, attempt: oldest.attempt, final: true });
    }
    this.#pending.set(target.token, { target, attempt: 0, dueAt, lastResult: result });
  }

  /** The wait before retry `attempt + 1`, jittered, and no shorter than APNs' `retryAfter`. */
  #backoff(attempt: number, result: PushFailed): number {
    const base = this.#policy.backoffsMs[attempt] ?? 0;
    const jittered = base * (1 + (this.#random() * 2 - 1) * this.#policy.jitter);
    return Math.max(Math.round(jittered), (result.retryAfter ?? 0) * 1000);
  }

  /** Feeds the breaker with one call's results. */
  #noteCall(results: readonly PushResult[], now: number): void {
    if (results.length === 0) return;
    if (!results.every(isServiceFailure)) {
      this.#consecutiveFailures = 0;
      return;
    }
    this.#consecutiveFailures++;
    if (this.#consecutiveFailures >= this.#policy.breakerThreshold) {
      this.#openUntil = now + this.#policy.breakerCooldownMs;
      // Half-open after the cooldown: a single further failed call re-opens it.
      this.#consecutiveFailures = this.#policy.breakerThreshold - 1;
    }
  }

  /** One timer, for the earliest due retry (not before the breaker closes). */
  #arm(): void {
    if (this.#flushing) return;
    this.#timer?.cancel();
    this.#timer = undefined;
    if (this.#pending.size === 0) return;
    let dueAt = Infinity;
    for (const entry of this.#pending.values()) dueAt = Math.min(dueAt, entry.dueAt);
    dueAt = Math.max(dueAt, this.#openUntil);
    this.#timer = this.#scheduler.setTimeout(() => this.#flush(), Math.max(0, dueAt - this.#scheduler.now()));
  }

  async #flush(): Promise<void> {
    this.#timer = undefined;
    const now = this.#scheduler.now();
    const due = [...this.#pending.values()].filter((entry) => entry.dueAt <= now).slice(0, this.#policy.batchSize);
    if (now < this.#openUntil || due.length === 0) {
      this.#arm();
      return;
    }
    this.#flushing = true;
    try {
      const results = await this.#inner.push(due.map((entry) => entry.target));
      const after = this.#scheduler.now();
      this.#noteCall(results, after);
      results.forEach((result, index) => this.#settle(due[index]!, result, after));
    } finally {
      this.#flushing = false;
      this.#arm();
    }
  }

  #settle(entry: PendingRetry, result: PushResult, now: number): void {
    // A fresh push may have settled this device while the retry was on the wire.
    if (this.#pending.get(entry.target.token) !== entry) return;
    entry.attempt++;
    const final = result.ok || result.permanent || entry.attempt >= this.#policy.backoffsMs.length;
    if (final) {
      this.#pending.delete(entry.target.token);
    } else {
      entry.lastResult = result;
      entry.dueAt = now + this.#backoff(entry.attempt, result);
    }
    this.#onRetryOutcome({ target: entry.target, result, attempt: entry.attempt, final });
  }
}

/** APNs did not really answer: no response at all, or a 5xx. */
function isServiceFailure(result: PushResult): boolean {
  return !result.ok && !result.permanent && (result.status === 0 || result.status >= 500);
}
