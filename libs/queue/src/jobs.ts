import { z } from 'zod';

/**
 * The typed job registry: every job the platform runs, its queue and its payload schema. Jobs carry ids
 * only, never secrets or bodies; the worker reloads what it needs from PostgreSQL. A job's name is
 * versioned so a payload change ships as a new name while old jobs drain.
 */
export const QUEUES = {
  maintenance: 'maintenance',
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export const JOBS = {
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
