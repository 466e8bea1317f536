import { Global, Module } from '@nestjs/common';
import { BullModule } from '@nestjs/bullmq';
import type { RedisOptions as BullRedisOptions } from 'bullmq';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { redisOptions } from './redis-connection';
import { JobProducer } from './job.producer';

/**
 * BullMQ on the configured Redis. The shared config is what the worker's processors connect with (BullMQ's
 * own connections, which wait out a Redis outage); producing goes through JobProducer's queues.
 */
@Global()
@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        // ioredis's own option type is wider than BullMQ's mirror of it; the values are the same.
        connection: redisOptions(config.redis.url) as BullRedisOptions,
        prefix: config.redis.prefix,
      }),
    }),
  ],
  providers: [JobProducer],
  exports: [JobProducer, BullModule],
})
export class QueueModule {}
