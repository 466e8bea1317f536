import { z } from 'zod';

/**
 * The typed job registry: every job the platform runs, its queue and its payload schema. Jobs carry ids
 * only, never secrets or bodies; the worker reloads what it needs from PostgreSQL. A job's name is
 * versioned so a payload change ships as a new name while old jobs drain. Periodic work (the reconciler,
 * purges) is not a job: it runs from PostgreSQL, so it survives whatever Redis loses.
 */
export const QUEUES = {
  /** One job per delivery attempt; a failing endpoint's next attempt is its own delayed job. */
  delivery: 'delivery',
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export const JOBS = {
  /**
   * One HTTP attempt of a delivery. `fence` is the delivery's fence when the attempt was scheduled: a job
   * whose fence is no longer the delivery's (it was claimed or rescheduled since) does nothing. Whose
   * delivery it is rides along (ids only) so the worker can apply flow control before touching PostgreSQL.
   */
  DeliveryAttemptV2: {
    queue: QUEUES.delivery,
    schema: z.object({
      deliveryId: z.string().min(1),
      fence: z.number().int().min(0),
      tenantId: z.string().min(1),
      applicationId: z.string().min(1),
      endpointId: z.string().min(1),
    }),
  },
} as const satisfies Record<string, { queue: QueueName; schema: z.ZodType }>;

export type JobName = keyof typeof JOBS;
export type JobData<N extends JobName> = z.infer<(typeof JOBS)[N]['schema']>;

export function isJobName(name: string): name is JobName {
  return Object.hasOwn(JOBS, name);
}

export function jobNamesOf(queue: QueueName): JobName[] {
  return (Object.keys(JOBS) as JobName[]).filter((name) => JOBS[name].queue === queue);
}

/**
 * The job id of a delivery attempt. Every scheduling of a delivery moves its fence, so each schedule has its
 * own id: a new schedule is never swallowed by a job of an old one, and queueing the same schedule twice (the
 * reconciler after a lost enqueue) is harmless while its job exists.
 */
export function deliveryJobId(deliveryId: string, fence: number): string {
  return `${deliveryId}-f${fence}`;
}
