import type { Scheduler } from '../retrying-pusher.ts';

/**
 * A Scheduler whose clock moves only when a test calls `advance`. Due callbacks run in time order, and
 * `advance` awaits the promises they return (a retry round over the network), so when it resolves
 * every retry that was due has been sent and settled.
 */
export class ManualScheduler implements Scheduler {
  #now: number;
  #timers: { at: number; callback: () => unknown; cancelled: boolean }[] = [];

  constructor(start = Date.parse('2030-01-01T00:00:00Z')) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => unknown, ms: number): { cancel(): void } {
    const timer = { at: this.#now + ms, callback, cancelled: false };
    this.#timers.push(timer);
    return { cancel: () => (timer.cancelled = true) };
  }

  /** When the next live timer fires, or undefined when none is set. */
  get nextTimerAt(): number | undefined {
    const live = this.#timers.filter((timer) => !timer.cancelled);
    return live.length === 0 ? undefined : Math.min(...live.map((timer) => timer.at));
  }

  /** Moves the clock forward by `ms`, firing every timer that falls due on the way. */
  async advance(ms: number): Promise<void> {
    const until = this.#now + ms;
    for (;;) {
      this.#timers = this.#timers.filter((timer) => !timer.cancelled);
      const next = this.#timers.filter((timer) => timer.at <= until).sort((a, b) => a.at - b.at)[0];
      if (next === undefined) break;
      this.#timers = this.#timers.filter((timer) => timer !== next);
      this.#now = Math.max(this.#now, next.at);
      await next.callback();
    }
    this.#now = until;
  }
}
