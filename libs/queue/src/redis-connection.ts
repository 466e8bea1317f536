import { Redis, RedisOptions } from 'ioredis';
import { ConfigError } from '@app/config';

/** ioredis options for a REDIS_URL; BullMQ needs `maxRetriesPerRequest: null` for its blocking commands. */
export function redisOptions(url: string, overrides: RedisOptions = {}): RedisOptions {
  const parsed = new URL(url);
  const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0;
  return {
    host: parsed.hostname,
    port: parsed.port ? Number(parsed.port) : 6379,
    username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    db: Number.isInteger(db) ? db : 0,
    tls: parsed.protocol === 'rediss:' ? {} : undefined,
    maxRetriesPerRequest: null,
    ...overrides,
  };
}

/** Connects once (no retries) and pings, or throws a ConfigError naming REDIS_URL. */
export async function checkRedis(url: string, timeoutMs = 5_000): Promise<void> {
  const client = new Redis({
    ...redisOptions(url),
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    const host = new URL(url).host;
    throw new ConfigError(`Cannot reach Redis at REDIS_URL (${host}): ${describe(error)}.`);
  } finally {
    client.disconnect();
  }
}

/**
 * BullMQ cannot work if Redis evicts keys. Returns the policy, or undefined when the server refuses
 * CONFIG (some managed services do).
 */
export async function evictionPolicy(client: Redis): Promise<string | undefined> {
  try {
    const reply = await client.config('GET', 'maxmemory-policy');
    return reply[1];
  } catch {
    return undefined;
  }
}

function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\.$/, '') || 'connection failed';
}
