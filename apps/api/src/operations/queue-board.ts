import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppConfig } from '@app/config';
import { JobProducer, QUEUES } from '@app/queue';
import { AdminToken } from '../auth/admin-token';
import { bearerToken } from '../auth/tenant-keys.service';

export const QUEUE_BOARD_PATH = '/admin/queues';

/**
 * bull-board, the queue UI, at /admin/queues for the operator only. It is a Fastify plugin outside Nest's
 * router, so the token is checked here: `Authorization: Bearer <ADMIN_TOKEN>`, or HTTP Basic with the token
 * as the password (any user name) so that a browser can open it: a 401 asks the browser for it.
 * Its actions (retry, remove, clean) are safe: PostgreSQL holds every delivery, and the reconciler queues
 * again whatever the queue loses.
 */
export async function mountQueueBoard(app: NestFastifyApplication, config: AppConfig): Promise<void> {
  const jobs = app.get(JobProducer);
  const adminToken = new AdminToken(config.adminToken);
  const serverAdapter = new FastifyAdapter().setBasePath(QUEUE_BOARD_PATH);
  createBullBoard({
    queues: Object.values(QUEUES).map((name) => new BullMQAdapter(jobs.queue(name))),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Hookrelay queues' } },
  });
  await app.register(async (scope: FastifyInstance) => {
    scope.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      if (adminToken.matches(operatorToken(request.headers.authorization))) return;
      await reply
        .code(401)
        .header('www-authenticate', 'Basic realm="Hookrelay queues", charset="UTF-8"')
        .send({
          code: 'unauthorized',
          detail:
            'The queue UI is for the operator: send "Authorization: Bearer <ADMIN_TOKEN>", or sign in with ' +
            'the ADMIN_TOKEN as the password.',
        });
    });
    await scope.register(serverAdapter.registerPlugin(), { prefix: QUEUE_BOARD_PATH });
  });
}

/** The token from a Bearer header, or the password of a Basic one. */
function operatorToken(header: string | undefined): string | undefined {
  const bearer = bearerToken(header);
  if (bearer !== undefined) return bearer;
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!basic) return undefined;
  const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1 ? undefined : decoded.slice(colon + 1);
}
