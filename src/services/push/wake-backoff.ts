/**
 * How long a failed wake waits before the next try: doubling from `firstMs` up to `maxMs`, each
 * wait scaled by a random factor in [1 − jitter, 1 + jitter]; after `maxAttempts` failures the wake
 * is given up and the device's own periodic check-in takes over.
 */
export interface WakeBackoff {
  firstMs: number;
  maxMs: number;
  maxAttempts: number;
  jitter: number;
}

/** 5 s, 10 s, 20 s … 10 min: ten tries over about 40 minutes. */
export const defaultWakeBackoff: Readonly<WakeBackoff> = Object.freeze({ firstMs: 5_000, maxMs: 600_000, maxAttempts: 10, jitter: 0.2 });

/**
 * The wait before the next try after `attempts` failures (1 = the first push failed), never less
 * than `retryAfterMs`; null when the wake should be given up.
 */
export function wakeRetryDelay(backoff: WakeBackoff, attempts: number, retryAfterMs: number | undefined, random: () => number): number | null {
  if (attempts >= backoff.maxAttempts) return null;
  const base = Math.min(backoff.firstMs * 2 ** (attempts - 1), backoff.maxMs);
  const jittered = base * (1 - backoff.jitter + 2 * backoff.jitter * random());
  return Math.round(Math.max(jittered, retryAfterMs ?? 0));
}
