import { z } from 'zod';
import { createZodDto } from 'nestjs-zod';
import { listOutSchema, pageQuerySchema } from '../common/pagination.dto';
import { isoDateSchema } from '../common/svix-fields';
import { eventTypesQuery } from '../attempts/attempt.dto';

const idOrUid = (field: string) =>
  z.string().min(1, `${field} must not be empty`).max(256, `${field} must be at most 256 characters`);

/** Whose statistics (the tenant's by default), over which range, in which buckets. */
export class DeliveryStatsQueryDto extends createZodDto(
  z
    .object({
      application: idOrUid('application').optional(),
      endpoint: idOrUid('endpoint').optional(),
      since: isoDateSchema('since').optional(),
      until: isoDateSchema('until').optional(),
      interval: z
        .enum(['minute', 'hour', 'day'], { error: 'interval must be minute, hour or day' })
        .default('hour'),
    })
    .strict(),
) {}

const percentiles = {
  p50: z.number().nullable(),
  p95: z.number().nullable(),
  p99: z.number().nullable(),
};

export class DeliveryStatsOutDto extends createZodDto(
  z.object({
    since: z.iso.datetime(),
    until: z.iso.datetime(),
    interval: z.enum(['minute', 'hour', 'day']),
    buckets: z
      .array(
        z.object({
          start: z.iso.datetime(),
          success: z.number().int(),
          fail: z.number().int(),
          ...percentiles,
        }),
      )
      .describe(
        'Attempts by outcome and response time (ms) percentiles, one entry per interval of the range',
      ),
    totals: z.object({ success: z.number().int(), fail: z.number().int(), ...percentiles }),
    timeToFirstAttempt: z
      .object(percentiles)
      .describe('From when a message was due to the start of its first attempt, in ms'),
    queueLagMs: z.number().int().describe('How long the oldest due delivery has been waiting now, in ms'),
  }),
) {}

/** Messages of any application: by eventId, tag, event types and creation time. */
export class MessageSearchQueryDto extends createZodDto(
  pageQuerySchema
    .extend({
      application: idOrUid('application').optional(),
      event_id: z.string().min(1).max(256, 'event_id must be at most 256 characters').optional(),
      tag: z.string().min(1).max(128, 'tag must be at most 128 characters').optional(),
      event_types: eventTypesQuery,
      since: isoDateSchema('since').optional(),
      until: isoDateSchema('until').optional(),
    })
    .strict(),
) {}

const foundMessage = z.object({
  id: z.string(),
  appId: z.string(),
  appUid: z.string().nullable(),
  eventType: z.string(),
  eventId: z.string().nullable(),
  channels: z.array(z.string()).nullable(),
  tags: z.array(z.string()).nullable(),
  timestamp: z.iso.datetime(),
});

export class MessageSearchOutDto extends createZodDto(listOutSchema(foundMessage)) {}
