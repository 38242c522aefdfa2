import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Histogram, Registry, type Metric } from 'prom-client';

/**
 * Prometheus metrics for one app instance (its own registry, so tests can build many apps):
 * process defaults plus `envelope_http_request_duration_seconds{method,route,status}`, and `extra`
 * (created unregistered by the services that own them).
 */
export function installMetrics(app: FastifyInstance, extra: readonly Metric[] = []): Registry {
  const registry = new Registry();
  for (const metric of extra) registry.registerMetric(metric);
  collectDefaultMetrics({ register: registry, prefix: 'envelope_' });
  const duration = new Histogram({
    name: 'envelope_http_request_duration_seconds',
    help: 'HTTP request duration by route template and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  app.addHook('onResponse', async (request, reply) => {
    duration.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
  return registry;
}
