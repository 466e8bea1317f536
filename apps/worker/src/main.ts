import 'reflect-metadata';
import { createServer, Server } from 'node:http';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { ConfigError, loadConfig } from '@app/config';
import { checkDatabase } from '@app/db';
import { checkRedis } from '@app/queue';
import { WorkerModule } from './worker.module';

async function main(): Promise<void> {
  const config = loadConfig();
  await Promise.all([checkDatabase(config.databaseUrl), checkRedis(config.redis)]);
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  // SIGTERM/SIGINT close the BullMQ workers, which wait for in-flight jobs, then the connections.
  app.enableShutdownHooks();
  await app.init();
  const health = config.worker.healthPort ? serveHealth(config.worker.healthPort) : undefined;
  app.get(Logger).log('worker started', 'Worker');
  process.once('beforeExit', () => health?.close());
}

/** Optional liveness port for orchestrators: 200 while the process runs. No other HTTP in the worker. */
function serveHealth(port: number): Server {
  return createServer((_, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
  }).listen(port, '0.0.0.0');
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`hookrelay worker: ${error.message}\n`);
  } else {
    process.stderr.write(
      `hookrelay worker: failed to start: ${error instanceof Error ? error.stack : String(error)}\n`,
    );
  }
  process.exit(1);
});
