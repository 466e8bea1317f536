import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { PrismaClient } from '@prisma/client';
import { PrismaPg } from '@prisma/adapter-pg';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { poolTimeouts } from './pool-timeouts';

/** The one Prisma client of a process; only repositories in this lib use it. */
@Injectable()
export class PrismaService extends PrismaClient implements OnApplicationShutdown {
  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    // Fail fast when PostgreSQL is unreachable (the API answers 503), as the pg pool of SqlService does.
    super({
      adapter: new PrismaPg({ connectionString: config.databaseUrl, ...poolTimeouts(config) }),
    });
  }

  // Last of the shutdown hooks: queue workers close first (beforeApplicationShutdown), and a job still
  // running must be able to record its outcome.
  async onApplicationShutdown(): Promise<void> {
    await this.$disconnect();
  }

  /** Readiness: one round trip to PostgreSQL. */
  async ping(): Promise<void> {
    await this.$queryRaw`SELECT 1`;
  }
}
