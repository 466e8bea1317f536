import { z } from 'zod';
import { createZodDto } from 'nestjs-zod';
import { pageQuerySchema } from '../common/pagination.dto';
import { knownField } from '../common/ignored-fields';
import { metadataSchema, orderSchema, throttleRateSchema, uidSchema } from '../common/svix-fields';

const name = z.string().min(1, 'name must not be empty').max(256, 'name must be at most 256 characters');

export const applicationInSchema = z.strictObject({
  name,
  uid: uidSchema.nullish(),
  metadata: metadataSchema.optional(),
  throttleRate: throttleRateSchema.nullish(),
  rateLimit: knownField('rateLimit', throttleRateSchema.nullish()),
});

export class ApplicationInDto extends createZodDto(applicationInSchema) {}

export class ApplicationPatchDto extends createZodDto(applicationInSchema.partial()) {}

export class ApplicationCreateQueryDto extends createZodDto(
  z.object({ get_if_exists: z.stringbool().optional() }),
) {}

export class ApplicationListQueryDto extends createZodDto(
  pageQuerySchema.extend({ order: orderSchema.optional() }),
) {}

export class ApplicationOutDto extends createZodDto(
  z.object({
    id: z.string(),
    uid: z.string().nullable(),
    name: z.string(),
    metadata: z.record(z.string(), z.string()),
    throttleRate: z.number().nullable(),
    rateLimit: z.number().nullable(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  }),
) {}
