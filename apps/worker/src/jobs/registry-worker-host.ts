import type { BeforeApplicationShutdown } from '@nestjs/common';
import { WorkerHost } from '@nestjs/bullmq';
import { Job, UnrecoverableError } from 'bullmq';
import { isJobName, JobData, JobName, JOBS } from '@app/queue';
import type { JobHandler, JobHandlers } from './job-handlers';

/**
 * Processors are transport: parse the job against the registry, call its handler, return. A job that can
 * never succeed (unknown name, bad payload) is failed with UnrecoverableError; anything else a handler
 * throws is an infrastructure fault and BullMQ retries it.
 */
export abstract class RegistryWorkerHost extends WorkerHost implements BeforeApplicationShutdown {
  protected constructor(private readonly handlers: JobHandlers) {
    super();
  }

  /**
   * Graceful shutdown: stop taking jobs and wait for the running ones before the database connections
   * close (they close in onApplicationShutdown), so an in-flight attempt is still recorded.
   */
  async beforeApplicationShutdown(): Promise<void> {
    await this.worker.close();
  }

  async process(job: Job, token?: string): Promise<unknown> {
    if (!isJobName(job.name)) throw new UnrecoverableError(`Unknown job name ${job.name}.`);
    const parsed = JOBS[job.name].schema.safeParse(job.data);
    if (!parsed.success) {
      throw new UnrecoverableError(`Job ${job.name} has an invalid payload: ${parsed.error.message}`);
    }
    return runHandler(this.handlers, job.name, parsed.data, job, token);
  }
}

/** Generic over the name, so a handler is called with its own payload type, whatever the registry holds. */
function runHandler<N extends JobName>(
  handlers: JobHandlers,
  name: N,
  data: JobData<N>,
  job: Job,
  token: string | undefined,
): Promise<unknown> {
  const handler: JobHandler<N> = handlers[name];
  return handler(data, job, token);
}
