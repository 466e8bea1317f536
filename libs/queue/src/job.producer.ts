import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import DataLoader from 'dataloader';
import { JobsOptions, Queue, RedisOptions as BullRedisOptions } from 'bullmq';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { deliveryJobId, JobData, JobName, JOBS, QUEUES, QueueName } from './jobs';
import { createRedis, type RedisClient } from './redis-connection';

export interface EnqueueRequest<N extends JobName = JobName> {
  name: N;
  data: JobData<N>;
  /** Deterministic ids make a second enqueue of the same work harmless while the job exists. */
  jobId?: string;
  options?: Omit<JobsOptions, 'jobId'>;
}

/** A delivery to queue: its job carries this fence; `dueAt` in the future delays the job until then. */
export interface DeliveryToQueue {
  id: string;
  fence: number;
  tenantId: string;
  applicationId: string;
  endpointId: string;
  dueAt?: Date | null;
}

/** Redis is not connected: the caller's work is committed in PostgreSQL and the reconciler will queue it. */
export class QueueUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueueUnavailableError';
  }
}

/** How long an enqueue may take before its caller stops waiting (the reconciler queues it later). */
export const ENQUEUE_TIMEOUT_MS = 500;

const DELIVERY_JOB_OPTIONS: JobsOptions = {
  // PostgreSQL keeps every attempt; a finished job is removed at once (history lives in the database).
  removeOnComplete: true,
  removeOnFail: true,
  // Retries here are for infrastructure faults (a database error); receiver failures are data.
  attempts: 3,
  backoff: { type: 'exponential', delay: 1000 },
};

/**
 * The one way to put work on a queue: validates the payload against the registry, batches with addBulk.
 * Its Redis connection has no offline queue: while Redis is down an enqueue fails at once instead of stalling
 * the request that committed the work (BullMQ's own advice for producers); PostgreSQL holds the work and the
 * reconciler queues it once Redis is back. Workers keep BullMQ's own connections, which wait for Redis.
 */
@Injectable()
export class JobProducer implements OnApplicationShutdown {
  private readonly logger = new Logger(JobProducer.name);
  private readonly redis: RedisClient;
  private readonly queues: Record<QueueName, Queue>;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.redis = createRedis(config.redis, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2_000,
    });
    // Connection errors are reported through `ready` and the enqueue errors; ioredis keeps reconnecting.
    this.redis.on('error', () => undefined);
    const connection = this.redis as unknown as BullRedisOptions;
    this.queues = {
      delivery: new Queue(QUEUES.delivery, {
        connection,
        prefix: config.redis.prefix,
        defaultJobOptions: DELIVERY_JOB_OPTIONS,
      }),
    };
    for (const queue of Object.values(this.queues)) queue.on('error', () => undefined);
  }

  /** True while the producer's Redis connection is up. */
  get ready(): boolean {
    return this.redis.status === 'ready';
  }

  /** The queue itself, for what the registry does not cover (counts, the queue UI, tests). */
  queue(name: QueueName): Queue {
    return this.queues[name];
  }

  async enqueue<N extends JobName>(request: EnqueueRequest<N>): Promise<void> {
    await this.enqueueBulk([request]);
  }

  /** Throws QueueUnavailableError at once while Redis is down, or after ENQUEUE_TIMEOUT_MS. */
  async enqueueBulk(requests: EnqueueRequest[]): Promise<void> {
    if (requests.length === 0) return;
    if (!this.ready) throw new QueueUnavailableError(`Redis is not connected (${this.redis.status})`);
    const byQueue = new Map<QueueName, Parameters<Queue['addBulk']>[0]>();
    for (const { name, data, jobId, options } of requests) {
      const definition = JOBS[name];
      const payload = definition.schema.parse(data);
      const list = byQueue.get(definition.queue) ?? [];
      list.push({ name, data: payload, opts: { ...options, jobId } });
      byQueue.set(definition.queue, list);
    }
    const adds = Promise.all([...byQueue].map(([queue, jobs]) => this.queues[queue].addBulk(jobs)));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(new QueueUnavailableError(`Redis did not accept the jobs within ${ENQUEUE_TIMEOUT_MS} ms`)),
        ENQUEUE_TIMEOUT_MS,
      );
    });
    try {
      await Promise.race([adds, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Queues the next attempt of each delivery (the one way delivery jobs are built). Never throws: the
   * deliveries are committed in PostgreSQL already, so a refusal is logged and the reconciler queues them.
   * Calls made within a couple of milliseconds of each other share one `addBulk`. Returns whether Redis took
   * them.
   */
  async enqueueDeliveries(deliveries: DeliveryToQueue[], context: string): Promise<boolean> {
    if (deliveries.length === 0) return true;
    const taken = await this.deliveryJobs.loadMany(deliveries.map((delivery) => ({ delivery, context })));
    return taken.every((ok) => ok === true);
  }

  /**
   * Like enqueueDeliveries, for deliveries whose job most likely still exists (the reconciler's walk over a
   * backlog that is merely waiting its turn): one pipelined EXISTS per job first, so only the missing ones
   * are added. Returns how many were added, or null if Redis did not answer (nothing was added).
   */
  async enqueueMissingDeliveries(deliveries: DeliveryToQueue[], context: string): Promise<number | null> {
    if (deliveries.length === 0) return 0;
    if (!this.ready) return null;
    const queue = this.queues.delivery;
    const pipeline = this.redis.pipeline();
    for (const d of deliveries) pipeline.exists(queue.toKey(deliveryJobId(d.id, d.fence)));
    let answers: [Error | null, unknown][] | null;
    try {
      answers = await pipeline.exec();
    } catch {
      return null;
    }
    if (!answers) return null;
    const missing = deliveries.filter((_, i) => answers[i]?.[0] !== null || answers[i]?.[1] !== 1);
    if (missing.length === 0) return 0;
    return (await this.enqueueDeliveries(missing, context)) ? missing.length : null;
  }

  private readonly deliveryJobs = new DataLoader<{ delivery: DeliveryToQueue; context: string }, boolean>(
    (batch) => this.addDeliveryJobs(batch),
    { cache: false, maxBatchSize: 1000, batchScheduleFn: (run) => setTimeout(run, 1) },
  );

  private async addDeliveryJobs(
    batch: readonly { delivery: DeliveryToQueue; context: string }[],
  ): Promise<boolean[]> {
    const now = Date.now();
    try {
      await this.enqueueBulk(
        batch.map(({ delivery: d }) => ({
          name: 'DeliveryAttemptV2' as const,
          data: {
            deliveryId: d.id,
            fence: d.fence,
            tenantId: d.tenantId,
            applicationId: d.applicationId,
            endpointId: d.endpointId,
          },
          jobId: deliveryJobId(d.id, d.fence),
          options: d.dueAt && d.dueAt.getTime() > now ? { delay: d.dueAt.getTime() - now } : undefined,
        })),
      );
      return batch.map(() => true);
    } catch (error) {
      const contexts = [...new Set(batch.map((b) => b.context))];
      this.logger.warn(
        { err: error, deliveries: batch.length, contexts },
        'could not queue deliveries; the reconciler will',
      );
      return batch.map(() => false);
    }
  }

  /**
   * Moves delayed delivery jobs to the front of their wait now (flow control wakes the jobs waiting in a cap's
   * line when a slot frees). A job no longer delayed (it came back by itself, or is gone) is left as it is.
   */
  async promote(jobIds: readonly string[]): Promise<void> {
    // Best effort: a job not woken comes back at the place flow control gave it.
    const queue = this.queues.delivery;
    await Promise.all(
      jobIds.map(async (id) => {
        try {
          const job = await queue.getJob(id);
          await job?.promote();
        } catch {
          // no longer delayed, gone, or Redis unreachable: nothing to do
        }
      }),
    );
  }

  /** Readiness: a round trip on the producer's connection (fails at once while Redis is down). */
  async ping(): Promise<void> {
    await this.redis.ping();
  }

  async onApplicationShutdown(): Promise<void> {
    // Disconnecting first also stops ioredis reconnecting to a Redis that is down, which would keep the
    // process alive; the queues share this connection, so closing them only drops their listeners.
    this.redis.disconnect();
    await Promise.all(Object.values(this.queues).map((q) => q.close()));
  }
}
