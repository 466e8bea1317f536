import { z } from 'zod';
import { createZodDto } from 'nestjs-zod';

const name = z
  .string({ error: (issue) => (issue.input === undefined ? 'name is required' : 'name must be a string') })
  .trim()
  .min(1, 'name must not be empty')
  .max(256, 'name must be at most 256 characters');

export class TenantCreateDto extends createZodDto(z.object({ name }).strict()) {}

export class ApiKeyCreateDto extends createZodDto(z.object({ name: name.optional() }).strict().default({})) {}

/** Bounds of a tenant's retention, in days (the retention loop's SQL reads the same key). */
export const RETENTION_DAYS_MIN = 1;
export const RETENTION_DAYS_MAX = 3650;

const settings = z.object({
  rejectUnknownEventTypes: z.boolean(),
  retentionDays: z
    .number({ error: 'retentionDays must be a whole number of days' })
    .int('retentionDays must be a whole number of days')
    .min(RETENTION_DAYS_MIN, `retentionDays must be at least ${RETENTION_DAYS_MIN}`)
    .max(RETENTION_DAYS_MAX, `retentionDays must be at most ${RETENTION_DAYS_MAX} (10 years)`)
    .describe(
      'Days messages (payloads), deliveries and attempts are kept before the retention job deletes them; ' +
        'default 30. Messages with a delivery still pending are kept until it ends.',
    ),
  requireEndpointVerification: z
    .boolean()
    .describe('Every new endpoint must pass ownership verification before it receives events.'),
  rateLimitPerSecond: z
    .number({ error: 'rateLimitPerSecond must be a number of requests per second, or null' })
    .int('rateLimitPerSecond must be a whole number')
    .min(1, 'rateLimitPerSecond must be at least 1')
    .max(1_000_000, 'rateLimitPerSecond must be at most 1000000')
    .nullable()
    .describe("API requests per second for this tenant; null: the server's RATE_LIMIT_PER_SECOND."),
});

export class TenantSettingsPatchDto extends createZodDto(settings.partial().strict()) {}

export class TenantSettingsOutDto extends createZodDto(settings) {}

export class TenantOutDto extends createZodDto(
  z.object({ id: z.string(), name: z.string(), createdAt: z.iso.datetime() }),
) {}

export class TenantCreatedOutDto extends createZodDto(
  z.object({
    id: z.string(),
    name: z.string(),
    createdAt: z.iso.datetime(),
    apiKey: z.string().describe('The tenant’s first API key. It is shown only in this response.'),
  }),
) {}

export class ApiKeyOutDto extends createZodDto(
  z.object({ id: z.string(), name: z.string(), prefix: z.string(), createdAt: z.iso.datetime() }),
) {}

export class ApiKeyCreatedOutDto extends createZodDto(
  z.object({
    id: z.string(),
    name: z.string(),
    prefix: z.string(),
    key: z.string().describe('The API key. It is shown only in this response.'),
    createdAt: z.iso.datetime(),
  }),
) {}
