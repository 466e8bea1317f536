import { Injectable } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import { JobsOptions, Queue } from 'bullmq';
import { JobData, JobName, JOBS, QUEUES, QueueName } from './jobs';

export interface EnqueueRequest<N extends JobName = JobName> {
  name: N;
  data: JobData<N>;
  /** Deterministic ids make a second enqueue of the same work harmless while the job exists. */
  jobId?: string;
  options?: Omit<JobsOptions, 'jobId'>;
}

const ENQUEUE_TIMEOUT_MS = 2_000;

/** The one way to put work on a queue: validates the payload against the registry, batches with addBulk. */
@Injectable()
export class JobProducer {
  private readonly queues: Record<QueueName, Queue>;

  constructor(
    @InjectQueue(QUEUES.delivery) delivery: Queue,
    @InjectQueue(QUEUES.maintenance) maintenance: Queue,
  ) {
    this.queues = { delivery, maintenance };
  }

  /** The queue itself, for what the registry does not cover (job schedulers, counts). */
  queue(name: QueueName): Queue {
    return this.queues[name];
  }

  async enqueue<N extends JobName>(request: EnqueueRequest<N>): Promise<void> {
    await this.enqueueBulk([request]);
  }

  async enqueueBulk(requests: EnqueueRequest[]): Promise<void> {
    const byQueue = new Map<QueueName, Parameters<Queue['addBulk']>[0]>();
    for (const { name, data, jobId, options } of requests) {
      const definition = JOBS[name];
      const payload = definition.schema.parse(data);
      const list = byQueue.get(definition.queue) ?? [];
      list.push({ name, data: payload, opts: { ...options, jobId } });
      byQueue.set(definition.queue, list);
    }
    const adds = Promise.all([...byQueue].map(([queue, jobs]) => this.queues[queue].addBulk(jobs)));
    // BullMQ waits for Redis to come back rather than failing; callers have committed their work to
    // PostgreSQL already and must not hang on Redis, so they get an error to log and the sweeper re-queues.
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`Redis did not accept the jobs within ${ENQUEUE_TIMEOUT_MS} ms`)),
        ENQUEUE_TIMEOUT_MS,
      );
    });
    try {
      await Promise.race([adds, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Readiness: a cheap round trip through BullMQ's own connection. */
  async ping(): Promise<void> {
    await this.queues.maintenance.getJobCounts('wait');
  }
}
