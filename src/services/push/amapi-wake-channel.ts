import type { AndroidEnterpriseStore } from '../../store/postgres/android-enterprise-store.ts';
import type { WakeChannel, WakeOutcome } from './wake-channel.ts';

/**
 * Wakes Android Enterprise devices: Google delivers their policies itself, so "waking" one means
 * marking it due for Envelope's AMAPI sync worker (`AmapiSyncWorker`), which takes its commands and
 * patches its policy at the rate Google's quota allows — however long that takes for a large fleet,
 * the mark stays until the patch is done (the wake queue's give-up after ~40 min never applies).
 */
export class AmapiWakeChannel implements WakeChannel {
  readonly name = 'amapi';
  readonly #store: Pick<AndroidEnterpriseStore, 'requestSync'>;
  readonly #onDue: () => void;
  readonly #now: () => number;

  constructor(deps: { store: Pick<AndroidEnterpriseStore, 'requestSync'>; onDue: () => void; now?: () => number }) {
    this.#store = deps.store;
    this.#onDue = deps.onDue;
    this.#now = deps.now ?? Date.now;
  }

  async wake(tenantId: string, deviceIds: readonly string[]): Promise<Map<string, WakeOutcome>> {
    const due = await this.#store.requestSync(tenantId, deviceIds, this.#now());
    if (due.length > 0) this.#onDue();
    return new Map(due.map((deviceId) => [deviceId, { kind: 'sent' }]));
  }

  async close(): Promise<void> {}
}
