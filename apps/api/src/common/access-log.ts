import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { AuthenticatedRequest } from '../auth/auth.decorators';

/**
 * One line per request once the response is sent: request id, method, URL, status, time, and the tenant (or
 * portal session) the auth guard resolved. Health probes are not logged: load balancers call them every few
 * seconds. 5xx lines are errors, so an operator's alert on level ≥ error sees them.
 */
export function registerAccessLog(fastify: FastifyInstance, logger: Logger): void {
  fastify.addHook('onResponse', (request, reply, done) => {
    if (!request.url.startsWith('/api/v1/health') && logger.isLevelEnabled('info')) {
      const { tenantId, portal } = request as unknown as AuthenticatedRequest;
      const statusCode = reply.statusCode;
      logger[statusCode >= 500 ? 'error' : 'info'](
        {
          req: { id: request.id, method: request.method, url: request.url },
          res: { statusCode },
          responseTime: Math.round(reply.elapsedTime * 100) / 100,
          tenantId,
          portalSession: portal?.tokenId,
        },
        'request completed',
      );
    }
    done();
  });
}
