import { randomBytes } from 'node:crypto';
import { AppConfig, loadConfig, processEnvironment } from '@app/config';
import { testDatabaseUrl } from './test-database';

/**
 * A config for one test file: the real PostgreSQL and Redis that `npm test` started (their URLs are in the
 * environment), its own database (see test-database.ts) and queue prefix so parallel test files never share
 * rows or jobs, and test-sized timings.
 */
export function testConfig(overrides: Partial<Record<string, string>> = {}): AppConfig {
  return loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: testDatabaseUrl(),
    REDIS_URL: requireEnv('REDIS_URL'),
    QUEUE_PREFIX: `{test-${randomBytes(4).toString('hex')}}`,
    ADMIN_TOKEN: `admin-${randomBytes(16).toString('hex')}`,
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    LOG_LEVEL: processEnvironment().LOG_LEVEL ?? 'silent',
    DELIVERY_RETRY_SCHEDULE: '50ms,100ms,200ms',
    DELIVERY_TIMEOUT_MS: '2000',
    DELIVERY_ALLOWED_CIDRS: '127.0.0.0/8,::1/128',
    RECONCILER_INTERVAL: '200ms',
    RECONCILER_GRACE: '300ms',
    // Request limits are off unless a test is about them (test/security/rate-limits.e2e-spec.ts).
    RATE_LIMIT_PER_SECOND: '0',
    AUTH_FAILURES_PER_MINUTE: '0',
    PUBLIC_RATE_LIMIT_PER_SECOND: '0',
    ...overrides,
  });
}

function requireEnv(name: string): string {
  const value = processEnvironment()[name];
  if (!value)
    throw new Error(`${name} is not set: run the tests with "npm test", which starts PostgreSQL and Redis.`);
  return value;
}
