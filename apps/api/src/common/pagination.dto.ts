import { z } from 'zod';
import { createZodDto } from 'nestjs-zod';
import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT } from '@app/db';

export const pageQuerySchema = z.object({
  limit: z.coerce
    .number({ error: 'limit must be a number' })
    .int('limit must be a whole number')
    .min(1, 'limit must be at least 1')
    .max(MAX_PAGE_LIMIT, `limit must be at most ${MAX_PAGE_LIMIT}`)
    .default(DEFAULT_PAGE_LIMIT),
  iterator: z.string().max(64, 'iterator is not one this server issued').optional(),
});

export class PageQueryDto extends createZodDto(pageQuerySchema) {}

/** The list envelope the Svix SDKs expect, for OpenAPI. */
export function listOutSchema<T extends z.ZodType>(item: T) {
  return z.object({
    data: z.array(item),
    iterator: z.string().nullable(),
    prevIterator: z.string().nullable(),
    done: z.boolean(),
  });
}
