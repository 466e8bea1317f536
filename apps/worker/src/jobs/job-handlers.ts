import type { Job } from 'bullmq';
import { JobData, JobName, JOBS, QueueName } from '@app/queue';

/** `token` is the job's lock token, which moving the job (e.g. deferring it) needs. */
export type JobHandler<N extends JobName> = (data: JobData<N>, job: Job, token?: string) => Promise<unknown>;

/** One handler per job of the registry; the type makes a missing handler a compile error. */
export type JobHandlers = { [N in JobName]: JobHandler<N> };

export const JOB_HANDLERS = Symbol('JOB_HANDLERS');

/** The start-up check behind the type: every job has a handler and every queue a processor. */
export function assertRegistryComplete(handlers: JobHandlers, processedQueues: readonly QueueName[]): void {
  for (const name of Object.keys(JOBS) as JobName[]) {
    if (typeof handlers[name] !== 'function') throw new Error(`Job ${name} has no handler in the worker.`);
    if (!processedQueues.includes(JOBS[name].queue)) {
      throw new Error(`Queue ${JOBS[name].queue} (job ${name}) has no processor in the worker.`);
    }
  }
}
