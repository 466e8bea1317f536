import fc from 'fast-check';
import { processEnvironment } from '@app/config';
import { testConfig } from '@app/testing';
import { startApi, type RunningApi } from '../support/running-api';

/**
 * Property-based fuzz of the public API (fast-check): for every `/api/v1` operation of the served OpenAPI
 * document, requests built loosely from its own schemas (the right types and bounds most of the time) mixed
 * with hostile values: long and odd ids, unicode and lone surrogates, numbers as strings, deep and odd JSON,
 * prototype keys, broken JSON, wrong content types and credentials. The property: every answer is below 500
 * and arrives before the API's own request timeout. Runs are bounded per route group; the seed is printed
 * (and `FUZZ_SEED=<n>` replays a run), and a failure prints the shrunk request.
 */

const RUNS_PER_GROUP = 200;
/** The API's request deadline here; an answer must come before it. */
const REQUEST_TIMEOUT_MS = 5_000;

type Schema = {
  $ref?: string;
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  nullable?: boolean;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  format?: string;
  additionalProperties?: Schema | boolean;
};

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  schema?: Schema;
}

interface Operation {
  method: string;
  path: string;
  group: string;
  params: Parameter[];
  body?: Schema;
}

interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** Strings a hostile client sends where ids, names and text go. */
const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '\ud800',
    '../../etc/passwd',
    '%2e%2e%2f',
    "' OR 1=1 --",
    '__proto__',
    'constructor',
    'null',
    'undefined',
    'NaN',
    '-0',
    '1e309',
    '9007199254740993',
    '0x10',
    'true',
    '[]',
    '{}',
    '${jndi:ldap://x}',
    '<script>alert(1)</script>',
    '__operational_webhooks__',
    'app_',
    'ep_00000000000000000000000000',
    'msg_' + 'Z'.repeat(26),
    '2026-13-45T99:99:99Z',
    '𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
    '\u202e\u200b\ufeff',
  ),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.integer({ min: 250, max: 300 }).map((n) => 'a'.repeat(n)),
  fc.integer({ min: 1, max: 5000 }).map((n) => 'x'.repeat(n)),
  fc.double().map(String),
  fc.bigInt().map(String),
);

/** JSON values of every kind, prototype keys included. */
const oddJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.constantFrom(null, true, 0, -1, 1.5, Number.MAX_SAFE_INTEGER, '', [], {}),
  hostileString,
  fc.dictionary(fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', ''), fc.jsonValue(), {
    maxKeys: 3,
  }),
);

/** Nested arrays or objects around a value, sometimes past the API's depth limit. */
const deepJson: fc.Arbitrary<string> = fc
  .tuple(fc.integer({ min: 1, max: 400 }), fc.boolean())
  .map(([depth, arrays]) =>
    arrays ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth),
  );

/** Raw bodies that are not a JSON document, or not the one expected. */
const rawBody: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '{',
    '{"a":}',
    '[1,2',
    'null',
    '"str"',
    '1e999',
    '{"a":1e999}',
    '{"a":-}',
    '\u0000',
    '{"a":"\\ud800"}',
  ),
  fc.string({ maxLength: 200 }),
  deepJson,
);

/** Fields and parameters holding a point in time. */
const DATE_FIELDS = /^(since|until|before|after|deliverAt)$/;
/** Within the last week, so time ranges are mostly ones the API accepts. */
const isoDate = fc
  .integer({ min: 0, max: 7 * 86_400_000 })
  .map((ago) => new Date(Date.now() - ago).toISOString());

/** Percent-encodes the UTF-8 bytes of any string, lone surrogates included (they become U+FFFD). */
function percentEncode(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const char = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-_.~]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Query parameters as a client sends them: arrays as repeated keys, anything else as its text. */
function queryString(query: Record<string, unknown>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    for (const item of Array.isArray(value) ? value : [value])
      params.append(name, typeof item === 'string' ? item : (JSON.stringify(item) ?? ''));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

function resolve(doc: Doc, schema: Schema | undefined): Schema {
  if (!schema) return {};
  if (schema.$ref) return resolve(doc, doc.components.schemas[schema.$ref.split('/').pop()!]);
  return schema;
}

/** Values that fit `schema` most of the time, loosely: bounds are kept small, patterns are not followed. */
function fromSchema(doc: Doc, raw: Schema | undefined, depth = 0, name = ''): fc.Arbitrary<unknown> {
  const schema = resolve(doc, raw);
  if (DATE_FIELDS.test(name) && schema.type === 'string')
    return fc.oneof(isoDate, fromSchema(doc, { type: 'number' }));
  const inner = ((): fc.Arbitrary<unknown> => {
    const union = schema.anyOf ?? schema.oneOf;
    if (union?.length) return fc.oneof(...union.map((s) => fromSchema(doc, s, depth + 1)));
    if (schema.allOf?.length) return fromSchema(doc, schema.allOf[0], depth + 1);
    if (schema.enum?.length) return fc.constantFrom(...schema.enum);
    switch (schema.type) {
      case 'string':
        if (schema.format === 'date-time')
          return fc.date({ noInvalidDate: true }).map((d) => d.toISOString());
        return fc.string({
          minLength: schema.minLength ?? 0,
          maxLength: Math.max(schema.minLength ?? 0, Math.min(schema.maxLength ?? 30, 30)),
        });
      case 'integer':
        return fc.integer({ min: schema.minimum ?? -1000, max: schema.maximum ?? 1_000_000 });
      case 'number':
        return fc.double({ noNaN: true, noDefaultInfinity: true });
      case 'boolean':
        return fc.boolean();
      case 'array':
        if (depth > 4) return fc.constant([]);
        return fc.array(fromSchema(doc, schema.items, depth + 1), {
          minLength: Math.min(schema.minItems ?? 0, 3),
          maxLength: Math.min(schema.maxItems ?? 5, 5),
        });
      case 'object':
      default: {
        if (depth > 4 || !schema.properties)
          return fc.dictionary(fc.string({ maxLength: 10 }), oddJson, { maxKeys: 3 });
        const props = schema.properties;
        const required = new Set(schema.required ?? []);
        const model: Record<string, fc.Arbitrary<unknown>> = {};
        for (const [key, value] of Object.entries(props)) model[key] = fromSchema(doc, value, depth + 1, key);
        return fc.record(model, { requiredKeys: Object.keys(props).filter((k) => required.has(k)) });
      }
    }
  })();
  // One value in five is hostile: the wrong type, a hostile string or odd JSON.
  return fc.oneof(
    { weight: 4, arbitrary: schema.nullable ? fc.option(inner) : inner },
    { weight: 1, arbitrary: oddJson },
  );
}

/** The OpenAPI tags of the public operations: one fuzz run each. */
const GROUPS = [
  'Health',
  'Authentication',
  'Application',
  'Event Type',
  'Endpoint',
  'Operational Webhook Endpoint',
  'Message',
  'Message Attempt',
  'Background Task',
  'Dead Letter',
  'Dashboard',
];

interface Doc {
  paths: Record<
    string,
    Record<
      string,
      {
        tags?: string[];
        parameters?: Parameter[];
        requestBody?: { content: Record<string, { schema: Schema }> };
      }
    >
  >;
  components: { schemas: Record<string, Schema> };
}

function publicOperations(doc: Doc): Operation[] {
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    if (!path.startsWith('/api/v1/')) continue;
    for (const [method, op] of Object.entries(methods)) {
      operations.push({
        method: method.toUpperCase(),
        path,
        group: op.tags?.[0] ?? path,
        params: op.parameters ?? [],
        body: op.requestBody?.content['application/json']?.schema,
      });
    }
  }
  return operations;
}

describe('property-based fuzz of the public API (e2e)', () => {
  let api: RunningApi;
  let doc: Doc;
  let groups: Map<string, Operation[]>;
  const seed = Number(processEnvironment().FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));

  /** Real ids of one tenant's objects, so some requests reach the handlers past the lookups. */
  let ids: Record<string, string[]>;
  let tokens: string[];

  beforeAll(async () => {
    api = await startApi(testConfig({ HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS) }));
    doc = (await api.anonymous.get('/docs-json')).body as Doc;
    groups = new Map();
    for (const op of publicOperations(doc)) groups.set(op.group, [...(groups.get(op.group) ?? []), op]);
    process.stdout.write(`fuzz seed ${seed} (replay with FUZZ_SEED=${seed})\n`);
  });

  /** A fresh tenant with one of each object per group: a fuzzed DELETE in one group cannot starve the next. */
  async function fixtures(): Promise<void> {
    const tenant = await api.newTenant('fuzz');
    const c = tenant.client;
    const app = (await c.post('/api/v1/app', { name: 'fuzz', uid: 'fuzz-app' })).body;
    await c.post('/api/v1/event-type', { name: 'fuzz.event', description: 'fuzz' });
    const endpoint = (
      await c.post(`/api/v1/app/${app.id}/endpoint`, { url: 'https://example.com/fuzz', uid: 'fuzz-ep' })
    ).body;
    const msg = (await c.post(`/api/v1/app/${app.id}/msg`, { eventType: 'fuzz.event', payload: { a: 1 } }))
      .body;
    const op = (await c.post('/api/v1/operational-webhook/endpoint', { url: 'https://example.com/op' })).body;
    const portal = (await c.post(`/api/v1/auth/app-portal-access/${app.id}`, {})).body;
    ids = {
      appId: [app.id, 'fuzz-app'],
      endpointId: [endpoint.id, 'fuzz-ep', op.id],
      msgId: [msg.id],
      eventTypeName: ['fuzz.event'],
      attemptId: ['atmpt_' + '0'.repeat(26)],
      taskId: ['qtask_' + '0'.repeat(26)],
    };
    tokens = [tenant.apiKey, portal.token];
  }

  afterAll(async () => {
    await api.close();
  });

  /** A value a real client would send for a query parameter of that name: dates, the fixture's ids. */
  function plausibleQuery(p: Parameter): fc.Arbitrary<unknown> {
    if (DATE_FIELDS.test(p.name)) return isoDate;
    if (p.name === 'status_code_class') return fc.constantFrom(0, 100, 200, 300, 400, 500);
    if (p.name === 'application') return fc.constantFrom(...ids.appId!);
    if (p.name === 'endpoint' || p.name === 'endpoint_id') return fc.constantFrom(...ids.endpointId!);
    if (p.name === 'event_types') return fc.constant(['fuzz.event']);
    return fromSchema(doc, p.schema);
  }

  function requestFor(op: Operation): fc.Arbitrary<FuzzRequest> {
    const pathParams = op.params.filter((p) => p.in === 'path');
    const queryParams = op.params.filter((p) => p.in === 'query');
    // Half the requests name the fixture's real objects in every path parameter, half mix in hostile ids.
    const realId = (p: Parameter) => fc.constantFrom(...(ids[p.name] ?? ['x']));
    const pathOf = (value: (p: Parameter) => fc.Arbitrary<unknown>) =>
      fc.record(Object.fromEntries(pathParams.map((p) => [p.name, value(p)])));
    const pathArb = fc.oneof(
      pathOf(realId),
      pathOf((p) => fc.oneof(realId(p), hostileString)),
    );
    // Half the requests carry only plausible query values (so they reach the handlers), half mix in hostile ones.
    const queryOf = (value: (p: Parameter) => fc.Arbitrary<unknown>) =>
      fc.record(Object.fromEntries(queryParams.map((p) => [p.name, value(p)])), { requiredKeys: [] });
    const queryArb = fc.oneof(
      queryOf(plausibleQuery),
      queryOf((p) => fc.oneof(plausibleQuery(p), fromSchema(doc, p.schema), hostileString)),
    );
    const bodyArb: fc.Arbitrary<string | undefined> = op.body
      ? fc.oneof(
          { weight: 6, arbitrary: fromSchema(doc, op.body).map((v) => JSON.stringify(v)) },
          { weight: 1, arbitrary: oddJson.map((v) => JSON.stringify(v) ?? 'null') },
          { weight: 1, arbitrary: rawBody },
        )
      : fc.option(rawBody, { freq: 5, nil: undefined });
    const authArb = fc.oneof(
      { weight: 8, arbitrary: fc.constant(tokens[0]!) },
      { weight: 1, arbitrary: fc.constant(tokens[1]!) },
      { weight: 1, arbitrary: fc.oneof(hostileString, fc.constant('hr_' + 'a'.repeat(40))) },
    );
    const contentTypeArb = fc.oneof(
      { weight: 8, arbitrary: fc.constant('application/json') },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          'text/plain',
          'application/json; charset=latin1',
          'application/x-www-form-urlencoded',
          '',
        ),
      },
    );
    return fc
      .record({ path: pathArb, query: queryArb, body: bodyArb, auth: authArb, contentType: contentTypeArb })
      .map(({ path, query, body, auth, contentType }) => {
        const url =
          op.path.replace(/\{(\w+)\}/g, (_, name: string) => percentEncode(String(path[name]))) +
          queryString(query);
        const headers: Record<string, string> = {};
        // A header value must be a ByteString; a token that is not one is sent percent-encoded.
        headers.authorization = `Bearer ${/^[\x20-\x7e]*$/.test(auth) ? auth : percentEncode(auth)}`;
        if (body !== undefined && contentType) headers['content-type'] = contentType;
        return { method: op.method, path: url, headers, body };
      });
  }

  async function send(request: FuzzRequest): Promise<{ status: number; text: string }> {
    const response = await fetch(api.url + request.path, {
      method: request.method,
      headers: request.headers,
      body: request.method === 'GET' ? undefined : request.body,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    return { status: response.status, text: await response.text() };
  }

  it('covers every public operation', () => {
    const covered = [...groups.values()].flat().length;
    expect(covered).toBe(publicOperations(doc).length);
    expect(covered).toBeGreaterThan(50);
  });

  it.each(GROUPS)('%s: no 5xx and an answer before the request timeout', async (group) => {
    const ops = groups.get(group);
    expect(ops?.length).toBeGreaterThan(0);
    await fixtures();
    const arb = fc.oneof(...ops!.map((op) => requestFor(op)));
    const answered = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(arb, async (request) => {
        const { status, text } = await send(request);
        answered.set(status, (answered.get(status) ?? 0) + 1);
        if (status >= 500)
          throw new Error(`${request.method} ${request.path} answered ${status}: ${text.slice(0, 300)}`);
      }),
      { numRuns: RUNS_PER_GROUP, seed },
    );
    // The fuzz reaches the handlers: some requests succeed, not only validation and authentication refusals.
    const statuses = [...answered.keys()];
    process.stdout.write(`${group}: ${JSON.stringify(Object.fromEntries(answered))}\n`);
    expect(statuses.filter((s) => s < 300).length).toBeGreaterThan(0);
  });

  it('has a group for every tag of the public operations', () => {
    expect([...groups.keys()].sort()).toEqual([...GROUPS].sort());
  });
});
