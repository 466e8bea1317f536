import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ArgumentMetadata } from '@nestjs/common';
import { ValidationError } from '@app/domain';
import { ApplicationInDto, ApplicationPatchDto } from '../applications/application.dto';
import { AppPortalAccessInDto, ApplicationTokenExpireInDto } from '../auth/auth.dto';
import { EventExampleInDto, RecoverInDto, ReplayInDto } from '../endpoints/endpoint-recovery.dto';
import {
  EndpointHeadersInDto,
  EndpointHeadersPatchInDto,
  EndpointInDto,
  EndpointPatchDto,
  EndpointSecretRotateInDto,
  EndpointUpdateDto,
} from '../endpoints/endpoint.dto';
import { EventTypeInDto, EventTypePatchDto, EventTypeUpdateDto } from '../event-types/event-type.dto';
import { MessageBulkExpungeInDto, MessageInDto } from '../messages/message.dto';
import {
  OperationalWebhookEndpointInDto,
  OperationalWebhookEndpointUpdateDto,
} from '../operational-webhooks/operational-webhook-endpoint.dto';
import { IGNORED_FIELDS } from './ignored-fields';
import { ZodValidationPipe } from './zod-validation.pipe';

const root = join(__dirname, '../../../..');

/** The keys svix 1.x writes for a request model: its CommonJS serializer, run on an empty object. */
function v1Keys(model: string): string[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const exports = require(`svix/dist/models/${model}`) as Record<string, unknown>;
  const serializer = Object.values(exports).find(
    (e): e is { _toJsonObject(self: object): object } =>
      typeof (e as { _toJsonObject?: unknown })?._toJsonObject === 'function',
  );
  if (!serializer) throw new Error(`svix 1.x has no serializer for ${model}`);
  return Object.keys(serializer._toJsonObject({}));
}

/** The keys svix 2.x writes: its ESM package ships the generated sources, one `key: self.x` line per field. */
function v2Keys(model: string): string[] {
  const source = readFileSync(join(root, 'node_modules/svix-v2/src/models', `${model}.ts`), 'utf8');
  const body = /_toJsonObject\(self[^)]*\)[^{]*\{\s*return \{([\s\S]*?)\n\s*\};/.exec(source)?.[1];
  if (!body) throw new Error(`svix 2.x model ${model} has no _toJsonObject`);
  return [...body.matchAll(/^\s*"?(\w+)"?:/gm)].map((m) => m[1]!);
}

type Dto = { schema?: unknown };
const pipe = new ZodValidationPipe();
const validate = (dto: Dto, body: unknown) =>
  pipe.transform(body, { type: 'body', metatype: dto as ArgumentMetadata['metatype'] });

function unknownFieldsOf(dto: Dto, body: Record<string, unknown>): string[] {
  try {
    validate(dto, body);
    return [];
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    return error.issues.filter((i) => i.type === 'unknown_field').map((i) => String(i.loc[i.loc.length - 1]));
  }
}

/** Every body route Hookrelay serves for the SDKs, with the request model each major sends to it. */
const ROUTES: [route: string, dto: Dto, v1: string | null, v2: string | null][] = [
  ['POST /app', ApplicationInDto, 'applicationIn', 'applicationIn'],
  ['PUT /app/{id}', ApplicationInDto, 'applicationIn', 'applicationIn'],
  ['PATCH /app/{id}', ApplicationPatchDto, 'applicationPatch', 'applicationPatch'],
  ['POST /event-type', EventTypeInDto, 'eventTypeIn', 'eventTypeIn'],
  ['PUT /event-type/{name}', EventTypeUpdateDto, 'eventTypeUpdate', 'eventTypeUpsertIn'],
  ['PATCH /event-type/{name}', EventTypePatchDto, 'eventTypePatch', 'eventTypePatch'],
  ['POST /app/{id}/endpoint', EndpointInDto, 'endpointIn', 'endpointIn'],
  ['PUT /app/{id}/endpoint/{id}', EndpointUpdateDto, 'endpointUpdate', 'endpointUpsertIn'],
  ['PATCH /app/{id}/endpoint/{id}', EndpointPatchDto, 'endpointPatch', 'endpointPatch'],
  [
    'POST …/endpoint/{id}/secret/rotate',
    EndpointSecretRotateInDto,
    'endpointSecretRotateIn',
    'endpointSecretRotateIn',
  ],
  ['PUT …/endpoint/{id}/headers', EndpointHeadersInDto, 'endpointHeadersIn', 'endpointHeadersIn'],
  [
    'PATCH …/endpoint/{id}/headers',
    EndpointHeadersPatchInDto,
    'endpointHeadersPatchIn',
    'endpointHeadersPatchIn',
  ],
  ['POST …/endpoint/{id}/recover', RecoverInDto, 'recoverIn', 'recoverIn'],
  ['POST …/endpoint/{id}/replay-missing', ReplayInDto, 'replayIn', 'replayIn'],
  ['POST …/endpoint/{id}/send-example', EventExampleInDto, 'eventExampleIn', 'eventExampleIn'],
  ['POST /app/{id}/msg', MessageInDto, 'messageIn', 'messageIn'],
  ['POST /app/{id}/msg/bulk-expunge', MessageBulkExpungeInDto, null, 'bulkExpungeContentsIn'],
  ['POST /auth/app-portal-access/{id}', AppPortalAccessInDto, 'appPortalAccessIn', 'appPortalAccessIn'],
  [
    'POST /auth/app/{id}/expire-all',
    ApplicationTokenExpireInDto,
    'applicationTokenExpireIn',
    'applicationTokenExpireIn',
  ],
  [
    'POST /operational-webhook/endpoint',
    OperationalWebhookEndpointInDto,
    'operationalWebhookEndpointIn',
    'operationalWebhookEndpointIn',
  ],
  [
    'PUT /operational-webhook/endpoint/{id}',
    OperationalWebhookEndpointUpdateDto,
    'operationalWebhookEndpointUpdate',
    'operationalWebhookEndpointUpsertIn',
  ],
  [
    'POST /operational-webhook/endpoint/{id}/secret/rotate',
    EndpointSecretRotateInDto,
    'operationalWebhookEndpointSecretIn',
    'operationalWebhookEndpointSecretIn',
  ],
  [
    'PUT /operational-webhook/endpoint/{id}/headers',
    EndpointHeadersInDto,
    'operationalWebhookEndpointHeadersIn',
    'operationalWebhookEndpointHeadersIn',
  ],
];

describe('request bodies against both svix SDK majors', () => {
  it('reads the SDKs’ request models (so an empty key list cannot pass the checks below)', () => {
    expect(v1Keys('endpointIn')).toContain('filterTypes');
    expect(v2Keys('endpointIn')).toContain('eventTypes');
    expect(v2Keys('endpointIn')).not.toContain('filterTypes');
  });

  describe.each(ROUTES)('%s', (_route, dto, v1, v2) => {
    it.each([
      ['svix 1.x', v1 && v1Keys(v1)],
      ['svix 2.x', v2 && v2Keys(v2)],
    ])('accepts every field %s sends', (_major, keys) => {
      if (!keys) return;
      expect(keys.length).toBeGreaterThan(0);
      expect(unknownFieldsOf(dto, Object.fromEntries(keys.map((k) => [k, undefined])))).toEqual([]);
    });

    it('refuses a field no SDK sends, by name', () => {
      expect(unknownFieldsOf(dto, { surelyNotAField: 1 })).toEqual(['surelyNotAField']);
    });
  });

  it('accepts the application svix 1.x nests in a message', () => {
    const app = Object.fromEntries(v1Keys('applicationIn').map((k) => [k, undefined]));
    expect(unknownFieldsOf(MessageInDto, { application: app })).toEqual([]);
  });
});

describe('the knowingly ignored fields', () => {
  const compatibility = readFileSync(join(root, 'docs/compatibility.md'), 'utf8');

  it.each(Object.keys(IGNORED_FIELDS))('%s is listed in docs/compatibility.md', (field) => {
    expect(compatibility).toMatch(new RegExp(`^\\| \`${field}\` +\\|`, 'm'));
  });

  it('are each sent by an SDK major to a model that declares them', () => {
    for (const [field, { models }] of Object.entries(IGNORED_FIELDS)) {
      for (const model of models) {
        const name = model.charAt(0).toLowerCase() + model.slice(1);
        const sent = [...safe(() => v1Keys(name)), ...safe(() => v2Keys(name))];
        expect({ field, model, sent: sent.includes(field) }).toEqual({ field, model, sent: true });
      }
    }
  });
});

function safe(keys: () => string[]): string[] {
  try {
    return keys();
  } catch {
    return [];
  }
}
