import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { createRedis, type RedisClient } from '@app/queue';
import type { RelayRequest, RelayResponse } from './relay.protocol';

interface BusRequest extends RelayRequest {
  replyTo: string;
}

/**
 * Relayed deliveries between API processes, over Redis pub/sub. A `hookrelay listen` socket lives in one API
 * process, while the delivery engine's POST to the relay URL may reach any other behind the load balancer:
 * that one publishes the request on the token's channel, the process holding the socket (subscribed to it)
 * passes it down and publishes the answer on the asker's own channel. Nothing is stored in Redis.
 */
@Injectable()
export class RelayBus implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RelayBus.name);
  private readonly instance = randomUUID();
  private readonly waiting = new Map<string, (response: RelayResponse) => void>();
  private readonly served = new Map<string, (request: RelayRequest) => Promise<RelayResponse | undefined>>();
  private subscriber?: RedisClient;
  private publisher?: RedisClient;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  private channel(kind: 'req' | 'res', name: string): string {
    return `${this.config.redis.prefix}:relay:${kind}:${name}`;
  }

  onModuleInit(): void {
    this.subscriber = createRedis(this.config.redis, { lazyConnect: false });
    // Fails at once while Redis is away (the relay then answers 503 and the delivery is retried).
    this.publisher = createRedis(this.config.redis, { lazyConnect: false, enableOfflineQueue: false });
    for (const client of [this.subscriber, this.publisher]) client.on('error', () => undefined);
    this.subscriber.on('message', (channel: string, text: string) => void this.onMessage(channel, text));
    void this.subscriber.subscribe(this.channel('res', this.instance)).catch((error: unknown) => {
      this.logger.warn({ err: error }, 'relay bus unavailable; relaying within this process only');
    });
  }

  onApplicationShutdown(): void {
    this.subscriber?.disconnect();
    this.publisher?.disconnect();
  }

  /** Serves a token held by this process: requests published for it come to `handler`. */
  async serve(
    token: string,
    handler: (request: RelayRequest) => Promise<RelayResponse | undefined>,
  ): Promise<void> {
    this.served.set(token, handler);
    await this.subscriber?.subscribe(this.channel('req', token)).catch(() => undefined);
  }

  async unserve(token: string): Promise<void> {
    this.served.delete(token);
    await this.subscriber?.unsubscribe(this.channel('req', token)).catch(() => undefined);
  }

  /**
   * Asks whichever process holds `token`: its answer, undefined when it did not answer within `waitMs`, or
   * 'absent' when no process holds it (or Redis cannot be reached).
   */
  async request(
    token: string,
    request: RelayRequest,
    waitMs: number,
  ): Promise<RelayResponse | undefined | 'absent'> {
    if (!this.publisher) return 'absent';
    const message: BusRequest = { ...request, replyTo: this.channel('res', this.instance) };
    const answer = new Promise<RelayResponse | undefined>((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(request.id);
        resolve(undefined);
      }, waitMs);
      this.waiting.set(request.id, (response) => {
        clearTimeout(timer);
        this.waiting.delete(request.id);
        resolve(response);
      });
    });
    let receivers: number;
    try {
      receivers = await this.publisher.publish(this.channel('req', token), JSON.stringify(message));
    } catch {
      receivers = 0;
    }
    if (receivers === 0) {
      this.waiting.get(request.id)?.({ type: 'response', id: request.id, status: 0 });
      return 'absent';
    }
    return answer;
  }

  private async onMessage(channel: string, text: string): Promise<void> {
    let message: BusRequest | RelayResponse;
    try {
      message = JSON.parse(text) as BusRequest | RelayResponse;
    } catch {
      return;
    }
    if (message.type === 'response') {
      this.waiting.get(message.id)?.(message);
      return;
    }
    const token = channel.slice(this.channel('req', '').length);
    const handler = this.served.get(token);
    if (!handler || message.type !== 'request') return;
    const response = await handler(message);
    if (!response) return;
    await this.publisher?.publish(message.replyTo, JSON.stringify(response)).catch(() => undefined);
  }
}
