import type { AmapiQuota, AmapiQuotaLimiter } from '../../protocols/amapi/amapi-rate-limiter.ts';
import { quotaSlotsPerWindow, type AmapiQuotaStore } from '../../store/postgres/amapi-quota-store.ts';

/**
 * A Cloud project's Android Management API quota shared by every Envelope process on one PostgreSQL
 * database (decision 0033). The client asks synchronously (`tryAcquire`), so grants are leased from
 * PostgreSQL ahead, a slot's share at a time (`AmapiQuotaStore.lease`), and spent here; a lease not
 * spent by the end of the slot after the one it was counted in (slots are 2 s at the default 100-s
 * window) is dropped, so no window of sends can exceed the quota, whichever processes send. The next lease is asked for while half of one is left. With no grant at hand, `tryAcquire` starts a lease and answers how long to wait (the caller
 * defers, as with the per-process limiter). A 429 blocks every process through the database.
 */
export class SharedAmapiRateLimiter implements AmapiQuotaLimiter {
  readonly quota: Readonly<AmapiQuota>;
  readonly #store: Pick<AmapiQuotaStore, 'lease' | 'block'>;
  readonly #projectId: string;
  readonly #now: () => number;
  readonly #leaseSize: number;
  readonly #onError: (error: unknown) => void;
  /** Leased grants not yet spent, oldest first, each batch good until its lease's slot is over. */
  #batches: Array<{ count: number; expiresAt: number }> = [];
  #blockedUntil = 0;
  /** When a lease may be asked for again after one came back empty. */
  #retryAt = 0;
  #leasing: Promise<void> | null = null;

  constructor(options: { store: Pick<AmapiQuotaStore, 'lease' | 'block'>; projectId: string; quota: AmapiQuota; now?: () => number; onError?: (error: unknown) => void }) {
    if (!Number.isSafeInteger(options.quota.limit) || options.quota.limit < 1) throw new RangeError('quota.limit must be a whole number ≥ 1');
    if (!(options.quota.windowMs > 0)) throw new RangeError('quota.windowMs must be positive');
    this.quota = options.quota;
    this.#store = options.store;
    this.#projectId = options.projectId;
    this.#now = options.now ?? Date.now;
    // A slot's fair share of the window: small leases keep unspent grants (lost when they expire) few.
    this.#leaseSize = Math.max(1, Math.ceil(options.quota.limit / quotaSlotsPerWindow));
    this.#onError = options.onError ?? (() => undefined);
  }

  tryAcquire(): number {
    const wait = this.waitMs();
    if (wait === 0) {
      const batch = this.#batches[0]!;
      if (--batch.count === 0) this.#batches.shift();
    }
    return wait;
  }

  waitMs(): number {
    const now = this.#now();
    if (now < this.#blockedUntil) return this.#blockedUntil - now;
    while (this.#batches.length > 0 && (this.#batches[0]!.expiresAt <= now || this.#batches[0]!.count === 0)) this.#batches.shift();
    const held = this.#batches.reduce((sum, batch) => sum + batch.count, 0);
    // The next lease is asked for while half a lease is still at hand, so a steady caller rarely waits.
    if (held * 2 <= this.#leaseSize && now >= this.#retryAt) this.#lease();
    if (held > 0) return 0;
    if (now < this.#retryAt) return this.#retryAt - now;
    // The lease is one short transaction: ask again shortly.
    return 25;
  }

  blockFor(ms: number): void {
    this.#blockedUntil = Math.max(this.#blockedUntil, this.#now() + Math.max(0, ms));
    this.#batches = [];
    this.#store.block(this.#projectId, ms).catch((error: unknown) => this.#onError(error));
  }

  /** Leases grants now and waits for the answer (for tests and for a caller that wants them at once). */
  async refill(): Promise<void> {
    this.#lease();
    await this.#leasing;
  }

  #lease(): void {
    if (this.#leasing !== null) return;
    const started = this.#now();
    this.#leasing = this.#store.lease(this.#projectId, this.quota, this.#leaseSize)
      .then((lease) => {
        if (lease.granted > 0) {
          // Measured from before the lease was asked for: never later than the database's end of the next slot.
          this.#batches.push({ count: lease.granted, expiresAt: started + lease.validMs });
          this.#retryAt = 0;
        } else {
          this.#retryAt = this.#now() + lease.waitMs;
        }
      })
      .catch((error: unknown) => {
        // The database is unreachable: no grants (nothing is sent unaccounted), try again in a second.
        this.#retryAt = this.#now() + 1000;
        this.#onError(error);
      })
      .finally(() => {
        this.#leasing = null;
      });
  }
}
