/**
 * Request latencies between two reads, in constant memory: a uniform reservoir sample of at most
 * `capacity` durations (Vitter's algorithm R), so percentiles stay cheap at any request rate.
 */
export class LatencyWindow {
  readonly #capacity: number;
  readonly #random: () => number;
  #samples: number[] = [];
  #seen = 0;

  constructor(capacity = 4096, random: () => number = Math.random) {
    this.#capacity = capacity;
    this.#random = random;
  }

  record(ms: number): void {
    this.#seen++;
    if (this.#samples.length < this.#capacity) {
      this.#samples.push(ms);
      return;
    }
    const slot = Math.floor(this.#random() * this.#seen);
    if (slot < this.#capacity) this.#samples[slot] = ms;
  }

  /** p50 and p95 (nearest rank, ms) of the durations since the last call, and how many there were; then starts a new window. */
  take(): { count: number; p50: number | null; p95: number | null } {
    const sorted = this.#samples.sort((a, b) => a - b);
    const count = this.#seen;
    const rank = (p: number) => (sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!);
    const result = { count, p50: rank(0.5), p95: rank(0.95) };
    this.#samples = [];
    this.#seen = 0;
    return result;
  }
}
