import { z } from 'zod';
import { createZodDto } from 'nestjs-zod';
import {
  parsePayloadFilter,
  parseSigningSecret,
  splitUrlCredentials,
  urlCredentialsProblem,
} from '@app/domain';
import { MAX_SECRET_GRACE_MS } from '@app/db';
import { listOutSchema, pageQuerySchema } from '../common/pagination.dto';
import { knownField } from '../common/ignored-fields';
import { metadataSchema, orderSchema, throttleRateSchema, uidSchema } from '../common/svix-fields';
import { eventTypeNameSchema } from '../event-types/event-type.dto';

/** Svix's OpenAPI bound for endpoint URLs. */
const MAX_URL_LENGTH = 65_536;
/** Bounds Svix leaves open: generous for people, small enough that no one row or request is costly. */
export const MAX_DESCRIPTION_LENGTH = 4096;
export const MAX_FILTER_TYPES = 1000;

const urlSchema = z
  .string({ error: 'url must be a string' })
  .max(MAX_URL_LENGTH, `url must be at most ${MAX_URL_LENGTH} characters`)
  .superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'url must be a valid absolute URL' });
      return;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      ctx.addIssue({ code: 'custom', message: 'url scheme must be http or https' });
    } else if (url.port === '0') {
      // The parser keeps port 0, which nothing can be sent to (ports above 65535 it refuses itself).
      ctx.addIssue({ code: 'custom', message: 'url port must be from 1 to 65535' });
    } else {
      // User info is sent as HTTP Basic auth (url-credentials.ts): it must be something Basic auth can carry.
      const { credentials } = splitUrlCredentials(value);
      const problem = credentials && urlCredentialsProblem(credentials);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }
  })
  .describe(
    'User info in the URL (https://user:password@host/…) is sent as HTTP Basic auth and stored sealed; ' +
      'the URL is shown with the password replaced by ******** (send it back unchanged to keep the password).',
  );

/** Svix: uids may not look like ids of their kind, or a path could mean either. */
const endpointUidSchema = uidSchema.refine((uid) => !uid.startsWith('ep_'), {
  message: 'uid must not start with "ep_", the prefix of endpoint ids',
});

/**
 * The event-type filter has two wire names: `filterTypes` (svix 1.x) and `eventTypes` (svix 2.x, which renamed
 * it). Both are accepted and both are emitted; messages about the filter name the spelling the client sent.
 */
export type FilterField = 'eventTypes' | 'filterTypes';

const filterTypesSchema = (field: FilterField) =>
  z
    .array(eventTypeNameSchema)
    .min(1, `${field} must not be empty: send null to receive every event type`)
    .max(MAX_FILTER_TYPES, `${field} may have at most ${MAX_FILTER_TYPES} items`)
    .describe(
      field === 'eventTypes'
        ? 'Event types the endpoint receives (svix 2.x name); null or absent: every event type.'
        : 'The same filter under its svix 1.x name; send either, not both with different values.',
    );

const filterFields = {
  eventTypes: filterTypesSchema('eventTypes').nullish(),
  filterTypes: filterTypesSchema('filterTypes').nullish(),
};

/** The filter as handlers see it: one value, and the spelling the client used. */
export interface EventTypeFilterIn {
  /** undefined: not sent; null: no filter (every event type). */
  filterTypes?: string[] | null;
  filterField: FilterField;
}

/**
 * Folds the two spellings into `filterTypes`. Sending both is fine when they say the same (a client may fill
 * both for servers of either generation); different values are a 422, never a silent choice.
 */
export function oneFilter<T extends { eventTypes?: string[] | null; filterTypes?: string[] | null }>(
  { eventTypes, filterTypes, ...rest }: T,
  ctx: z.RefinementCtx,
): Omit<T, 'eventTypes' | 'filterTypes'> & EventTypeFilterIn {
  if (eventTypes !== undefined && filterTypes !== undefined && !sameFilter(eventTypes, filterTypes)) {
    ctx.addIssue({
      code: 'custom',
      path: ['eventTypes'],
      message:
        'eventTypes and filterTypes are the svix 2.x and 1.x names of one filter, and they were sent with ' +
        'different values: send one of them',
      params: { type: 'conflicting_fields' },
    });
    return z.NEVER;
  }
  return eventTypes !== undefined
    ? { ...rest, filterTypes: eventTypes, filterField: 'eventTypes' }
    : { ...rest, filterTypes, filterField: 'filterTypes' };
}

function sameFilter(a: readonly string[] | null, b: readonly string[] | null): boolean {
  if (a === null || b === null) return a === b;
  const left = new Set(a);
  const right = new Set(b);
  return left.size === right.size && [...left].every((name) => right.has(name));
}

const channelsSchema = z
  .array(
    z
      .string()
      .min(1, 'channels must not be empty strings')
      .max(128, 'each channel must be at most 128 characters')
      .regex(/^[a-zA-Z0-9\-_.]+$/, 'channels may contain only letters, digits, "-", "_" and "."'),
  )
  .min(1, 'channels must have at least 1 item: send null to receive every message')
  .max(10, 'channels may have at most 10 items');

export const secretSchema = (field: string) =>
  z.string().superRefine((value, ctx) => {
    const parsed = parseSigningSecret(value);
    if (!parsed.ok) ctx.addIssue({ code: 'custom', message: `${field} ${parsed.reason}` });
  });

/**
 * Custom headers go on every delivery, so anything that would corrupt the HTTP exchange (hop-by-hop and
 * framing headers, content type) or impersonate the signature is refused. The set is Svix's
 * (`FORBIDDEN_KEYS`, `FORBIDDEN_PREFIXES`) plus the ones Svix leaves to its HTTP client: host, connection,
 * and the Standard Webhooks `webhook-*` headers we sign with.
 */
const FORBIDDEN_HEADERS = new Set([
  'host',
  'connection',
  'proxy-connection',
  'keep-alive',
  'transfer-encoding',
  'te',
  'trailer',
  'trailers',
  'upgrade',
  'expect',
  'user-agent',
  'proxy-authenticate',
  'proxy-authorization',
  'age',
  'cache-control',
  'clear-site-data',
  'expires',
  'pragma',
  'warning',
  'content-length',
  'content-type',
  'content-encoding',
  'content-language',
  'content-location',
]);
const FORBIDDEN_HEADER_PREFIXES = [
  'webhook-',
  'svix-',
  'x-svix-',
  'x-amz-',
  'x-amzn-',
  'x-google',
  'x-goog-',
  'x-gfe',
  'x-azure-',
  'x-fd-',
];
/** RFC 9110 token. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Visible ASCII, space and tab: what Svix's `HeaderValue::from_str` accepts, and no CR/LF to inject with. */
const HEADER_VALUE = /^[\t\x20-\x7e]*$/;
const MAX_HEADER_NAME_LENGTH = 256;
/** Svix's `HEADER_MAX_LENGTH`. */
const MAX_HEADER_VALUE_LENGTH = 4096;
export const MAX_CUSTOM_HEADERS = 50;

export function headerNameProblem(name: string): string | undefined {
  const lower = name.toLowerCase();
  if (name.length > MAX_HEADER_NAME_LENGTH) {
    return `header names must be at most ${MAX_HEADER_NAME_LENGTH} characters`;
  }
  if (!HEADER_NAME.test(name)) return `"${name}" is not a valid header name`;
  if (FORBIDDEN_HEADERS.has(lower)) return `"${name}" is set by Hookrelay and cannot be customised`;
  const prefix = FORBIDDEN_HEADER_PREFIXES.find((p) => lower.startsWith(p));
  if (prefix) return `headers starting with "${prefix}" are reserved`;
  return undefined;
}

function checkHeaders(headers: Record<string, string | null>, ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  const names = Object.keys(headers);
  if (names.length > MAX_CUSTOM_HEADERS) {
    ctx.addIssue({ code: 'custom', message: `at most ${MAX_CUSTOM_HEADERS} custom headers are allowed` });
  }
  for (const name of names) {
    const problem = headerNameProblem(name);
    if (problem) ctx.addIssue({ code: 'custom', message: problem, path: [name] });
    const lower = name.toLowerCase();
    if (seen.has(lower)) {
      ctx.addIssue({ code: 'custom', message: `header "${name}" is listed twice`, path: [name] });
    }
    seen.add(lower);
    const value = headers[name];
    if (value === null || value === undefined) continue;
    if (value.length > MAX_HEADER_VALUE_LENGTH) {
      ctx.addIssue({
        code: 'custom',
        message: `header values must be at most ${MAX_HEADER_VALUE_LENGTH} characters`,
        path: [name],
      });
    } else if (!HEADER_VALUE.test(value)) {
      ctx.addIssue({
        code: 'custom',
        message: 'header values may contain only printable ASCII characters',
        path: [name],
      });
    }
  }
}

export const headersSchema = z.record(z.string(), z.string()).superRefine(checkHeaders);

const versionSchema = z
  .number()
  .int('version must be a whole number')
  .min(1, 'version must be at least 1')
  .max(65_535, 'version must be at most 65535');

/** What ordinary and operational endpoints share; PUT replaces these. */
export const endpointCommonFields = {
  url: urlSchema,
  description: z
    .string()
    .max(MAX_DESCRIPTION_LENGTH, `description must be at most ${MAX_DESCRIPTION_LENGTH} characters`)
    .optional(),
  disabled: z.boolean().optional(),
  ...filterFields,
  metadata: metadataSchema.optional(),
  throttleRate: throttleRateSchema.nullish(),
  rateLimit: knownField('rateLimit', throttleRateSchema.nullish()),
  uid: endpointUidSchema.nullish(),
};

/** Hookrelay extension: a JSONLogic rule on the payload (docs/receivers.md); null removes it. */
const payloadFilterSchema = z
  .record(z.string(), z.unknown(), {
    error: 'payloadFilter must be a JSONLogic rule: a JSON object with one operator, such as {"==": [...]}',
  })
  .superRefine((value, ctx) => {
    const parsed = parsePayloadFilter(value);
    if (!parsed.ok) ctx.addIssue({ code: 'custom', message: `payloadFilter ${parsed.reason}` });
  })
  .describe(
    'Hookrelay extension: a JSONLogic rule (jsonlogic.com) the message payload must satisfy, e.g. ' +
      '{"==": [{"var": "data.currency"}, "EUR"]}. Null or absent: every payload.',
  );

/** Fields PUT replaces; POST adds `headers` and `secret`. */
const endpointUpdateFields = {
  ...endpointCommonFields,
  payloadFilter: payloadFilterSchema.nullish(),
  version: knownField('version', versionSchema.nullish()),
  channels: channelsSchema.nullish(),
};

export class EndpointInDto extends createZodDto(
  z
    .strictObject({
      ...endpointUpdateFields,
      headers: headersSchema.nullish(),
      /** A custom `whsec_` (HMAC, `v1`) or `whsk_` (Ed25519, `v1a`) secret; a `whsec_` one is generated when absent. */
      secret: secretSchema('secret').nullish(),
      verify: z
        .boolean({ error: 'verify must be true or false' })
        .nullish()
        .describe(
          'Hookrelay extension: the endpoint receives no events until its owner answers a signed challenge ' +
            '(docs/verification.md). On by default when the tenant requires endpoint verification.',
        ),
    })
    .transform(oneFilter),
) {}

export class EndpointUpdateDto extends createZodDto(
  z.strictObject(endpointUpdateFields).transform(oneFilter),
) {}

export class EndpointPatchDto extends createZodDto(
  z
    .strictObject({
      ...endpointUpdateFields,
      url: urlSchema.optional(),
      version: knownField('version', versionSchema.optional()),
      /** Svix 1.x only (2.x dropped it); setting it rotates the secret like `secret/rotate` does. */
      secret: secretSchema('secret').nullish(),
    })
    .transform(oneFilter),
) {}

export class EndpointListQueryDto extends createZodDto(
  pageQuerySchema.extend({ order: orderSchema.optional() }),
) {}

export class EndpointSecretRotateInDto extends createZodDto(
  z
    .strictObject({
      key: secretSchema('key').nullish(),
      gracePeriodSeconds: z
        .number()
        .int('gracePeriodSeconds must be a whole number')
        .min(0, 'gracePeriodSeconds must be at least 0')
        .max(MAX_SECRET_GRACE_MS / 1000, 'gracePeriodSeconds must be at most 7 days')
        .nullish(),
    })
    .default({}),
) {}

export class EndpointHeadersInDto extends createZodDto(z.strictObject({ headers: headersSchema })) {}

export class EndpointHeadersPatchInDto extends createZodDto(
  z.strictObject({
    /** A null value removes the header (Svix server); `deleteHeaders` does the same (newer Svix SDKs). */
    headers: z.record(z.string(), z.string().nullable()).superRefine(checkHeaders).default({}),
    deleteHeaders: z
      .array(
        z
          .string()
          .max(MAX_HEADER_NAME_LENGTH, `header names must be at most ${MAX_HEADER_NAME_LENGTH} characters`),
      )
      .max(MAX_CUSTOM_HEADERS, `deleteHeaders may have at most ${MAX_CUSTOM_HEADERS} items`)
      .optional(),
  }),
) {}

const filterOut = z.array(z.string()).nullable();

/**
 * The one endpoint shape: `EndpointOut` here, `MessageEndpointOut` and `OperationalWebhookEndpointOut` are cut
 * from it. The filter goes out under both names, so each SDK major reads the one it knows (and copies no other).
 */
export const endpointOutSchema = z.object({
  id: z.string(),
  uid: z.string().nullable(),
  url: z
    .string()
    .describe('A password in the URL is shown as ********; send the URL back unchanged to keep it.'),
  description: z.string(),
  version: z.number().int(),
  disabled: z.boolean(),
  eventTypes: filterOut.describe('The event-type filter (svix 2.x name); null: every event type.'),
  filterTypes: filterOut.describe('The same filter under its svix 1.x name.'),
  channels: z.array(z.string()).nullable(),
  metadata: z.record(z.string(), z.string()),
  throttleRate: z.number().nullable(),
  rateLimit: z.number().nullable().describe('throttleRate under its svix 1.x name.'),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  verification: z
    .enum(['pending', 'verified', 'failed', 'expired'])
    .optional()
    .describe(
      'Hookrelay extension: ownership verification, on endpoints that need it (absent otherwise). Until ' +
        '`verified`, the endpoint receives only its challenge; its messages wait.',
    ),
});

/** `EndpointOut` with the Hookrelay extensions an ordinary endpoint has. */
export const endpointWithExtensionsOutSchema = endpointOutSchema.extend({
  payloadFilter: z
    .record(z.string(), z.unknown())
    .nullable()
    .describe('Hookrelay extension: the JSONLogic rule on the payload; null: every payload.'),
});

export class EndpointOutDto extends createZodDto(endpointWithExtensionsOutSchema) {}

export class EndpointListOutDto extends createZodDto(listOutSchema(endpointWithExtensionsOutSchema)) {}

export class EndpointSecretOutDto extends createZodDto(
  z.object({
    key: z
      .string()
      .describe(
        'The `whsec_…` secret, or for an Ed25519 endpoint its `whpk_…` public key (never the `whsk_…` key).',
      ),
  }),
) {}

/** Hookrelay extension: the public-key document of an application (`GET /api/v1/app/{app_id}/public-keys`). */
export class ApplicationPublicKeysOutDto extends createZodDto(
  z.object({
    appId: z.string(),
    keys: z
      .array(
        z.object({
          endpointId: z.string(),
          key: z.string().describe('`whpk_` + base64 of the 32-byte Ed25519 public key; verifies `v1a`.'),
          expiresAt: z.iso
            .datetime()
            .nullable()
            .describe('Null for the current key; a rotated-out key signs (and is listed) until then.'),
        }),
      )
      .describe(
        "Every Ed25519 key the application's endpoints sign with now; HMAC endpoints are not listed.",
      ),
  }),
) {}

export class EndpointHeadersOutDto extends createZodDto(
  z.object({ headers: z.record(z.string(), z.string()), sensitive: z.array(z.string()) }),
) {}
