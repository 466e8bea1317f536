import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { APP_CONFIG, type AppConfig, ConfigError } from '@app/config';
import { createRedis, evictionPolicy } from '@app/queue';

/**
 * BullMQ loses jobs if Redis evicts keys. Development warns loudly; production refuses to start.
 * (PostgreSQL stays the source of truth, so a lost job is recovered, but late.)
 */
@Injectable()
export class RedisPolicyCheck implements OnApplicationBootstrap {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly logger: PinoLogger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const client = createRedis(this.config.redis, { lazyConnect: true });
    try {
      await client.connect();
      const policy = await evictionPolicy(client);
      if (policy === 'noeviction') return;
      const problem =
        policy === undefined
          ? 'Redis refused CONFIG GET maxmemory-policy, so the worker cannot check that it is "noeviction"'
          : `Redis maxmemory-policy is "${policy}"; it must be "noeviction" or queued jobs can be evicted`;
      if (this.config.env === 'production' && policy !== undefined) {
        throw new ConfigError(
          `${problem} (set it in redis.conf or with CONFIG SET maxmemory-policy noeviction)`,
        );
      }
      this.logger.warn(`!!! ${problem}. Fix it before production. !!!`);
    } finally {
      client.disconnect();
    }
  }
}
