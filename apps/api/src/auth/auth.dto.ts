import { z } from 'zod';
import { createZodDto } from 'nestjs-zod';
import {
  PORTAL_CAPABILITIES,
  PORTAL_MAX_FEATURE_FLAGS,
  PORTAL_TOKEN_MAX_EXPIRY_S,
  PORTAL_TOKEN_MIN_EXPIRY_S,
} from '@app/domain';
import { applicationInSchema } from '../applications/application.dto';

const sessionIdSchema = z
  .string({ error: 'sessionId must be a string' })
  .min(1, 'sessionId must not be empty')
  .max(256, 'sessionId must be at most 256 characters');

const featureFlagSchema = z
  .string({ error: 'feature flags are strings' })
  .min(1, 'a feature flag must not be empty')
  .max(256, 'a feature flag must be at most 256 characters');

/** Svix's AppPortalAccessIn (both SDK majors send the same fields). */
export class AppPortalAccessInDto extends createZodDto(
  z.strictObject({
    application: applicationInSchema
      .nullish()
      .describe('Creates the application on the fly when the path names none (by uid); ignored otherwise.'),
    capabilities: z
      .array(z.enum(PORTAL_CAPABILITIES, { error: `capabilities are ${PORTAL_CAPABILITIES.join(', ')}` }))
      .refine((list) => list.includes('ViewBase'), 'capabilities must include ViewBase, as in Svix')
      .nullish()
      .describe('What the token may do; absent: every capability (or ViewBase only with readOnly).'),
    expiry: z
      .number({ error: 'expiry must be a number of seconds' })
      .int('expiry must be a whole number of seconds')
      .min(PORTAL_TOKEN_MIN_EXPIRY_S, 'expiry must be at least 3600 seconds (1 hour)')
      .max(PORTAL_TOKEN_MAX_EXPIRY_S, 'expiry must be at most 604800 seconds (7 days)')
      .nullish()
      .describe('Seconds the token is valid, 1 hour to 7 days; default 7 days.'),
    featureFlags: z
      .array(featureFlagSchema)
      .max(PORTAL_MAX_FEATURE_FLAGS, `at most ${PORTAL_MAX_FEATURE_FLAGS} feature flags`)
      .optional()
      .describe('Event types carrying one of these flags become visible in the portal catalog.'),
    readOnly: z
      .boolean({ error: 'readOnly must be true or false' })
      .nullish()
      .describe('Deprecated by Svix.'),
    sessionId: sessionIdSchema.nullish().describe('Lets expire-all revoke only the tokens of this session.'),
  }),
) {}

export class AppPortalAccessOutDto extends createZodDto(
  z.object({
    url: z.string().describe('The portal page; the token travels in the fragment (#token=…).'),
    token: z.string().describe('The bearer token for this application’s /api/v1/app/{app_id}/… routes.'),
  }),
) {}

/** Svix's ApplicationTokenExpireIn. */
export class ApplicationTokenExpireInDto extends createZodDto(
  z.strictObject({
    expiry: z
      .number({ error: 'expiry must be a number of seconds' })
      .int('expiry must be a whole number of seconds')
      .min(0, 'expiry must not be negative')
      .max(PORTAL_TOKEN_MAX_EXPIRY_S, 'expiry must be at most 604800 seconds (7 days)')
      .nullish()
      .describe('Seconds until the tokens stop working (default 0: at once).'),
    sessionIds: z
      .array(sessionIdSchema)
      .max(100, 'at most 100 session ids')
      .optional()
      .describe('Only the tokens issued with one of these session ids.'),
  }),
) {}
