import type { RolloutEvaluation, RolloutService } from './rollout-service.ts';

export interface RolloutWorkerOptions {
  /** How often running rollouts are judged (5 s is plenty for soaks counted in minutes; tests shorten it). */
  pollIntervalMs: number;
  /** Rollouts judged per round. */
  batchSize: number;
}

export const defaultRolloutWorkerOptions: Readonly<RolloutWorkerOptions> = Object.freeze({ pollIntervalMs: 5000, batchSize: 20 });

interface WorkerLog {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

/**
 * Judges running staged rollouts in the background (decision 0029): every poll, one transaction
 * claims soaked rollouts with `FOR UPDATE SKIP LOCKED` (`RolloutService.evaluateDue`), so any number
 * of workers in any number of processes on one PostgreSQL share them, and a worker that dies mid-round
 * only rolls its transaction back. A full batch polls again at once. `envelope serve` starts it.
 */
export class RolloutWorker {
  readonly #rollouts: RolloutService;
  readonly #log: WorkerLog;
  readonly #options: RolloutWorkerOptions;
  #running = false;
  #timer: NodeJS.Timeout | null = null;
  #current: Promise<void> | null = null;

  constructor(deps: { rollouts: RolloutService; log: WorkerLog; options?: Partial<RolloutWorkerOptions> }) {
    this.#rollouts = deps.rollouts;
    this.#log = deps.log;
    this.#options = { ...defaultRolloutWorkerOptions, ...deps.options };
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#schedule(0);
  }

  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#current;
  }

  /** One round; returns what it did. Rejects when the database does. */
  async pollOnce(): Promise<RolloutEvaluation[]> {
    const done = await this.#rollouts.evaluateDue(this.#options.batchSize);
    for (const step of done) {
      if (step.action !== 'wait') this.#log.info({ rolloutId: step.rolloutId, action: step.action }, 'staged rollout moved');
    }
    return done;
  }

  #schedule(delayMs: number): void {
    if (!this.#running) return;
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
      const done = await this.pollOnce();
      if (done.length >= this.#options.batchSize && done.some((step) => step.action !== 'wait')) delay = 0;
    } catch (error) {
      this.#log.warn({ err: error }, 'staged rollouts: poll failed; trying again shortly');
    }
    this.#schedule(delay);
  }
}
