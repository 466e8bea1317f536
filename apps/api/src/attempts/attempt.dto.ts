import { z } from 'zod';
import { createZodDto } from 'nestjs-zod';
import { listOutSchema, pageQuerySchema } from '../common/pagination.dto';
import { isoDateSchema, withContentQuery } from '../common/svix-fields';
import { channelSchema, eventTypeNameSchema } from '../messages/message.dto';
import { messageOutSchema } from '../messages/message.dto';
import { endpointOutSchema } from '../endpoints/endpoint.dto';

/** Svix's MessageStatus: the wire integer of each delivery/attempt status. */
export const MESSAGE_STATUS = { success: 0, pending: 1, fail: 2, sending: 3, canceled: 4 } as const;
export type MessageStatusName = keyof typeof MESSAGE_STATUS;
const STATUS_NAMES = Object.keys(MESSAGE_STATUS) as MessageStatusName[];

/** Svix's MessageAttemptTriggerType. */
export const TRIGGER_TYPE = { scheduled: 0, manual: 1 } as const;

/** Svix's StatusCodeClass: 0 is "no HTTP response", 100–500 a hundred of status codes. */
const STATUS_CODE_CLASSES = [0, 100, 200, 300, 400, 500];

const statusQuery = z.coerce
  .number({ error: 'status must be a number' })
  .int('status must be a whole number')
  .min(0, 'status must be 0 (success), 1 (pending), 2 (fail), 3 (sending) or 4 (canceled)')
  .max(4, 'status must be 0 (success), 1 (pending), 2 (fail), 3 (sending) or 4 (canceled)')
  .transform((n) => STATUS_NAMES[n]!);

export const statusCodeClassQuery = z.coerce
  .number({ error: 'status_code_class must be a number' })
  .refine((n) => STATUS_CODE_CLASSES.includes(n), {
    message: 'status_code_class must be one of 0, 100, 200, 300, 400, 500',
  })
  .transform((n) => (n === 0 ? { min: 0, max: 99 } : { min: n, max: n + 99 }));

/** Comma-separated, as the svix SDK sends lists in a query string. */
export const eventTypesQuery = z
  .preprocess((v) => (typeof v === 'string' ? v.split(',') : v), z.array(eventTypeNameSchema).max(50))
  .optional();

const filters = {
  status: statusQuery.optional(),
  channel: channelSchema.optional(),
  tag: z.string().max(128, 'tag must be at most 128 characters').optional(),
  event_types: eventTypesQuery,
  before: isoDateSchema('before').optional(),
  after: isoDateSchema('after').optional(),
  with_content: withContentQuery,
  /** Svix reports canceled attempts as success unless asked; Hookrelay always reports the real status. */
  expanded_statuses: z.stringbool().optional(),
};

export class AttemptListByEndpointQueryDto extends createZodDto(
  pageQuerySchema.extend({
    ...filters,
    status_code_class: statusCodeClassQuery.optional(),
    with_msg: z.stringbool().optional(),
  }),
) {}

export class AttemptListByMsgQueryDto extends createZodDto(
  pageQuerySchema.extend({
    ...filters,
    status_code_class: statusCodeClassQuery.optional(),
    endpoint_id: z.string().min(1).max(256, 'endpoint_id must be at most 256 characters').optional(),
  }),
) {}

export class AttemptedMessagesQueryDto extends createZodDto(pageQuerySchema.extend(filters)) {}

export class AttemptedDestinationsQueryDto extends createZodDto(pageQuerySchema) {}

export class AttemptGetQueryDto extends createZodDto(
  z.object({ expanded_statuses: z.stringbool().optional() }),
) {}

const statusFields = {
  status: z.number().int().min(0).max(4),
  statusText: z.enum(STATUS_NAMES as [MessageStatusName, ...MessageStatusName[]]),
};

const messageOut = messageOutSchema;

const messageAttemptOut = z.object({
  id: z.string(),
  msgId: z.string(),
  endpointId: z.string(),
  url: z.string(),
  response: z.string(),
  responseStatusCode: z.number().int(),
  responseDurationMs: z.number().int(),
  ...statusFields,
  triggerType: z.number().int().min(0).max(1),
  timestamp: z.iso.datetime(),
  msg: messageOut.optional(),
});

/** An attempted destination: the endpoint's shape (without metadata, as Svix) and its delivery's state. */
export const messageEndpointOutSchema = endpointOutSchema
  .omit({ metadata: true })
  .extend({ ...statusFields, nextAttempt: z.iso.datetime().nullable() });

const endpointMessageOut = messageOut.extend({ ...statusFields, nextAttempt: z.iso.datetime().nullable() });

export class MessageAttemptOutDto extends createZodDto(messageAttemptOut) {}
export class MessageAttemptListOutDto extends createZodDto(listOutSchema(messageAttemptOut)) {}
export class MessageEndpointListOutDto extends createZodDto(listOutSchema(messageEndpointOutSchema)) {}
export class EndpointMessageListOutDto extends createZodDto(listOutSchema(endpointMessageOut)) {}
