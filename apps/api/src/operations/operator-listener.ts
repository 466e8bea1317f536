import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerOptions,
} from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { AdminListen } from '@app/config';

/**
 * The operator's surface, by route pattern (the matched route, so no spelling of a path can slip past):
 * `/admin/v1/…`, the queue UI at `/admin/queues`, the API documentation (`/docs`, `/docs-json`, `/docs-yaml`)
 * and the API's `/metrics`.
 */
export function isOperatorRoute(pattern: string | undefined): boolean {
  return pattern !== undefined && /^\/(admin|metrics|docs|docs-json|docs-yaml)(\/|$)/.test(pattern);
}

/**
 * ADMIN_LISTEN: serves the operator's surface with the public API (`same`), nowhere (`off`), or only on a
 * listener of its own (`separate`, loopback by default) that serves nothing else. One Fastify instance and one
 * Nest application answer both listeners; a request is told apart by the server that received it, and a route
 * that is not served where it arrived is a 404 exactly like an unknown route, before authentication.
 */
export class OperatorListener {
  private server?: Server;
  /** Requests that arrived on the operator's listener. */
  private readonly arrived = new WeakSet<IncomingMessage>();

  constructor(private readonly listen: AdminListen) {}

  /**
   * For Fastify's `serverFactory`: the public server, and with `separate` the operator's, both over Fastify's
   * handler with the same HTTP options (request timeout…).
   */
  createServers(options: ServerOptions, handler: RequestListener): Server {
    if (this.listen.kind === 'separate') {
      this.server = createServer(options, (request, response) => {
        this.arrived.add(request);
        handler(request, response);
      });
    }
    return createServer(options, handler);
  }

  /** Refuses what is not served where it arrived; starts and stops the operator's listener with the app. */
  install(fastify: FastifyInstance): void {
    const listen = this.listen;
    if (listen.kind === 'same') return;
    fastify.addHook('onRequest', async (request, reply) => {
      const operatorRoute = isOperatorRoute(request.routeOptions.url);
      const served = listen.kind === 'off' ? !operatorRoute : operatorRoute === this.arrived.has(request.raw);
      if (served) return;
      await reply
        .code(404)
        .header('content-type', 'application/json; charset=utf-8')
        .send({ code: 'not_found', detail: `Cannot ${request.method} ${request.url.split('?')[0]}` });
    });
    const server = this.server;
    if (listen.kind !== 'separate' || server === undefined) return;
    fastify.addHook('onReady', async () => {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(listen.port, listen.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
    });
    fastify.addHook('onClose', async () => {
      if (!server.listening) return;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await closed;
    });
  }
}
