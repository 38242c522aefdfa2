import type { WakeStore } from '../../store/postgres/wake-store.ts';

/**
 * Asks devices to check in: the call a device channel makes when it wants a device back soon (an
 * Apple device answered NotNow: push it again in a minute). Changes made through the admin API need
 * no call: triggers queue their wakes in the change's own transaction (docs/decisions/0013).
 *
 * Wakes are queued in the database and pushed by the wake worker of whichever server process gets
 * to them first, retried with backoff on transient failures. A device queued twice is pushed once,
 * at the earlier time. Ids of devices not in the tenant are ignored; both calls resolve to the
 * number of devices queued. `reason` (1–64 characters, such as `notNow`) is kept for logs.
 */
export interface WakeService {
  /** Pushes the devices at `atEpochMs` (ms since the epoch), or as soon after as a worker polls. */
  schedule(tenantId: string, deviceIds: readonly string[], atEpochMs: number, reason: string): Promise<number>;
  /** Pushes the devices as soon as possible; this process's worker, if running, looks at once. */
  wakeNow(tenantId: string, deviceIds: readonly string[], reason: string): Promise<number>;
}

/** The WakeService on the wake queue table. `onQueued` nudges the local worker. */
export class QueuedWakeService implements WakeService {
  readonly #wakes: WakeStore;
  readonly #onQueued: () => void;

  constructor(deps: { wakes: WakeStore; onQueued?: () => void }) {
    this.#wakes = deps.wakes;
    this.#onQueued = deps.onQueued ?? (() => undefined);
  }

  async schedule(tenantId: string, deviceIds: readonly string[], atEpochMs: number, reason: string): Promise<number> {
    checkReason(reason);
    if (!Number.isFinite(atEpochMs)) throw new RangeError(`wake time ${atEpochMs} is not a time`);
    return this.#wakes.enqueue(tenantId, deviceIds, new Date(atEpochMs), reason);
  }

  async wakeNow(tenantId: string, deviceIds: readonly string[], reason: string): Promise<number> {
    checkReason(reason);
    const queued = await this.#wakes.enqueue(tenantId, deviceIds, null, reason);
    if (queued > 0) this.#onQueued();
    return queued;
  }
}

function checkReason(reason: string): void {
  if (reason.length < 1 || reason.length > 64) throw new RangeError('a wake reason has 1 to 64 characters');
}
