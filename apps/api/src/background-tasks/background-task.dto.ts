import { z } from 'zod';
import { createZodDto } from 'nestjs-zod';
import type { BackgroundTaskRecord } from '@app/db';
import { listOutSchema, pageQuerySchema } from '../common/pagination.dto';
import { orderSchema } from '../common/svix-fields';

export const BACKGROUND_TASK_KINDS = ['endpoint.recover', 'endpoint.replay', 'dead-letter.redrive'] as const;
const BACKGROUND_TASK_STATUSES = ['running', 'finished', 'failed'] as const;

/** Svix's list filters: `status` and `task`. Svix's other task kinds are accepted and simply match nothing. */
export class BackgroundTaskListQueryDto extends createZodDto(
  pageQuerySchema.extend({
    status: z
      .enum(BACKGROUND_TASK_STATUSES, { error: 'status must be running, finished or failed' })
      .optional(),
    task: z
      .string()
      .max(64, 'task must be at most 64 characters')
      .regex(/^[a-z][a-z0-9._-]*$/, 'task must be a task kind, like endpoint.recover')
      .optional(),
    order: orderSchema.optional(),
  }),
) {}

/** Svix's BackgroundTaskOut (also RecoverOut / ReplayOut, which the SDK reads from the same body). */
export const backgroundTaskOutSchema = z.object({
  id: z.string(),
  status: z.enum(BACKGROUND_TASK_STATUSES),
  task: z.string().describe(`One of ${BACKGROUND_TASK_KINDS.join(', ')}`),
  updatedAt: z.iso.datetime(),
  data: z
    .record(z.string(), z.number())
    .describe(
      'Progress: `messagesSent` for recover and replay; `total`, `processed` and `redriven` for a redrive.',
    ),
});

export class BackgroundTaskOutDto extends createZodDto(backgroundTaskOutSchema) {}
export class BackgroundTaskListOutDto extends createZodDto(listOutSchema(backgroundTaskOutSchema)) {}

export interface BackgroundTaskOut {
  id: string;
  status: BackgroundTaskRecord['status'];
  task: BackgroundTaskRecord['task'];
  updatedAt: Date;
  data: Record<string, unknown>;
}

export function toBackgroundTaskOut(task: BackgroundTaskRecord): BackgroundTaskOut {
  return { id: task.id, status: task.status, task: task.task, updatedAt: task.updatedAt, data: task.data };
}
