import { Global, Module } from '@nestjs/common';
import { BullModule } from '@nestjs/bullmq';
import type { RedisOptions as BullRedisOptions } from 'bullmq';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { QUEUES } from './jobs';
import { redisOptions } from './redis-connection';
import { JobProducer } from './job.producer';

const DEFAULT_JOB_OPTIONS = {
  // History lives in PostgreSQL; Redis keeps a little for the queue UI and drops the rest.
  removeOnComplete: { count: 1000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

/** BullMQ on the configured Redis, every queue of the registry, and the producer. */
@Global()
@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        // ioredis's own option type is wider than BullMQ's mirror of it; the values are the same.
        connection: redisOptions(config.redis.url) as BullRedisOptions,
        prefix: config.redis.prefix,
        defaultJobOptions: DEFAULT_JOB_OPTIONS,
      }),
    }),
    BullModule.registerQueue(
      {
        name: QUEUES.delivery,
        defaultJobOptions: {
          // PostgreSQL keeps every attempt; a finished job is removed at once so that the sweeper can
          // enqueue the same job id again if the delivery is ever due again (ids dedupe only live jobs).
          removeOnComplete: true,
          removeOnFail: true,
          // Retries here are for infrastructure faults (a database error); receiver failures are data.
          attempts: 3,
          backoff: { type: 'exponential', delay: 1000 },
        },
      },
      { name: QUEUES.maintenance },
    ),
  ],
  providers: [JobProducer],
  exports: [JobProducer, BullModule],
})
export class QueueModule {}
