import { z } from 'zod';
import { createZodDto } from 'nestjs-zod';
import { isoDateSchema } from '../common/svix-fields';
import { eventTypeNameSchema } from '../event-types/event-type.dto';

/** Svix's RecoverIn and ReplayIn: messages created in [since, until); no `until` means up to now. */
const windowIn = z.strictObject({
  since: isoDateSchema('since'),
  until: isoDateSchema('until').nullish(),
});

export class RecoverInDto extends createZodDto(windowIn) {}

export class ReplayInDto extends createZodDto(windowIn) {}

export class EndpointStatsQueryDto extends createZodDto(
  z.object({
    since: isoDateSchema('since').optional(),
    until: isoDateSchema('until').optional(),
  }),
) {}

export class EventExampleInDto extends createZodDto(
  z.strictObject({
    eventType: eventTypeNameSchema,
    /** Which of the schema's `examples` to send; the first by default. */
    exampleIndex: z
      .number({ error: 'exampleIndex must be a number' })
      .int('exampleIndex must be a whole number')
      .min(0, 'exampleIndex must be at least 0')
      .optional(),
  }),
) {}

export class EndpointStatsOutDto extends createZodDto(
  z.object({
    success: z.number().int(),
    pending: z.number().int(),
    sending: z.number().int(),
    fail: z.number().int(),
    canceled: z.number().int(),
  }),
) {}
