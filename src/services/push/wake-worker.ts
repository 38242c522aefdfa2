import { randomUUID } from 'node:crypto';
import type { WakeRetry, WakeStore } from '../../store/postgres/wake-store.ts';
import { defaultWakeBackoff, wakeRetryDelay, type WakeBackoff } from './wake-backoff.ts';
import type { WakeChannel, WakeOutcome } from './wake-channel.ts';
import type { WakeLog } from './wake-log.ts';
import type { WakeMetrics } from './wake-metrics.ts';
import type { ProfileWakePageSource } from './profile-wake-page.ts';

export interface WakeWorkerOptions {
  /** Pause between polls when there was nothing to do. */
  pollIntervalMs: number;
  /** Queued wakes claimed per poll. */
  batchSize: number;
  /** Devices per fan-out page (one channel call each). */
  pageSize: number;
  /** Fan-out pages one poll pushes before giving the job back, so other jobs and workers get a turn. */
  pagesPerPoll: number;
  /** How long a claimed wake or a fan-out lease lasts without news before another worker may take it. */
  leaseMs: number;
  backoff: WakeBackoff;
}

export const defaultWakeWorkerOptions: Readonly<WakeWorkerOptions> = Object.freeze({
  pollIntervalMs: 1000,
  batchSize: 500,
  pageSize: 1000,
  pagesPerPoll: 10,
  leaseMs: 120_000,
  backoff: defaultWakeBackoff,
});

/** What one poll did. */
export interface WakePollResult {
  /** Queued wakes claimed. */
  wakes: number;
  /** Fan-out pages pushed. */
  pages: number;
}

/**
 * Pushes the devices that changes concern (docs/decisions/0013). Each poll claims due wakes from the
 * queue and one profile fan-out job, and hands the devices to every channel. Any number of workers
 * in any number of processes share the work through the database. A transient push failure goes
 * (back) to the queue with backoff; after the last try the wake is given up and logged — the
 * device's own periodic check-in takes over.
 *
 * The worker never throws out of its loop: a failed poll (the database unreachable) is logged and
 * retried after the poll interval; what it had claimed is taken again once the claim expires.
 */
export class WakeWorker {
  readonly #wakes: WakeStore;
  readonly #pages: ProfileWakePageSource;
  readonly #channels: readonly WakeChannel[];
  readonly #log: WakeLog;
  readonly #metrics: WakeMetrics | null;
  readonly #options: WakeWorkerOptions;
  readonly #random: () => number;
  readonly #owner = randomUUID();
  #running = false;
  #timer: NodeJS.Timeout | null = null;
  #current: Promise<void> | null = null;
  #nudged = false;

  constructor(deps: {
    wakes: WakeStore;
    pages: ProfileWakePageSource;
    channels: readonly WakeChannel[];
    log: WakeLog;
    metrics?: WakeMetrics;
    options?: Partial<WakeWorkerOptions>;
    random?: () => number;
  }) {
    this.#wakes = deps.wakes;
    this.#pages = deps.pages;
    this.#channels = deps.channels;
    this.#log = deps.log;
    this.#metrics = deps.metrics ?? null;
    this.#options = { ...defaultWakeWorkerOptions, ...deps.options };
    this.#random = deps.random ?? Math.random;
  }

  get running(): boolean {
    return this.#running;
  }

  /** Starts polling (idempotent). */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#schedule(0);
  }

  /** Stops polling, waits for the poll in progress, and closes the channels' connections. */
  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#current;
    await Promise.all(this.#channels.map((channel) => channel.close()));
  }

  /** Polls at once instead of at the next interval (a wake was just queued in this process). */
  nudge(): void {
    if (!this.#running) return;
    if (this.#current !== null) {
      this.#nudged = true;
      return;
    }
    this.#schedule(0);
  }

  /**
   * One poll: the due queued wakes (one batch), then up to `pagesPerPoll` pages of one fan-out job.
   * Tests call it directly; the loop calls it while running. Rejects when the database does.
   */
  async pollOnce(): Promise<WakePollResult> {
    const wakes = await this.#pushQueued();
    const pages = await this.#pushFanout();
    return { wakes, pages };
  }

  #schedule(delayMs: number): void {
    if (!this.#running) return;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#current = this.#loop().finally(() => {
        this.#current = null;
      });
    }, delayMs);
  }

  async #loop(): Promise<void> {
    let delay = this.#options.pollIntervalMs;
    try {
      this.#nudged = false;
      const result = await this.pollOnce();
      // Busy: go on at once (bounded batches keep each poll short).
      if (result.wakes > 0 || result.pages > 0 || this.#nudged) delay = 0;
    } catch (error) {
      this.#log.warn({ err: error }, 'wake: poll failed; trying again shortly');
      delay = Math.max(this.#options.pollIntervalMs, 1000);
    }
    this.#schedule(delay);
  }

  async #pushQueued(): Promise<number> {
    const claim = randomUUID();
    const claimed = await this.#wakes.claimDue(claim, this.#options.batchSize, this.#options.leaseMs);
    const byTenant = new Map<string, typeof claimed>();
    for (const wake of claimed) byTenant.set(wake.tenantId, [...(byTenant.get(wake.tenantId) ?? []), wake]);
    for (const [tenantId, wakes] of byTenant) {
      const outcomes = await this.#wakeDevices(tenantId, wakes.map((wake) => wake.deviceId));
      const done: string[] = [];
      const retries: WakeRetry[] = [];
      for (const wake of wakes) {
        const outcome = outcomes.get(wake.deviceId);
        const retry = outcome?.kind === 'retry' ? this.#retryOf(tenantId, wake.deviceId, wake.attempts + 1, outcome, wake.reason) : null;
        if (retry === null) done.push(wake.deviceId);
        else retries.push(retry);
      }
      await this.#wakes.finishClaimed(claim, tenantId, done);
      await this.#wakes.retryClaimed(claim, retries);
    }
    return claimed.length;
  }

  async #pushFanout(): Promise<number> {
    const { leaseMs, pageSize, pagesPerPoll } = this.#options;
    const job = await this.#wakes.claimFanout(this.#owner, leaseMs);
    if (job === null) return 0;
    let pages = 0;
    while (pages < pagesPerPoll) {
      const page = await this.#pages(job.tenantId, job.profileId, job.cursorDeviceId, pageSize);
      const outcomes = await this.#wakeDevices(job.tenantId, page.deviceIds);
      const retries = [...outcomes].flatMap(([deviceId, outcome]) => {
        const retry = outcome.kind === 'retry' ? this.#retryOf(job.tenantId, deviceId, 1, outcome, job.reason) : null;
        return retry === null ? [] : [retry];
      });
      await this.#wakes.queueRetries(retries, job.reason);
      pages++;
      this.#metrics?.fanoutPages.inc();
      if (page.next === null) {
        const finished = await this.#wakes.finishFanoutRun(this.#owner, job, leaseMs);
        if (finished !== 'restarted') return pages;
        job.cursorDeviceId = null;
      } else {
        if (!(await this.#wakes.advanceFanout(this.#owner, job, page.next, leaseMs))) {
          this.#log.warn({ tenantId: job.tenantId, profileId: job.profileId }, 'wake: lost the lease of a fan-out job (this worker was too slow); another worker continues it');
          return pages;
        }
        job.cursorDeviceId = page.next;
      }
    }
    await this.#wakes.releaseFanout(this.#owner, job);
    return pages;
  }

  /** Every channel's outcomes for these devices, merged (a device no channel reaches is absent). */
  async #wakeDevices(tenantId: string, deviceIds: readonly string[]): Promise<Map<string, WakeOutcome>> {
    const merged = new Map<string, WakeOutcome>();
    if (deviceIds.length === 0) return merged;
    for (const channel of this.#channels) {
      for (const [deviceId, outcome] of await channel.wake(tenantId, deviceIds)) {
        merged.set(deviceId, outcome);
        this.#metrics?.pushes.inc({ channel: channel.name, outcome: outcome.kind });
      }
    }
    return merged;
  }

  /** The retry of a wake that failed for the `attempts`-th time, or null (logged) when it is given up. */
  #retryOf(tenantId: string, deviceId: string, attempts: number, outcome: WakeOutcome & { kind: 'retry' }, reason: string): WakeRetry | null {
    const delayMs = wakeRetryDelay(this.#options.backoff, attempts, outcome.retryAfterMs, this.#random);
    if (delayMs === null) {
      this.#log.info({ tenantId, deviceId, attempts, failure: outcome.reason, reason }, 'wake: push given up after the last retry; the device\'s periodic check-in takes over');
      this.#metrics?.givenUp.inc();
      return null;
    }
    return { tenantId, deviceId, attempts, delayMs };
  }
}
