import { Counter, Gauge, type Metric } from 'prom-client';

/**
 * The wake worker's Prometheus metrics, unregistered: the composition root hands `all` to the app's
 * registry (each app has its own, so tests can build many).
 */
export class WakeMetrics {
  readonly pushes = new Counter({
    name: 'envelope_wake_pushes_total',
    help: 'Device pushes by channel and outcome (sent, retry, dropped).',
    labelNames: ['channel', 'outcome'] as const,
    registers: [],
  });
  readonly givenUp = new Counter({ name: 'envelope_wake_given_up_total', help: 'Wakes given up after the last retry.', registers: [] });
  readonly fanoutPages = new Counter({ name: 'envelope_wake_fanout_pages_total', help: 'Profile fan-out pages pushed.', registers: [] });
  readonly queueDepth: Gauge;

  constructor(queueDepth: () => Promise<number>) {
    this.queueDepth = new Gauge({
      name: 'envelope_wake_queue_depth',
      help: 'Device wakes queued (due, scheduled or being retried), across all servers.',
      registers: [],
      async collect() {
        try {
          this.set(await queueDepth());
        } catch {
          // The database is unreachable: keep the last value rather than fail the whole scrape.
        }
      },
    });
  }

  get all(): Metric[] {
    return [this.pushes, this.givenUp, this.fanoutPages, this.queueDepth];
  }
}
