import { z } from 'zod';
import { isReservedUid, RESERVED_UID_MESSAGE } from '@app/domain';

/** Field rules shared by the Svix-compatible resources, with the limits Svix documents. */
export const uidSchema = z
  .string()
  .min(1, 'uid must not be empty')
  .max(256, 'uid must be at most 256 characters')
  .regex(/^[a-zA-Z0-9\-_.]+$/, 'uid may contain only letters, digits, "-", "_" and "."')
  .refine((uid) => !isReservedUid(uid), { message: RESERVED_UID_MESSAGE, params: { type: 'reserved_uid' } });

export const metadataSchema = z
  .record(z.string().max(256, 'metadata keys must be at most 256 characters'), z.string().max(4096))
  .refine((m) => Object.keys(m).length <= 50, 'metadata may have at most 50 keys');

export const throttleRateSchema = z
  .number()
  .int('throttleRate must be a whole number')
  .min(1, 'throttleRate must be at least 1')
  .max(65_535, 'throttleRate must be at most 65535');

/**
 * `with_content`: absent or true shows payloads, false leaves them out (`payload: {}`). svix 2.x sends false by
 * default on message create, get and list; svix 1.x sends false on create and copies the payload back itself.
 */
export const withContentQuery = z
  .stringbool({ error: 'with_content must be true or false' })
  .optional()
  .describe('Include payloads (default true); false answers `payload: {}`.');

export const orderSchema = z.enum(['ascending', 'descending']);

/** An ISO 8601 timestamp on the wire, a Date in the handler (and a string in the OpenAPI document). */
export const isoDateSchema = (field: string) =>
  z
    .string()
    .refine((s) => /^\d{4}-\d{2}-\d{2}T/.test(s) && !Number.isNaN(Date.parse(s)), {
      message: `${field} must be an ISO 8601 date-time, like 2026-01-31T12:00:00Z`,
    })
    .transform((s) => new Date(s));
