import { randomUUID } from 'node:crypto';
import type { RequestListener } from 'node:http';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { cleanupOpenApiDoc } from 'nestjs-zod';
import { Logger } from 'nestjs-pino';
import { createLogger, type AppConfig } from '@app/config';
import { Metrics } from '@app/delivery';
import type { DestinationStream } from 'pino';
import { ApiModule } from './api.module';
import { registerAccessLog } from './common/access-log';
import { registerJsonBodyParser } from './common/json-body';
import { webDistDir } from './web/web-files';
import { installHttpMetrics } from './operations/http-metrics';
import { mountQueueBoard } from './operations/queue-board';
import { OperatorListener } from './operations/operator-listener';

/** The longest id a path may carry: uids, event ids and event-type names are at most 256 characters. */
const MAX_PATH_PARAM_LENGTH = 256;

/** Room for the message envelope (event type, channels, tags…) around the largest accepted payload. */
const ENVELOPE_BYTES = 256 * 1024;

/**
 * Builds the API application (used by main.ts and by the tests), not yet listening. Logs go to stdout unless
 * `logDestination` says otherwise (a test that reads them).
 */
export async function createApiApp(
  config: AppConfig,
  { logDestination }: { logDestination?: DestinationStream } = {},
): Promise<NestFastifyApplication> {
  const operatorListener = new OperatorListener(config.adminListen);
  const adapter = new FastifyAdapter({
    bodyLimit: config.limits.maxPayloadBytes + ENVELOPE_BYTES,
    // Path parameters up to the documented id lengths (uids, event ids and event-type names: 256).
    routerOptions: { maxParamLength: MAX_PATH_PARAM_LENGTH },
    // The whole request must arrive in time: a client dripping its body cannot pin a connection. Node checks
    // the deadline every connectionsCheckingInterval (30 s by default, longer than the deadline may be).
    // ADMIN_LISTEN=<port> adds the operator's own listener over the same handler (see OperatorListener).
    serverFactory: (handler: RequestListener) =>
      operatorListener.createServers(
        {
          requestTimeout: config.http.requestTimeoutMs,
          connectionsCheckingInterval: Math.min(1_000, config.http.requestTimeoutMs),
        },
        handler,
      ),
    // Fastify's own logger stays off (it would make a child logger per request): the access log hook below
    // writes one line per request with Fastify's request id.
    logger: false,
    // Whose X-Forwarded-For names a request's source (the per-source auth-failure limit): TRUST_PROXY.
    trustProxy: config.trustProxy,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
  });
  const logger = createLogger(config, 'api', logDestination);
  const app = await NestFactory.create<NestFastifyApplication>(ApiModule.forRoot(config, logger), adapter, {
    bufferLogs: true,
    rawBody: true,
    // Start-up errors reach the caller (main.ts prints one line; tests see the real error).
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  const fastify = app.getHttpAdapter().getInstance();
  // First of the hooks: a route not served on the listener it arrived at is unknown there (404), before anything.
  operatorListener.install(fastify);
  // The API speaks JSON only: without other parsers, Fastify answers other content types with 415.
  registerJsonBodyParser(adapter, fastify);
  registerAccessLog(fastify, logger);
  fastify.addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });
  installHttpMetrics(fastify, app.get(Metrics));
  app.enableShutdownHooks();
  await mountQueueBoard(app, config);

  // The web app's assets (content-hashed names, so cached for good); its pages come from WebController.
  const assets = join(webDistDir(), 'assets');
  if (existsSync(assets)) {
    await app.register(fastifyStatic, {
      root: assets,
      prefix: '/web/assets/',
      decorateReply: false,
      index: false,
      immutable: true,
      maxAge: '365d',
    });
  }

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Hookrelay API')
      .setDescription('Svix-compatible webhook delivery API (`/api/v1`) and the operator API (`/admin/v1`).')
      .setVersion('1')
      .addBearerAuth(
        {
          type: 'http',
          scheme: 'bearer',
          description:
            'Tenant API key; on routes open to the consumer portal also a portal token (app-portal-access), ' +
            'limited to its application and capabilities',
        },
        'tenant',
      )
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN' }, 'admin')
      .build(),
  );
  SwaggerModule.setup('docs', app, cleanupOpenApiDoc(document), { jsonDocumentUrl: 'docs-json' });
  return app;
}
