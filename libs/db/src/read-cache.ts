import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { Client, Notification } from 'pg';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { SqlService } from './sql.service';

/** The PostgreSQL channel on which every process announces what it changed. */
const CHANNEL = 'hookrelay_cache';
/** The longest a value is served from memory: a bound on staleness even if a notification was missed. */
const TTL_MS = 30_000;
const MAX_ENTRIES = 50_000;
const RECONNECT_MAX_MS = 10_000;

interface Entry {
  value: unknown;
  /** What the value depends on: a write to any of these evicts it (`tenant:<id>`, `app:<id>`, …). */
  tags: readonly string[];
}

/**
 * Reads made on every message create (API key, tenant settings, application, the application's endpoints)
 * kept in memory, so the hot path does not ask PostgreSQL for what rarely changes. Writers call
 * `invalidate(tag)` after they commit: the entries tagged with it are evicted here at once (so this
 * process's next read is fresh) and in every other API and worker process through PostgreSQL
 * LISTEN/NOTIFY. A value loaded while any invalidation happened is not kept (it may predate the write), a
 * lost notification connection clears everything, and every entry expires after 30 s regardless.
 */
@Injectable()
export class ReadCache implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(ReadCache.name);
  private readonly entries = new LRUCache<string, Entry>({ max: MAX_ENTRIES, ttl: TTL_MS });
  private readonly loading = new Map<string, Promise<unknown>>();
  /** Bumped by every invalidation: a load that saw it change does not store its value. */
  private generation = 0;
  private listener: Client | undefined;
  private closed = false;
  private reconnectDelay = 500;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly sql: SqlService,
  ) {}

  async onModuleInit(): Promise<void> {
    // Without a listener nothing may be cached: another process's write would go unseen.
    await this.listen().catch((error: unknown) => this.listenLater(error));
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    await this.listener?.end().catch(() => undefined);
  }

  /**
   * The cached value for `key`, or `load()`'s, stored under the tags `tagsOf` gives for it (what a write
   * must name to evict it). Concurrent misses share one load.
   */
  async get<T>(key: string, tagsOf: (value: T) => readonly string[], load: () => Promise<T>): Promise<T> {
    const hit = this.entries.get(key);
    if (hit) return hit.value as T;
    const pending = this.loading.get(key);
    if (pending) return pending as Promise<T>;
    const started = this.generation;
    const promise = load()
      .then((value) => {
        if (this.listener && this.generation === started)
          this.entries.set(key, { value, tags: tagsOf(value) });
        return value;
      })
      .finally(() => this.loading.delete(key));
    this.loading.set(key, promise);
    return promise;
  }

  /** Evicts what depends on `tag`, here and (through PostgreSQL) in every other process. Call after commit. */
  async invalidate(tag: string): Promise<void> {
    this.evict(tag);
    await this.sql.query('SELECT pg_notify($1, $2)', [CHANNEL, tag]);
  }

  private evict(tag: string): void {
    this.generation++;
    // Deletes happen on the cold path (configuration changes), so a scan is fine.
    for (const [key, entry] of this.entries.entries()) {
      if (entry.tags.includes(tag)) this.entries.delete(key);
    }
  }

  private async listen(): Promise<void> {
    const client = new Client({ connectionString: this.config.databaseUrl, connectionTimeoutMillis: 3_000 });
    client.on('notification', (message: Notification) => {
      if (message.payload) this.evict(message.payload);
    });
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    await client.connect();
    await client.query(`LISTEN ${CHANNEL}`);
    this.listener = client;
    this.reconnectDelay = 500;
  }

  private lost(client: Client, error: unknown): void {
    if (this.listener !== client) return;
    this.listener = undefined;
    this.generation++;
    this.entries.clear();
    client.end().catch(() => undefined);
    if (!this.closed) this.listenLater(error);
  }

  private listenLater(error: unknown): void {
    if (this.closed) return;
    this.logger.warn({ err: error }, 'cache notifications unavailable; serving reads from PostgreSQL');
    const delay = this.reconnectDelay;
    this.reconnectDelay = Math.min(delay * 2, RECONNECT_MAX_MS);
    setTimeout(() => {
      if (this.closed) return;
      this.listen().catch((e: unknown) => this.listenLater(e));
    }, delay).unref();
  }
}
