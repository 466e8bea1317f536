import { Cluster, Redis, RedisOptions } from 'ioredis';
import { ConfigError, type AppConfig } from '@app/config';

/** A connection to the configured Redis: one server, or a Redis Cluster (REDIS_CLUSTER=true). */
export type RedisClient = Redis | Cluster;

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

/**
 * The one way to open a Redis connection: `overrides` are per-connection options (offline queue, timeouts,
 * lazy connect). With REDIS_CLUSTER the URL's node seeds the cluster's topology and every node gets the same
 * credentials, TLS and options; keys stay in one slot through the prefix's hash tag (checked by the config).
 */
export function createRedis(redis: AppConfig['redis'], overrides: RedisOptions = {}): RedisClient {
  const options = redisOptions(redis.url, overrides);
  if (!redis.cluster) return new Redis(options);
  // A cluster has only database 0; host and port seed the topology, the rest applies to every node.
  const {
    host,
    port,
    db,
    lazyConnect,
    enableOfflineQueue,
    enableAutoPipelining,
    retryStrategy,
    ...nodeOptions
  } = options;
  if (db) throw new ConfigError('REDIS_URL cannot name a database when REDIS_CLUSTER is true.');
  return new Cluster([{ host, port }], {
    redisOptions: nodeOptions,
    lazyConnect,
    enableOfflineQueue,
    enableAutoPipelining,
    clusterRetryStrategy: retryStrategy,
  });
}

/** Connects once (no retries) and pings, or throws a ConfigError naming REDIS_URL. */
export async function checkRedis(redis: AppConfig['redis'], timeoutMs = 5_000): Promise<void> {
  const client = createRedis(redis, {
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
    const host = new URL(redis.url).host;
    throw new ConfigError(`Cannot reach Redis at REDIS_URL (${host}): ${describe(error)}.`);
  } finally {
    client.disconnect();
  }
}

/**
 * BullMQ cannot work if Redis evicts keys. Returns the policy, or undefined when the server refuses
 * CONFIG (some managed services do).
 */
export async function evictionPolicy(client: RedisClient): Promise<string | undefined> {
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
