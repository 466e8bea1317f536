import { z } from 'zod';
import { createZodDto } from 'nestjs-zod';
import { listOutSchema, pageQuerySchema } from '../common/pagination.dto';
import { knownField } from '../common/ignored-fields';
import { orderSchema } from '../common/svix-fields';

/** Svix's rule for event type names, feature flags and group names (`validate_limited_str`). */
const LIMITED = /^[a-zA-Z0-9\-_.]+$/;

function limitedString(field: string) {
  return z
    .string()
    .min(1, `${field} must not be empty`)
    .max(256, `${field} must be at most 256 characters`)
    .regex(LIMITED, `${field} may contain only letters, digits, "-", "_" and "."`);
}

/** Also what an endpoint's `filterTypes` entries must look like. */
export const eventTypeNameSchema = limitedString('event type name');

/** JSON Schemas by version (`{"1": {...}}`), each a JSON object. */
const schemasSchema = z.record(
  z.string(),
  z.record(z.string(), z.unknown(), { error: 'each version must map to a JSON Schema object' }),
);

const eventTypeFields = {
  description: z.string({ error: 'description must be a string' }),
  archived: z.boolean().optional(),
  deprecated: z.boolean().optional(),
  schemas: schemasSchema.nullish(),
  featureFlags: z.array(limitedString('feature flag')).nullish(),
  featureFlag: knownField('featureFlag', limitedString('feature flag').nullish()),
  groupName: limitedString('groupName').nullish(),
};

export class EventTypeInDto extends createZodDto(
  z.strictObject({ name: eventTypeNameSchema, ...eventTypeFields }),
) {}

export class EventTypeUpdateDto extends createZodDto(z.strictObject(eventTypeFields)) {}

export class EventTypePatchDto extends createZodDto(z.strictObject(eventTypeFields).partial()) {}

export class EventTypeNameParamDto extends createZodDto(z.object({ eventTypeName: eventTypeNameSchema })) {}

export class EventTypeListQueryDto extends createZodDto(
  pageQuerySchema.extend({
    order: orderSchema.optional(),
    include_archived: z.stringbool().optional(),
    with_content: z.stringbool({ error: 'with_content must be true or false' }).optional(),
  }),
) {}

export class EventTypeDeleteQueryDto extends createZodDto(z.object({ expunge: z.stringbool().optional() })) {}

const eventTypeOut = z.object({
  name: z.string(),
  description: z.string(),
  archived: z.boolean(),
  deprecated: z.boolean(),
  schemas: z.record(z.string(), z.unknown()).nullable(),
  featureFlags: z.array(z.string()).nullable(),
  featureFlag: z.string().nullable(),
  groupName: z.string().nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});

export class EventTypeOutDto extends createZodDto(eventTypeOut) {}

export class EventTypeListOutDto extends createZodDto(listOutSchema(eventTypeOut)) {}
