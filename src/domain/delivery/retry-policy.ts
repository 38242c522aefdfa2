import type { DeliveryErrorClass } from './ledger-row.ts';

/**
 * When a failed operation is tried again. Transient failures back off exponentially from
 * `transientBaseMs` by `transientFactor` up to `transientMaxMs` and then keep trying at that
 * interval — never "failed for good", the complaint about Fleet's one-retry rule (delivery-protocols
 * §d.6). A user-made duplicate account is retried on the slow schedule (the user may remove it any
 * time; the company portal's "I removed it" is an admin-style resend and retries at once). Terminal
 * failures are not retried automatically.
 *
 * Defaults: 1 min, 4 min, 16 min, ~1 h, ~4.3 h, then every 8 h (the regular check-in cadence,
 * intune-email-model §10); duplicate account: 1 h, 2 h, 4 h, then every 8 h. Each delay is spread by
 * ±`jitterRatio`, derived from the command id rather than randomness, so 100,000 devices that failed
 * together do not retry in the same second and a re-run computes the same time.
 */
export interface RetryPolicy {
  transientBaseMs: number;
  transientFactor: number;
  transientMaxMs: number;
  duplicateAccountBaseMs: number;
  duplicateAccountFactor: number;
  duplicateAccountMaxMs: number;
  jitterRatio: number;
}

const minute = 60_000;
const hour = 60 * minute;

export const defaultRetryPolicy: Readonly<RetryPolicy> = Object.freeze({
  transientBaseMs: minute,
  transientFactor: 4,
  transientMaxMs: 8 * hour,
  duplicateAccountBaseMs: hour,
  duplicateAccountFactor: 2,
  duplicateAccountMaxMs: 8 * hour,
  jitterRatio: 0.2,
});

/**
 * Epoch ms of the next automatic attempt after the `attempts`-th failed send (1 = the first send
 * failed), or null when `errorClass` is not retried automatically. The delay is at most the class's
 * maximum and at least (1 − jitter) × base.
 */
export function nextAttemptAt(errorClass: DeliveryErrorClass, attempts: number, failedAt: number, jitterSeed: string, policy: RetryPolicy = defaultRetryPolicy): number | null {
  if (errorClass === 'terminal') return null;
  const [base, factor, max] =
    errorClass === 'transient'
      ? [policy.transientBaseMs, policy.transientFactor, policy.transientMaxMs]
      : [policy.duplicateAccountBaseMs, policy.duplicateAccountFactor, policy.duplicateAccountMaxMs];
  const exponent = Math.min(Math.max(attempts, 1) - 1, 64);
  const delay = Math.min(base * factor ** exponent, max);
  const jitter = 1 + policy.jitterRatio * (2 * unitHash(jitterSeed) - 1);
  return failedAt + Math.round(Math.min(delay * jitter, max));
}

/** FNV-1a of `seed`, mapped to [0, 1): a cheap, stable spread, not a secure hash. */
function unitHash(seed: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) {
    hash ^= seed.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) / 0x1_0000_0000;
}
