import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Pool, QueryResultRow } from 'pg';
import { APP_CONFIG, type AppConfig } from '@app/config';

/**
 * Plain SQL over a pg pool, for the hot path only (auth, ingest, claim, attempt record). Prisma's offline
 * JS engine costs ~1.9 ms of CPU per query against ~0.2 ms here (docs/benchmarks.md); Prisma stays for the
 * schema, migrations and everything that is not per-event. Repositories in this lib are the only callers.
 */
@Injectable()
export class SqlService implements OnApplicationShutdown {
  private readonly pool: Pool;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.pool = new Pool({ connectionString: config.databaseUrl, max: 10 });
    // An idle client's error (the server restarted) must not crash the process; the next query reconnects.
    this.pool.on('error', () => undefined);
  }

  async query<T extends QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
    const result = await this.pool.query<T>(text, values);
    return result.rows;
  }

  /** After the queue workers have closed (see PrismaService). */
  async onApplicationShutdown(): Promise<void> {
    await this.pool.end();
  }
}
