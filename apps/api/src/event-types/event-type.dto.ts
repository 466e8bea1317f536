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

/** Bounds Svix leaves open: generous for people, small enough that no one row or request is costly. */
export const MAX_EVENT_TYPE_DESCRIPTION_LENGTH = 4096;
export const MAX_SCHEMA_VERSIONS = 20;
export const MAX_SCHEMAS_BYTES = 256 * 1024;
export const MAX_FEATURE_FLAGS = 50;

/** JSON Schemas by version (`{"1": {...}}`), each a JSON object; bounded in versions and in bytes. */
const schemasSchema = z
  .record(
    z.string().max(32, 'schema versions must be at most 32 characters'),
    z.record(z.string(), z.unknown(), { error: 'each version must map to a JSON Schema object' }),
  )
  .refine((schemas) => Object.keys(schemas).length <= MAX_SCHEMA_VERSIONS, {
    message: `schemas may have at most ${MAX_SCHEMA_VERSIONS} versions`,
  })
  .refine((schemas) => Buffer.byteLength(JSON.stringify(schemas)) <= MAX_SCHEMAS_BYTES, {
    message: `schemas must be at most ${MAX_SCHEMAS_BYTES / 1024} KiB of JSON`,
  });

const eventTypeFields = {
  description: z
    .string({ error: 'description must be a string' })
    .max(
      MAX_EVENT_TYPE_DESCRIPTION_LENGTH,
      `description must be at most ${MAX_EVENT_TYPE_DESCRIPTION_LENGTH} characters`,
    ),
  archived: z.boolean().optional(),
  deprecated: z.boolean().optional(),
  schemas: schemasSchema.nullish(),
  featureFlags: z
    .array(limitedString('feature flag'))
    .max(MAX_FEATURE_FLAGS, `featureFlags may have at most ${MAX_FEATURE_FLAGS} items`)
    .nullish(),
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
