import type { Params } from 'nestjs-pino';
import { pino, type DestinationStream, type Logger } from 'pino';
import type { AppConfig } from './app-config';

/** Headers and fields that never reach a log line. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  '*.apiKey',
  '*.key',
  '*.secret',
  '*.adminToken',
  '*.password',
];

/** The process's one JSON logger (stdout unless told otherwise); every line names the app, secrets are redacted. */
export function createLogger(
  config: AppConfig,
  app: 'api' | 'worker',
  destination: DestinationStream = pino.destination(1),
): Logger {
  return pino(
    { level: config.logLevel, base: { app }, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } },
    destination,
  );
}

/**
 * nestjs-pino serves only as Nest's LoggerService over that logger. Its per-request middleware (pino-http
 * through @fastify/middie plus an AsyncLocalStorage scope) is off: it cost more CPU than the rest of a
 * message's accept path outside Nest, and the API writes its access line from a Fastify hook instead
 * (apps/api/src/common/access-log.ts). Logs about one request carry its `reqId` explicitly.
 */
export function loggerOptions(logger: Logger): Params {
  return { pinoHttp: { logger }, forRoutes: [] };
}
