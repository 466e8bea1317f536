import { z } from 'zod';

/**
 * The typed job registry: every job the platform runs, its queue and its payload schema. Jobs carry ids
 * only, never secrets or bodies; the worker reloads what it needs from PostgreSQL. A job's name is
 * versioned so a payload change ships as a new name while old jobs drain.
 */
export const QUEUES = {
  /** One job per delivery attempt; a failing endpoint's next attempt is its own delayed job. */
  delivery: 'delivery',
  /** Housekeeping: purges, the sweeper. */
  maintenance: 'maintenance',
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export const JOBS = {
  /** One HTTP attempt of a delivery. `attempt` is the delivery's attempt count the job was made for. */
  DeliveryAttemptV1: {
    queue: QUEUES.delivery,
    schema: z.object({
      deliveryId: z.string().min(1),
      attempt: z.number().int().min(0),
      trigger: z.enum(['scheduled', 'manual']),
    }),
  },
  /** Re-enqueues deliveries that are due but not queued (Redis lost them) or whose worker died. */
  SweepDeliveriesV1: {
    queue: QUEUES.maintenance,
    schema: z.object({}),
  },
  /** Removes a deleted tenant's rows. */
  TenantPurgeV1: {
    queue: QUEUES.maintenance,
    schema: z.object({ tenantId: z.string().min(1) }),
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

/** The job id of a delivery attempt: the same attempt is never queued twice while its job exists. */
export function deliveryJobId(deliveryId: string, attempt: number): string {
  return `${deliveryId}-a${attempt}`;
}

/**
 * The job id of a manual attempt (resend, recover), unique per request: a job of the delivery's earlier
 * schedule with the same attempt number (a delayed first attempt, say) may still exist and would swallow a
 * `deliveryJobId` enqueue. Two jobs for one attempt are harmless: only one claims it.
 */
export function manualDeliveryJobId(deliveryId: string, attempt: number, requestId: string): string {
  return `${deliveryJobId(deliveryId, attempt)}-m${requestId}`;
}
