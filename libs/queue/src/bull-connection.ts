import { Global, Inject, Injectable, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import type { RedisOptions as BullRedisOptions } from 'bullmq';
import { Cluster } from 'ioredis';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { createRedis, redisOptions, type RedisClient } from './redis-connection';

/**
 * What BullMQ's workers connect with. For one server, options: BullMQ opens (and closes) its own
 * connections. For a Redis Cluster, BullMQ needs a Cluster instance, which it shares and duplicates for its
 * blocking reads but never closes; this provider closes it after the workers have stopped.
 */
@Injectable()
export class BullConnection implements OnApplicationShutdown {
  private readonly logger = new Logger(BullConnection.name);
  readonly connection: BullRedisOptions | RedisClient;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    // ioredis's own option type is wider than BullMQ's mirror of it; the values are the same.
    if (config.redis.cluster) {
      const cluster = createRedis(config.redis);
      // BullMQ reports its own command failures; topology errors while a node is away are retried by ioredis.
      cluster.on('error', (error: Error) =>
        this.logger.warn({ err: error }, 'Redis Cluster connection error'),
      );
      this.connection = cluster;
    } else {
      this.connection = redisOptions(config.redis.url) as BullRedisOptions;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.connection instanceof Cluster) await this.connection.quit().catch(() => undefined);
  }
}

@Global()
@Module({ providers: [BullConnection], exports: [BullConnection] })
export class BullConnectionModule {}
