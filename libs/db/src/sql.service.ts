import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Pool, PoolClient, QueryResultRow } from 'pg';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { poolTimeouts } from './pool-timeouts';

/** Runs statements inside one transaction (see `SqlService.transaction`). */
export interface SqlTransaction {
  query<T extends QueryResultRow>(text: string, values?: unknown[]): Promise<T[]>;
  /** As `SqlService.prepared`, on the transaction's connection. */
  prepared<T extends QueryResultRow>(name: string, text: string, values: unknown[]): Promise<T[]>;
}

/**
 * Plain SQL over a pg pool, for the hot path (auth, ingest, claim, attempt record) and the reconciler. Prisma's
 * offline JS engine costs ~1.9 ms of CPU per query against ~0.2 ms here (docs/benchmarks.md); Prisma stays for
 * the schema, migrations and the cold paths. Repositories in this lib are the only callers.
 */
@Injectable()
export class SqlService implements OnApplicationShutdown {
  private readonly pool: Pool;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.pool = new Pool({
      connectionString: config.databaseUrl,
      max: 10,
      ...poolTimeouts(config),
    });
    // An idle client's error (the server restarted) must not crash the process; the next query reconnects.
    this.pool.on('error', () => undefined);
  }

  async query<T extends QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
    const result = await this.pool.query<T>(text, values);
    return result.rows;
  }

  /**
   * A hot-path statement as a named prepared statement: each connection parses it once and PostgreSQL may
   * keep its plan, instead of parsing and planning it on every call. The text must be constant for a name.
   */
  async prepared<T extends QueryResultRow>(name: string, text: string, values: unknown[]): Promise<T[]> {
    const result = await this.pool.query<T>({ name, text, values });
    return result.rows;
  }

  /** BEGIN, `work`, COMMIT on one connection; ROLLBACK if `work` throws. */
  async transaction<R>(work: (tx: SqlTransaction) => Promise<R>): Promise<R> {
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      const result = await work(transactionOn(client));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw error;
    } finally {
      // A connection that could not even roll back is not given to the next caller.
      client.release(broken);
    }
  }

  /**
   * Runs `work` only if no other process holds the named PostgreSQL advisory lock; returns undefined when
   * another one does. The lock is held on its own connection, so a process that dies releases it.
   */
  async exclusively<R>(name: string, work: () => Promise<R>): Promise<R | undefined> {
    const client = await this.pool.connect();
    let broken = false;
    try {
      const { rows } = await client.query<{ locked: boolean }>(
        'SELECT pg_try_advisory_lock(hashtext($1)) AS locked',
        [name],
      );
      if (!rows[0]?.locked) return undefined;
      try {
        return await work();
      } finally {
        await client.query('SELECT pg_advisory_unlock(hashtext($1))', [name]).catch(() => {
          broken = true;
        });
      }
    } finally {
      // A connection whose unlock failed may still hold the lock: close it, which releases it.
      client.release(broken);
    }
  }

  /** After the queue workers have closed (see PrismaService). */
  async onApplicationShutdown(): Promise<void> {
    await this.pool.end();
  }
}

function transactionOn(client: PoolClient): SqlTransaction {
  return {
    async query<T extends QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
      return (await client.query<T>(text, values)).rows;
    },
    async prepared<T extends QueryResultRow>(name: string, text: string, values: unknown[]): Promise<T[]> {
      return (await client.query<T>({ name, text, values })).rows;
    },
  };
}
