import type { AppConfig } from '@app/config';

/**
 * The timeouts both pools share (Prisma's adapter takes the same pg options). PostgreSQL down or unreachable
 * must fail a request fast (503), not hold it until the client gives up; a statement that runs away (a lock
 * held, a pathological plan) is cancelled by the server instead of pinning a connection of a pool of 10.
 */
export function poolTimeouts(config: AppConfig): {
  connectionTimeoutMillis: number;
  statement_timeout?: number;
} {
  const { connectTimeoutMs, statementTimeoutMs } = config.database;
  return {
    connectionTimeoutMillis: connectTimeoutMs,
    ...(statementTimeoutMs > 0 ? { statement_timeout: statementTimeoutMs } : {}),
  };
}
