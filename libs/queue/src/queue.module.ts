import { Global, Module } from '@nestjs/common';
import { BullModule } from '@nestjs/bullmq';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { BullConnection, BullConnectionModule } from './bull-connection';
import { JobProducer } from './job.producer';
import { SharedCache } from './shared-cache';

/**
 * BullMQ on the configured Redis. The shared config is what the worker's processors connect with (BullMQ's
 * own connections, which wait out a Redis outage); producing goes through JobProducer's queues.
 */
@Global()
@Module({
  imports: [
    BullModule.forRootAsync({
      imports: [BullConnectionModule],
      inject: [APP_CONFIG, BullConnection],
      useFactory: (config: AppConfig, bull: BullConnection) => ({
        connection: bull.connection,
        prefix: config.redis.prefix,
      }),
    }),
  ],
  providers: [JobProducer, SharedCache],
  exports: [JobProducer, SharedCache, BullModule],
})
export class QueueModule {}
