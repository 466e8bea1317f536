import type { FastifyInstance } from 'fastify';
import { Histogram } from 'prom-client';
import type { Metrics } from '@app/delivery';

/**
 * Request duration by method, route template (`/api/v1/app/:appId/msg`, never a concrete path, so the
 * label set stays bounded) and status class, observed when Fastify has sent the response: one histogram
 * observation per request, no I/O.
 */
export function installHttpMetrics(fastify: FastifyInstance, metrics: Metrics): void {
  const duration = new Histogram({
    name: 'hookrelay_http_request_duration_seconds',
    help: 'API request duration by method, route template and status class (2xx, 4xx, 5xx).',
    labelNames: ['method', 'route', 'status_class'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [metrics.registry],
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    duration.observe(
      {
        method: request.method,
        // Unknown paths share one label: a scanner cannot grow the series.
        route: request.routeOptions.url ?? 'unmatched',
        status_class: `${Math.floor(reply.statusCode / 100)}xx`,
      },
      reply.elapsedTime / 1000,
    );
    done();
  });
}
