import type { DeliveryService } from '../delivery/delivery-service.ts';
import type { MaintenanceStore } from '../../store/postgres/maintenance-store.ts';
import type { WindowsMdmStore } from '../../store/postgres/windows-mdm-store.ts';

export interface MaintenanceOptions {
  /** Pause between rounds. */
  intervalMs: number;
  /** Answered and superseded commands are kept this long (for inspection), then deleted. */
  keepFinishedCommandsMs: number;
  /** Enrollment profiles served but never installed are deleted this long after they expired. */
  keepExpiredEnrollmentsMs: number;
  /** Issued PKCS identities are deleted this long after their certificate expired. */
  keepExpiredIdentitiesMs: number;
  /** Windows OMA-DM sessions idle this long are deleted with what was sent in them (expired DIGEST nonces go at once). */
  keepWindowsSessionsMs: number;
  /** Rows per delete statement. */
  batchSize: number;
  /** Batches per kind per round, so one round stays short. */
  maxBatches: number;
}

export const defaultMaintenanceOptions: Readonly<MaintenanceOptions> = Object.freeze({
  intervalMs: 10 * 60_000,
  keepFinishedCommandsMs: 7 * 24 * 60 * 60_000,
  keepExpiredEnrollmentsMs: 24 * 60 * 60_000,
  keepExpiredIdentitiesMs: 30 * 24 * 60 * 60_000,
  keepWindowsSessionsMs: 24 * 60 * 60_000,
  batchSize: 5000,
  maxBatches: 20,
});

interface Logger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

/**
 * Deletes what delivery and enrollment leave behind: finished commands after a week (acknowledged
 * work already left the hot index when it was answered), served but never installed enrollment
 * profiles a day after they expired, replace halves whose command is gone, and issued PKCS identities
 * a month after their certificate expired. Every process runs it;
 * the deletes are idempotent and batched, so two processes at once only share the work.
 */
export class MaintenanceWorker {
  readonly #delivery: DeliveryService;
  readonly #store: MaintenanceStore;
  readonly #windowsMdm: WindowsMdmStore | null;
  readonly #options: MaintenanceOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;

  constructor(deps: { delivery: DeliveryService; store: MaintenanceStore; windowsMdm?: WindowsMdmStore; options?: Partial<MaintenanceOptions>; log: Logger; now?: () => number }) {
    this.#delivery = deps.delivery;
    this.#store = deps.store;
    this.#windowsMdm = deps.windowsMdm ?? null;
    this.#options = { ...defaultMaintenanceOptions, ...deps.options };
    this.#log = deps.log;
    this.#now = deps.now ?? Date.now;
  }

  start(): void {
    if (this.#timer !== null) return;
    const tick = () => {
      this.#running = this.runOnce().then(
        (counts) => {
          if (counts.commands + counts.enrollments + counts.replaceRemovals + counts.identities + (counts.windowsMdm ?? 0) > 0) this.#log.info(counts, 'maintenance: old rows deleted');
        },
        (error: unknown) => this.#log.warn({ err: error }, 'maintenance round failed; next round later'),
      );
    };
    this.#timer = setInterval(tick, this.#options.intervalMs);
    this.#timer.unref();
    tick();
  }

  async stop(): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    await this.#running;
  }

  /** One round; returns how many rows of each kind it deleted (`windowsMdm`: sessions and nonces, when that store is given). */
  async runOnce(): Promise<{ commands: number; enrollments: number; replaceRemovals: number; identities: number; windowsMdm?: number }> {
    const { batchSize, maxBatches } = this.#options;
    const now = this.#now();
    const drain = async (batch: () => Promise<number>): Promise<number> => {
      let total = 0;
      for (let i = 0; i < maxBatches; i++) {
        const deleted = await batch();
        total += deleted;
        if (deleted < batchSize) break;
      }
      return total;
    };
    return {
      commands: await drain(() => this.#delivery.collectFinishedCommands(now, this.#options.keepFinishedCommandsMs, batchSize)),
      enrollments: await drain(() => this.#store.deleteExpiredPendingEnrollments(new Date(now - this.#options.keepExpiredEnrollmentsMs), batchSize)),
      replaceRemovals: await drain(() => this.#store.deleteOrphanedReplaceRemovals(batchSize)),
      identities: await drain(() => this.#store.deleteExpiredIssuedIdentities(new Date(now - this.#options.keepExpiredIdentitiesMs), batchSize)),
      ...(this.#windowsMdm === null ? {} : { windowsMdm: await drain(() => this.#pruneWindowsMdm(now)) }),
    };
  }

  async #pruneWindowsMdm(now: number): Promise<number> {
    const pruned = await this.#windowsMdm!.prune(now, now - this.#options.keepWindowsSessionsMs, this.#options.batchSize);
    return pruned.sessions + pruned.nonces;
  }
}
