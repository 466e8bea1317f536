import { z } from 'zod';
import { createZodDto } from 'nestjs-zod';
import { OAUTH_RESERVED_PARAMS } from '@app/domain';
import { headersSchema } from './endpoint.dto';

const MAX_ITEMS = 50;
const SHORT = 1024;
const LONG = 8192;

const tokenUrlSchema = z
  .string({ error: 'tokenUrl must be a string' })
  .max(SHORT * 2, `tokenUrl must be at most ${SHORT * 2} characters`)
  .superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'tokenUrl must be a valid absolute URL' });
      return;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      ctx.addIssue({ code: 'custom', message: 'tokenUrl scheme must be http or https' });
    }
    if (url.username || url.password) {
      ctx.addIssue({
        code: 'custom',
        message: 'tokenUrl must not carry credentials: use clientId and clientSecret',
      });
    }
  })
  .describe(
    "The authorization server's token endpoint; the SSRF guard applies to it as to the endpoint URL.",
  );

const grantTypeSchema = z.enum(['clientCredentials', 'refreshToken'], {
  error: 'grantType must be "clientCredentials" or "refreshToken"',
});

const authMethodSchema = z
  .enum(['clientSecretBasic', 'clientSecretPost', 'clientSecretJwt'], {
    error: 'authMethod must be "clientSecretBasic" or "clientSecretPost"',
  })
  .refine((method) => method !== 'clientSecretJwt', {
    message:
      'authMethod "clientSecretJwt" is not supported by Hookrelay: use clientSecretBasic or clientSecretPost',
  });

const extraParamsSchema = z
  .record(z.string().min(1).max(256), z.string().max(SHORT))
  .superRefine((params, ctx) => {
    const names = Object.keys(params);
    if (names.length > MAX_ITEMS)
      ctx.addIssue({ code: 'custom', message: `at most ${MAX_ITEMS} extraParams` });
    for (const name of names) {
      if (OAUTH_RESERVED_PARAMS.includes(name)) {
        ctx.addIssue({
          code: 'custom',
          message: `"${name}" is set by Hookrelay from the other fields`,
          path: [name],
        });
      }
    }
  });

/** Svix's `EndpointOauthConfigIn`. */
export class EndpointOauthConfigInDto extends createZodDto(
  z
    .strictObject({
      grantType: grantTypeSchema,
      authMethod: authMethodSchema,
      clientId: z.string().min(1, 'clientId must not be empty').max(SHORT),
      clientSecret: z.string().min(1, 'clientSecret must not be empty').max(LONG).nullish(),
      tokenUrl: tokenUrlSchema,
      scopes: z
        .array(
          z
            .string()
            .regex(
              /^[\x21\x23-\x5b\x5d-\x7e]+$/,
              'each scope must be printable ASCII without spaces or quotes',
            ),
        )
        .max(MAX_ITEMS)
        .nullish(),
      extraParams: extraParamsSchema.nullish(),
      refreshToken: z.string().min(1, 'refreshToken must not be empty').max(LONG).nullish(),
      extraHeaders: headersSchema.nullish(),
      jwtParams: z
        .null({ error: 'jwtParams is only for clientSecretJwt, which Hookrelay does not support' })
        .optional(),
    })
    .superRefine((config, ctx) => {
      if (config.grantType === 'refreshToken' && !config.refreshToken) {
        ctx.addIssue({
          code: 'custom',
          message: 'refreshToken is required when grantType is "refreshToken"',
          path: ['refreshToken'],
        });
      }
    }),
) {}

/** Svix's `EndpointOauthConfigOut`: never the client secret or the refresh token. */
export class EndpointOauthConfigOutDto extends createZodDto(
  z.object({
    grantType: grantTypeSchema,
    authMethod: z.enum(['clientSecretBasic', 'clientSecretPost']),
    clientId: z.string(),
    tokenUrl: z.string(),
    scopes: z.array(z.string()).nullable(),
    extraParams: z.record(z.string(), z.string()).nullable(),
    extraHeaders: z.record(z.string(), z.string()).nullable(),
  }),
) {}
