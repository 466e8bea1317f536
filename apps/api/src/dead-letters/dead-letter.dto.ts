import { z } from 'zod';
import { createZodDto } from 'nestjs-zod';
import { listOutSchema, pageQuerySchema } from '../common/pagination.dto';
import { isoDateSchema } from '../common/svix-fields';
import { eventTypeNameSchema } from '../event-types/event-type.dto';
import { eventTypesQuery, statusCodeClassQuery } from '../attempts/attempt.dto';

const idOrUid = (field: string) =>
  z.string().min(1, `${field} must not be empty`).max(256, `${field} must be at most 256 characters`);

/**
 * Which dead letters: of one application (id or uid) and one of its endpoints (id or uid; needs `application`),
 * of some event types, failed in [since, until) (by default the whole retention window), with a last response
 * in one status class (0 is "no HTTP response", as Svix's StatusCodeClass).
 */
export class DeadLetterListQueryDto extends createZodDto(
  pageQuerySchema
    .extend({
      application: idOrUid('application').optional(),
      endpoint: idOrUid('endpoint').optional(),
      event_types: eventTypesQuery,
      since: isoDateSchema('since').optional(),
      until: isoDateSchema('until').optional(),
      status_code_class: statusCodeClassQuery.optional(),
    })
    .strict(),
) {}

/** The same filters as the list, in the body, and where to send: each dead letter's endpoint, or `toEndpoint`. */
export class DeadLetterRedriveInDto extends createZodDto(
  z.strictObject({
    application: idOrUid('application').optional(),
    endpoint: idOrUid('endpoint').optional(),
    eventTypes: z.array(eventTypeNameSchema).max(50, 'eventTypes may list at most 50 names').optional(),
    since: isoDateSchema('since').optional(),
    until: isoDateSchema('until').optional(),
    statusCodeClass: z
      .number({ error: 'statusCodeClass must be a number' })
      .refine((n) => [0, 100, 200, 300, 400, 500].includes(n), {
        message: 'statusCodeClass must be one of 0, 100, 200, 300, 400, 500',
      })
      .optional(),
    /** Another endpoint (id or uid) of the same application, to send the dead letters there instead. */
    toEndpoint: idOrUid('toEndpoint').optional(),
  }),
) {}

const deadLetterOut = z.object({
  id: z.string().describe('The failed delivery'),
  appId: z.string(),
  appUid: z.string().nullable(),
  endpointId: z.string(),
  endpointUrl: z.string(),
  msgId: z.string(),
  eventType: z.string(),
  eventId: z.string().nullable(),
  attempts: z.number().int(),
  lastResponseStatusCode: z.number().int().nullable().describe('0: no HTTP response'),
  lastErrorKind: z.string().nullable(),
  createdAt: z.iso.datetime(),
  failedAt: z.iso.datetime(),
});

export class DeadLetterOutDto extends createZodDto(deadLetterOut) {}
export class DeadLetterListOutDto extends createZodDto(listOutSchema(deadLetterOut)) {}
