import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { createRedis, type RedisClient } from './redis-connection';

/**
 * GCRA (the generic cell rate algorithm) in one script call: one key holds the "theoretical arrival time" of
 * the next request. A request is admitted when that time is less than `burst` intervals ahead of now. Time
 * comes from Redis (`TIME`), so API instances with skewed clocks share one limit.
 * ARGV: interval (µs between requests at the sustained rate), burst (requests), consume (1) or only look (0).
 * Returns {admitted 0|1, remaining, µs until a request is admitted again, µs until the bucket is full}.
 */
const GCRA_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local consume = ARGV[3] == '1'
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local tolerance = interval * burst
local nextTat = tat + interval
local allowAt = nextTat - tolerance
if allowAt > now then
  return {0, 0, allowAt - now, tat - now}
end
if consume then
  redis.call('SET', KEYS[1], string.format('%d', nextTat), 'PX', math.ceil((nextTat - now) / 1000) + 1)
else
  nextTat = tat
end
local remaining = math.floor((now + tolerance - nextTat) / interval)
return {1, remaining, 0, nextTat - now}
`;

export interface RateLimit {
  /** Sustained requests per second. */
  perSecond: number;
  /** Requests that may come at once after a quiet spell. */
  burst: number;
}

export interface RateDecision {
  admitted: boolean;
  /** False when no limit applied or Redis did not answer (admitted without counting). */
  counted: boolean;
  limit: number;
  remaining: number;
  /** Seconds until a request would be admitted again (0 when admitted). */
  retryAfterS: number;
  /** Seconds until the bucket is full again. */
  resetS: number;
}

interface RateCommands {
  gcra(
    key: string,
    intervalUs: number,
    burst: number,
    consume: 0 | 1,
  ): Promise<[number, number, number, number]>;
}

/**
 * Request rate limits shared by every API instance through Redis (`<QUEUE_PREFIX>:rate:<name>`). When Redis
 * cannot answer at once (down, or slower than a few ms), the limiter admits: the API keeps accepting without
 * Redis (messages are durable in PostgreSQL), and a limit must not be what takes it down.
 */
@Injectable()
export class RateLimiter implements OnApplicationShutdown {
  private readonly logger = new Logger(RateLimiter.name);
  private readonly redis: RedisClient & RateCommands;
  private readonly prefix: string;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.prefix = `${config.redis.prefix}:rate`;
    this.redis = createRedis(config.redis, {
      // Fail fast, never queue: an unanswered limit check admits (fail open).
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: 250,
      lazyConnect: false,
      // Every request is checked: the checks of one event-loop turn share one write (ioredis auto-pipelining).
      enableAutoPipelining: true,
    }) as RedisClient & RateCommands;
    this.redis.defineCommand('gcra', { numberOfKeys: 1, lua: GCRA_LUA });
    this.redis.on('error', () => undefined);
  }

  /** Connected to Redis: limits are counted (otherwise every request is admitted). */
  get ready(): boolean {
    return this.redis.status === 'ready';
  }

  onApplicationShutdown(): void {
    this.redis.disconnect();
  }

  /** Counts one request against `name`'s limit. */
  take(name: string, limit: RateLimit): Promise<RateDecision> {
    return this.run(name, limit, 1);
  }

  /** Whether a request would be admitted now, without counting one. */
  peek(name: string, limit: RateLimit): Promise<RateDecision> {
    return this.run(name, limit, 0);
  }

  private async run(name: string, limit: RateLimit, consume: 0 | 1): Promise<RateDecision> {
    const burst = Math.max(1, Math.floor(limit.burst));
    const open: RateDecision = {
      admitted: true,
      counted: false,
      limit: burst,
      remaining: burst,
      retryAfterS: 0,
      resetS: 0,
    };
    if (limit.perSecond <= 0 || !this.ready) return open;
    try {
      const intervalUs = Math.max(1, Math.round(1_000_000 / limit.perSecond));
      const [admitted, remaining, retryUs, resetUs] = await this.redis.gcra(
        `${this.prefix}:${name}`,
        intervalUs,
        burst,
        consume,
      );
      return {
        admitted: admitted === 1,
        counted: true,
        limit: burst,
        remaining: Math.max(0, remaining),
        retryAfterS: Math.ceil(retryUs / 1_000_000),
        resetS: Math.ceil(resetUs / 1_000_000),
      };
    } catch (error) {
      this.logger.warn({ err: error }, 'rate limit check failed; admitting the request');
      return open;
    }
  }
}
