import { z } from 'zod';
import { createZodDto } from 'nestjs-zod';
import { pageQuerySchema } from '../common/pagination.dto';
import { knownField } from '../common/ignored-fields';
import { isoDateSchema, orderSchema, withContentQuery } from '../common/svix-fields';

/** Messages one bulk-expunge call may name (Svix sets no bound; a request must have one). */
export const MAX_BULK_EXPUNGE = 1000;
import { applicationInSchema } from '../applications/application.dto';

const token = (field: string, max: number) =>
  z
    .string()
    .min(1, `${field} must not be empty`)
    .max(max, `${field} must be at most ${max} characters`)
    .regex(/^[a-zA-Z0-9\-_.]+$/, `${field} may contain only letters, digits, "-", "_" and "."`);

export const eventTypeNameSchema = token('eventType', 256);
export const channelSchema = token('channel', 128);

const messageIn = z.strictObject({
  eventType: eventTypeNameSchema,
  payload: z.record(z.string(), z.unknown(), { error: 'payload must be a JSON object' }),
  eventId: token('eventId', 256).nullish(),
  channels: z
    .array(channelSchema)
    .min(1, 'channels must not be empty')
    .max(10, 'at most 10 channels')
    .nullish(),
  tags: z
    .array(
      z
        .string()
        .min(1)
        .max(128, 'tags must be at most 128 characters')
        .regex(/^[a-zA-Z0-9\-_./\\#]+$/, 'tags may contain only letters, digits and - _ . / \\ #'),
    )
    .max(5, 'at most 5 tags')
    .nullish(),
  deliverAt: isoDateSchema('deliverAt').nullish(),
  /** Hookrelay extension: same-key messages reach each endpoint one at a time, in accept order. */
  orderingKey: z
    .string({ error: 'orderingKey must be a string' })
    .min(1, 'orderingKey must not be empty')
    .max(128, 'orderingKey must be at most 128 characters')
    .nullish()
    .describe(
      'Hookrelay extension: messages with the same key reach each endpoint one at a time, in the order they ' +
        'were accepted; the next waits until the previous one succeeded or was dead-lettered. See docs/ordering.md.',
    ),
  /** Creates the application (with the path as uid) when it does not exist yet, as Svix allows. */
  application: applicationInSchema.nullish(),
  payloadRetentionPeriod: knownField('payloadRetentionPeriod', z.number().int().min(1).max(90).nullish()),
  payloadRetentionHours: knownField('payloadRetentionHours', z.number().int().min(1).nullish()),
  transformationsParams: knownField('transformationsParams', z.unknown().optional()),
});

export class MessageInDto extends createZodDto(messageIn) {}

export class MessageContentQueryDto extends createZodDto(z.object({ with_content: withContentQuery })) {}

/** Svix's BulkExpungeContentsIn: ids or eventIds of the application's messages; absent means none, as Svix. */
export class MessageBulkExpungeInDto extends createZodDto(
  z
    .strictObject({
      ids: z
        .array(
          z
            .string()
            .min(1, 'ids must not contain empty strings')
            .max(256, 'each id must be at most 256 characters'),
        )
        .max(MAX_BULK_EXPUNGE, `ids may have at most ${MAX_BULK_EXPUNGE} items`)
        .default([]),
    })
    .default({ ids: [] }),
) {}

export class MessageBulkExpungeOutDto extends createZodDto(
  z.object({
    results: z
      .record(z.string(), z.enum(['expunged', 'not-found']))
      .describe('Each id or eventId asked for: expunged, or not-found in this application.'),
  }),
) {}

const list = (item: z.ZodString) =>
  z.preprocess((v) => (typeof v === 'string' ? v.split(',') : v), z.array(item).max(50)).optional();

export class MessageListQueryDto extends createZodDto(
  pageQuerySchema.extend({
    order: orderSchema.optional(),
    event_types: list(eventTypeNameSchema),
    channel: channelSchema.optional(),
    tag: z.string().max(128).optional(),
    before: isoDateSchema('before').optional(),
    after: isoDateSchema('after').optional(),
    with_content: withContentQuery,
  }),
) {}

export const messageOutSchema = z.object({
  id: z.string(),
  eventType: z.string(),
  eventId: z.string().nullable(),
  payload: z.record(z.string(), z.unknown()),
  channels: z.array(z.string()).nullable(),
  tags: z.array(z.string()).nullable(),
  deliverAt: z.iso.datetime().nullable(),
  timestamp: z.iso.datetime(),
  orderingKey: z
    .string()
    .optional()
    .describe('Hookrelay extension: the ordering key, when the message has one.'),
});

export class MessageOutDto extends createZodDto(messageOutSchema) {}
