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

/** The one way to put work on a queue: validates the payload against the registry, batches with addBulk. */
@Injectable()
export class JobProducer {
  private readonly queues: Record<QueueName, Queue>;

  constructor(@InjectQueue(QUEUES.maintenance) maintenance: Queue) {
    this.queues = { maintenance };
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
    await Promise.all([...byQueue].map(([queue, jobs]) => this.queues[queue].addBulk(jobs)));
  }

  /** Readiness: a cheap round trip through BullMQ's own connection. */
  async ping(): Promise<void> {
    await this.queues.maintenance.getJobCounts('wait');
  }
}
