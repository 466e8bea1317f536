import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import type { AppConfig } from '@app/config';
import { ensureTestDatabase } from '@app/testing';
import { WorkerModule } from '../../apps/worker/src/worker.module';

/** The real worker (BullMQ consumers) in this process, on the given config's Redis prefix. */
export async function startWorker(config: AppConfig): Promise<INestApplicationContext> {
  await ensureTestDatabase(config.databaseUrl);
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), {
    logger: false,
    abortOnError: false,
  });
  await app.init();
  return app;
}
