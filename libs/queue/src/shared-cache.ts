import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { createRedis, type RedisClient } from './redis-connection';

/**
 * Short-lived values that every process shares through Redis (`<QUEUE_PREFIX>:shared:<name>`), for work one
 * process should do and the others reuse (an OAuth2 token toward a receiver): a value with a time to live and
 * a claim (`SET NX`) saying "I am doing it". Values are stored as given: seal anything secret first. Fail fast, never queue, like the rate limiter: when Redis cannot answer at once a
 * read misses, a write is dropped and a claim is granted, so the caller does the work itself, as if alone.
 */
@Injectable()
export class SharedCache implements OnApplicationShutdown {
  private readonly logger = new Logger(SharedCache.name);
  private readonly redis: RedisClient;
  private readonly prefix: string;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.prefix = `${config.redis.prefix}:shared`;
    this.redis = createRedis(config.redis, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: 250,
      lazyConnect: false,
    });
    this.redis.on('error', () => undefined);
  }

  /** Connected to Redis: values are shared (otherwise every read misses). */
  get ready(): boolean {
    return this.redis.status === 'ready';
  }

  onApplicationShutdown(): void {
    this.redis.disconnect();
  }

  /** The value, or null when there is none (or Redis did not answer). */
  get(name: string): Promise<string | null> {
    return this.run(() => this.redis.get(this.key(name)), null);
  }

  /** Stores `value` for `ttlMs` (at least 1 ms), replacing any. */
  async set(name: string, value: string, ttlMs: number): Promise<void> {
    await this.run(() => this.redis.set(this.key(name), value, 'PX', Math.max(1, Math.ceil(ttlMs))), null);
  }

  /**
   * True when this process may do the work named `name`: no other process claimed it in the last `ttlMs`
   * (or Redis did not answer). Release it when done; a process that dies lets it lapse after `ttlMs`.
   */
  claim(name: string, ttlMs: number): Promise<boolean> {
    return this.run(
      async () => (await this.redis.set(this.key(name), '1', 'PX', Math.max(1, ttlMs), 'NX')) === 'OK',
      true,
    );
  }

  /** True while a claim on `name` holds (false when Redis did not answer: nobody is waited for). */
  claimed(name: string): Promise<boolean> {
    return this.run(async () => (await this.redis.exists(this.key(name))) === 1, false);
  }

  async release(name: string): Promise<void> {
    await this.run(() => this.redis.del(this.key(name)), 0);
  }

  private key(name: string): string {
    return `${this.prefix}:${name}`;
  }

  private async run<T>(command: () => Promise<T>, fallback: T): Promise<T> {
    if (!this.ready) return fallback;
    try {
      return await command();
    } catch (error) {
      this.logger.warn({ err: error }, 'shared cache unavailable; going on without it');
      return fallback;
    }
  }
}
