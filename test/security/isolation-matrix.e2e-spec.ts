import { PrismaService } from '@app/db';
import { HttpClient, testConfig, waitFor } from '@app/testing';
import { createApiApp } from '../../apps/api/src/app.factory';
import { DeliveryWorld } from '../support/delivery-world';

/**
 * The isolation matrix: tenant A gets one of everything (application, endpoints with headers and an OAuth
 * config, event type, messages, attempts, a dead letter, a background task, an operational-webhook endpoint,
 * a portal session, an API key), then tenant B's key calls EVERY operation of the served OpenAPI document with
 * A's ids in the path (and in the query and body where ids go) and gets the answer the table below says:
 * `404 not_found` for anything of A's, an empty or own-only answer for B's own collections, a refusal for the
 * operator's routes. Afterwards every row of A's is byte for byte what it was.
 *
 * The table is checked against the served document first: a route added without a row here fails the suite
 * (and one removed from the API leaves a stale row, which fails too). No route is skipped in silence.
 */

/** What tenant B must get. */
type Expected =
  /** 404 with a `*not_found` code (`application_not_found`…): A's object does not exist for B. */
  | 'not_found'
  /** 200 and a page with no rows: a filter naming A's object finds nothing of B's. */
  | 'empty'
  /** 2xx acting on B's own data only: B's own collections, B's creations under A's names (a `PUT` is an
   * upsert, as in Svix: A's id or name creates B's own object, exactly as an unknown one would). */
  | 'own'
  /** 422 `unknown_filter_value`: a filter naming A's object is "not one of yours", as an unknown one. */
  | 'unknown_filter'
  /** 401 or 403: the route is not for a tenant key at all (the operator's, or portal tokens only). */
  | 'refused'
  /** Public on purpose (health, published public keys); `why` says why that is no leak. */
  | 'public';

interface Ids {
  tenantId: string;
  keyId: string;
  appId: string;
  appUid: string;
  endpointId: string;
  endpointUid: string;
  oauthEndpointId: string;
  msgId: string;
  eventId: string;
  attemptId: string;
  eventTypeName: string;
  taskId: string;
  opEndpointId: string;
  sessionId: string;
}

type VariantName = 'ids' | 'uids' | 'ownApp';

interface Route {
  expected: Expected;
  /** Where one way of naming A's objects has another answer (see VARIANTS). */
  byVariant?: Partial<Record<VariantName, Expected>>;
  /** Also try B's own application with A's other ids, though appId is not in the path (it is in the query). */
  ownAppInQuery?: boolean;
  why?: string;
  /** Query string (without `?`) built from the ids the request is made with. */
  query?: (ids: Ids) => string;
  /** A valid request body, so the answer is about scoping, never about validation. */
  body?: (ids: Ids) => unknown;
}

const since = () => new Date(Date.now() - 3_600_000).toISOString();

const endpointBody = (ids: Ids) => ({ url: 'https://example.com/isolation', description: ids.appId });

const ROUTES: Record<string, Route> = {
  // Health: no tenant data.
  'GET /api/v1/health': { expected: 'public', why: 'liveness, no tenant data' },
  'GET /api/v1/health/ready': { expected: 'public', why: 'ok/error per component, no tenant data' },
  'GET /admin/v1/health': { expected: 'refused' },

  // Portal and dashboard tokens.
  'POST /api/v1/auth/app-portal-access/{appId}': { expected: 'not_found', body: () => ({}) },
  'POST /api/v1/auth/dashboard-access/{appId}': { expected: 'not_found' },
  'POST /api/v1/auth/app/{appId}/expire-all': {
    expected: 'not_found',
    body: (ids) => ({ sessionIds: [ids.sessionId] }),
  },
  'POST /api/v1/auth/logout': { expected: 'refused' },

  // The operator's API: never with a tenant key.
  'POST /admin/v1/tenants': { expected: 'refused', body: () => ({ name: 'intruder' }) },
  'GET /admin/v1/tenants': { expected: 'refused' },
  'GET /admin/v1/tenants/{tenantId}': { expected: 'refused' },
  'DELETE /admin/v1/tenants/{tenantId}': { expected: 'refused' },
  'GET /admin/v1/tenants/{tenantId}/settings': { expected: 'refused' },
  'PATCH /admin/v1/tenants/{tenantId}/settings': { expected: 'refused', body: () => ({ retentionDays: 1 }) },
  'POST /admin/v1/tenants/{tenantId}/api-keys': { expected: 'refused', body: () => ({ name: 'intruder' }) },
  'GET /admin/v1/tenants/{tenantId}/api-keys': { expected: 'refused' },
  'DELETE /admin/v1/tenants/{tenantId}/api-keys/{keyId}': { expected: 'refused' },
  'GET /metrics': { expected: 'refused' },

  // Applications.
  'GET /api/v1/app': { expected: 'own' },
  'POST /api/v1/app': { expected: 'own', body: (ids) => ({ name: 'B under A uid', uid: ids.appUid }) },
  'GET /api/v1/app/{appId}': { expected: 'not_found' },
  'PUT /api/v1/app/{appId}': { expected: 'own', body: () => ({ name: 'B upserts its own' }) },
  'PATCH /api/v1/app/{appId}': { expected: 'not_found', body: () => ({ name: 'taken over' }) },
  'DELETE /api/v1/app/{appId}': { expected: 'not_found' },

  // Event types.
  'GET /api/v1/event-type': { expected: 'own' },
  'POST /api/v1/event-type': {
    expected: 'own',
    body: (ids) => ({ name: ids.eventTypeName, description: 'B has its own' }),
  },
  'GET /api/v1/event-type/{eventTypeName}': { expected: 'not_found' },
  'PUT /api/v1/event-type/{eventTypeName}': {
    expected: 'own',
    body: () => ({ description: 'B upserts its own' }),
  },
  'PATCH /api/v1/event-type/{eventTypeName}': { expected: 'not_found', body: () => ({ description: 'x' }) },
  'DELETE /api/v1/event-type/{eventTypeName}': { expected: 'not_found' },

  // Endpoints.
  'GET /api/v1/app/{appId}/endpoint': { expected: 'not_found' },
  'POST /api/v1/app/{appId}/endpoint': { expected: 'not_found', body: endpointBody },
  'GET /api/v1/app/{appId}/endpoint/{endpointId}': { expected: 'not_found' },
  'PUT /api/v1/app/{appId}/endpoint/{endpointId}': {
    expected: 'not_found',
    byVariant: { ownApp: 'own' },
    body: endpointBody,
  },
  'PATCH /api/v1/app/{appId}/endpoint/{endpointId}': {
    expected: 'not_found',
    body: () => ({ disabled: true }),
  },
  'DELETE /api/v1/app/{appId}/endpoint/{endpointId}': { expected: 'not_found' },
  'POST /api/v1/app/{appId}/endpoint/{endpointId}/verification/resend': { expected: 'not_found' },
  'GET /api/v1/app/{appId}/endpoint/{endpointId}/secret': { expected: 'not_found' },
  'POST /api/v1/app/{appId}/endpoint/{endpointId}/secret/rotate': { expected: 'not_found', body: () => ({}) },
  'GET /api/v1/app/{appId}/endpoint/{endpointId}/headers': { expected: 'not_found' },
  'PUT /api/v1/app/{appId}/endpoint/{endpointId}/headers': {
    expected: 'not_found',
    body: () => ({ headers: { 'x-intruder': '1' } }),
  },
  'PATCH /api/v1/app/{appId}/endpoint/{endpointId}/headers': {
    expected: 'not_found',
    body: () => ({ headers: { 'x-intruder': '1' }, deleteHeaders: ['x-a'] }),
  },
  'GET /api/v1/app/{appId}/public-keys': {
    expected: 'public',
    byVariant: { uids: 'not_found' },
    why: "receivers fetch an application's ed25519 public keys without a key (by random id, never by uid)",
  },
  'GET /api/v1/app/{appId}/endpoint/{endpointId}/oauth': { expected: 'not_found' },
  'PUT /api/v1/app/{appId}/endpoint/{endpointId}/oauth': {
    expected: 'not_found',
    body: () => ({
      grantType: 'clientCredentials',
      authMethod: 'clientSecretPost',
      clientId: 'intruder',
      clientSecret: 'intruder',
      tokenUrl: 'https://example.com/token',
    }),
  },
  'DELETE /api/v1/app/{appId}/endpoint/{endpointId}/oauth': { expected: 'not_found' },
  'POST /api/v1/app/{appId}/endpoint/{endpointId}/recover': {
    expected: 'not_found',
    body: () => ({ since: since() }),
  },
  'POST /api/v1/app/{appId}/endpoint/{endpointId}/replay-missing': {
    expected: 'not_found',
    body: () => ({ since: since() }),
  },
  'GET /api/v1/app/{appId}/endpoint/{endpointId}/stats': { expected: 'not_found' },
  'POST /api/v1/app/{appId}/endpoint/{endpointId}/send-example': {
    expected: 'not_found',
    body: (ids) => ({ eventType: ids.eventTypeName }),
  },

  // Operational webhooks: {endpointId} is A's operational endpoint here.
  'GET /api/v1/operational-webhook/endpoint': { expected: 'own' },
  'POST /api/v1/operational-webhook/endpoint': {
    expected: 'own',
    body: () => ({ url: 'https://example.com/operational', filterTypes: ['endpoint.disabled'] }),
  },
  'GET /api/v1/operational-webhook/endpoint/{endpointId}': { expected: 'not_found' },
  'PUT /api/v1/operational-webhook/endpoint/{endpointId}': {
    expected: 'own',
    body: () => ({ url: 'https://example.com/taken-over' }),
  },
  'DELETE /api/v1/operational-webhook/endpoint/{endpointId}': { expected: 'not_found' },
  'GET /api/v1/operational-webhook/endpoint/{endpointId}/secret': { expected: 'not_found' },
  'POST /api/v1/operational-webhook/endpoint/{endpointId}/secret/rotate': {
    expected: 'not_found',
    body: () => ({}),
  },
  'GET /api/v1/operational-webhook/endpoint/{endpointId}/headers': { expected: 'not_found' },
  'PUT /api/v1/operational-webhook/endpoint/{endpointId}/headers': {
    expected: 'not_found',
    body: () => ({ headers: { 'x-intruder': '1' } }),
  },

  // Messages and attempts.
  'POST /api/v1/app/{appId}/msg': {
    expected: 'not_found',
    body: (ids) => ({ eventType: ids.eventTypeName, payload: { intruder: true }, eventId: ids.eventId }),
  },
  'GET /api/v1/app/{appId}/msg': { expected: 'not_found', query: () => 'with_content=true' },
  'POST /api/v1/app/{appId}/msg/bulk-expunge': {
    expected: 'not_found',
    body: (ids) => ({ ids: [ids.msgId] }),
  },
  'GET /api/v1/app/{appId}/msg/{msgId}': { expected: 'not_found', query: () => 'with_content=true' },
  'DELETE /api/v1/app/{appId}/msg/{msgId}/content': { expected: 'not_found' },
  'GET /api/v1/app/{appId}/attempt/endpoint/{endpointId}': {
    expected: 'not_found',
    query: () => 'with_content=true&with_msg=true',
  },
  'GET /api/v1/app/{appId}/attempt/msg/{msgId}': {
    expected: 'not_found',
    query: (ids) => `with_content=true&endpoint_id=${ids.endpointId}`,
  },
  'GET /api/v1/app/{appId}/msg/{msgId}/attempt/{attemptId}': { expected: 'not_found' },
  'DELETE /api/v1/app/{appId}/msg/{msgId}/attempt/{attemptId}/content': { expected: 'not_found' },
  'GET /api/v1/app/{appId}/msg/{msgId}/endpoint': { expected: 'not_found' },
  'GET /api/v1/app/{appId}/endpoint/{endpointId}/msg': {
    expected: 'not_found',
    query: () => 'with_content=true',
  },
  'POST /api/v1/app/{appId}/msg/{msgId}/endpoint/{endpointId}/resend': { expected: 'not_found' },

  // Tenant-wide views: A's ids as filters find nothing.
  'GET /api/v1/background-task': { expected: 'own' },
  'GET /api/v1/background-task/{taskId}': { expected: 'not_found' },
  'GET /api/v1/dead-letter': {
    expected: 'unknown_filter',
    query: (ids) => `application=${ids.appId}&endpoint=${ids.endpointId}`,
  },
  'POST /api/v1/dead-letter/redrive': {
    expected: 'unknown_filter',
    body: (ids) => ({ application: ids.appId, endpoint: ids.endpointId }),
  },
  'GET /api/v1/stats/delivery': {
    expected: 'unknown_filter',
    query: (ids) => `application=${ids.appId}&endpoint=${ids.endpointId}`,
  },
  'GET /api/v1/search/message': {
    expected: 'unknown_filter',
    byVariant: { ownApp: 'empty' },
    ownAppInQuery: true,
    query: (ids) => `application=${ids.appId}&event_id=${ids.eventId}`,
  },
};

/**
 * Routes the server registers that the OpenAPI document leaves out on purpose, with the reason. Every other
 * route must be in the document, so the matrix above walks it.
 */
const NOT_IN_DOCUMENT: Record<string, string> = {
  'POST /api/v1/relay/in/{token}':
    'relay ingress for `hookrelay listen`: the unguessable relay token in the path is the credential, no tenant data',
  'GET /docs/*': "the API documentation's static assets (Swagger UI), for the operator (ADMIN_LISTEN)",
  'GET /portal': 'the consumer portal page: static HTML, its data comes from documented routes',
  'GET /dashboard': 'the tenant dashboard page: static HTML, its data comes from documented routes',
};

/** One way to name A's objects in a request. */
interface Variant {
  name: VariantName;
  /** The ids to put in the path, query and body; undefined when the variant does not apply to the route. */
  ids(a: Ids, b: { appId: string }, params: string[], route: Route): Ids | undefined;
}

const VARIANTS: Variant[] = [
  { name: 'ids', ids: (a) => a },
  {
    name: 'uids',
    ids: (a, _b, params) =>
      params.includes('appId') || params.includes('endpointId')
        ? { ...a, appId: a.appUid, endpointId: a.endpointUid }
        : undefined,
  },
  {
    // B's own application with A's children under it: a lookup scoped by application but not by tenant.
    name: 'ownApp',
    ids: (a, b, params, route) =>
      (params.includes('appId') && params.length > 1) || route.ownAppInQuery
        ? { ...a, appId: b.appId }
        : undefined,
  },
];

const PATH_PARAMS: Record<string, (ids: Ids, path: string) => string> = {
  tenantId: (ids) => ids.tenantId,
  keyId: (ids) => ids.keyId,
  appId: (ids) => ids.appId,
  endpointId: (ids, path) =>
    path.startsWith('/api/v1/operational-webhook/') ? ids.opEndpointId : ids.endpointId,
  msgId: (ids) => ids.msgId,
  attemptId: (ids) => ids.attemptId,
  eventTypeName: (ids) => ids.eventTypeName,
  taskId: (ids) => ids.taskId,
};

const paramsOf = (path: string) => [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);

describe('isolation matrix: every OpenAPI operation with another tenant’s key (e2e)', () => {
  const world = new DeliveryWorld();
  let operations: string[];
  let a: Ids;
  /** Strings only A knows: none may appear in an answer to B unless B sent it. */
  let secrets: string[];
  let before: Record<string, string>;

  /** Every row of A's, per table, as text: what must not change. */
  async function snapshotOf(tenantId: string): Promise<Record<string, string>> {
    const prisma = world.worker.get(PrismaService);
    const tables = await prisma.$queryRaw<{ table_name: string }[]>`
      SELECT table_name::text FROM information_schema.columns
      WHERE table_schema = 'public' AND column_name = 'tenant_id' ORDER BY table_name`;
    const snapshot: Record<string, string> = {};
    for (const { table_name: table } of tables) {
      // The outbox is a queue the workers drain (and delete from); what its events do lands in other tables.
      if (table === 'outbox_events') continue;
      const rows = await prisma.$queryRawUnsafe<{ rows: string | null }[]>(
        `SELECT string_agg(t::text, E'\\n' ORDER BY t::text) AS rows FROM "${table}" t WHERE tenant_id = $1`,
        tenantId,
      );
      snapshot[table] = rows[0]?.rows ?? '';
    }
    const tenant = await prisma.$queryRawUnsafe<{ row: string }[]>(
      `SELECT t::text AS row FROM tenants t WHERE id = $1`,
      tenantId,
    );
    snapshot.tenants = tenant[0]?.row ?? '';
    return snapshot;
  }

  beforeAll(async () => {
    await world.start();
    operations = [];
    const doc = (await world.api.anonymous.get('/docs-json')).body as {
      paths: Record<string, Record<string, unknown>>;
    };
    for (const [path, methods] of Object.entries(doc.paths))
      for (const method of Object.keys(methods)) operations.push(`${method.toUpperCase()} ${path}`);

    // Tenant A: one of everything.
    const receiver = await world.receiver(() => ({ status: 500 }));
    const { tenant, svix, app } = await world.tenantWithApp('isolation A');
    const client = tenant.client;
    const appUid = 'isolation-a-app';
    await svix.application.update(app.id, { name: app.name, uid: appUid });
    const eventType = await svix.eventType.create({ name: 'isolation.happened', description: 'A only' });
    const endpoint = await svix.endpoint.create(app.id, {
      url: receiver.url,
      uid: 'isolation-a-endpoint',
      headers: { 'x-a': 'a-header-value' },
    });
    const message = await svix.message.create(app.id, {
      eventType: eventType.name,
      eventId: 'isolation-a-event',
      payload: { secret: 'a-payload-secret' },
    });
    const prisma = world.worker.get(PrismaService);
    await waitFor('A’s delivery to be dead-lettered', async () => {
      const delivery = await prisma.delivery.findFirst({ where: { messageId: message.id } });
      return delivery?.status === 'fail';
    });
    const attempts = await world.attemptsOf(message.id, endpoint.id);
    const recover = await client.post(`/api/v1/app/${app.id}/endpoint/${endpoint.id}/recover`, {
      since: since(),
    });
    expect(recover.status).toBe(202);
    const taskId = recover.body.id as string;
    await waitFor('A’s recover task to finish', async () => {
      const task = await client.get(`/api/v1/background-task/${taskId}`);
      return task.body.status === 'finished';
    });
    await waitFor('the recovered delivery to be dead-lettered again', async () => {
      const open = await prisma.delivery.count({ where: { tenantId: tenant.id, status: { not: 'fail' } } });
      return open === 0;
    });
    // An endpoint with an OAuth config (added after the deliveries, so no token endpoint is needed).
    const oauthEndpoint = await svix.endpoint.create(app.id, { url: receiver.url, disabled: true });
    const oauth = await client.put(`/api/v1/app/${app.id}/endpoint/${oauthEndpoint.id}/oauth`, {
      grantType: 'clientCredentials',
      authMethod: 'clientSecretPost',
      clientId: 'a-client',
      clientSecret: 'a-client-secret',
      tokenUrl: `${receiver.url}/token`,
    });
    expect(oauth.status).toBe(204);
    const opEndpoint = await client.post('/api/v1/operational-webhook/endpoint', {
      url: 'https://example.com/a-operational',
      filterTypes: ['endpoint.disabled'],
    });
    expect(opEndpoint.status).toBe(201);
    const portal = await client.post(`/api/v1/auth/app-portal-access/${app.id}`, { sessionId: 'a-session' });
    expect(portal.status).toBe(200);
    const keys = await world.api.admin.get(`/admin/v1/tenants/${tenant.id}/api-keys`);
    const secret = await client.get(`/api/v1/app/${app.id}/endpoint/${endpoint.id}/secret`);

    a = {
      tenantId: tenant.id,
      keyId: keys.body.data[0].id,
      appId: app.id,
      appUid,
      endpointId: endpoint.id,
      endpointUid: 'isolation-a-endpoint',
      oauthEndpointId: oauthEndpoint.id,
      msgId: message.id,
      eventId: 'isolation-a-event',
      attemptId: attempts[0]!.id,
      eventTypeName: eventType.name,
      taskId,
      opEndpointId: opEndpoint.body.id,
      sessionId: 'a-session',
    };
    secrets = [
      ...Object.values(a),
      tenant.apiKey,
      portal.body.token,
      secret.body.key,
      'a-header-value',
      'a-payload-secret',
      'a-client-secret',
    ];

    before = await snapshotOf(a.tenantId);
  });

  afterAll(async () => {
    await world.stop();
  });

  it('has a row for exactly the operations of the served OpenAPI document', () => {
    expect(operations.length).toBeGreaterThan(50);
    const missing = operations.filter((op) => !(op in ROUTES));
    const stale = Object.keys(ROUTES).filter((op) => !operations.includes(op));
    expect({ missing, stale }).toEqual({ missing: [], stale: [] });
  });

  /** A fresh tenant B per route (what B creates under A's names for one route cannot answer another's). */
  async function tenantB(): Promise<{ client: HttpClient; appId: string }> {
    const b = await world.api.newTenant('isolation B');
    const app = await b.client.post('/api/v1/app', { name: 'B app' });
    expect(app.status).toBe(201);
    return { client: b.client, appId: app.body.id };
  }

  it('has every route the server registers in the OpenAPI document, or named as left out with a reason', async () => {
    const config = testConfig();
    const app = await createApiApp(config);
    const registered: string[] = [];
    app
      .getHttpAdapter()
      .getInstance()
      .addHook('onRoute', (route) => {
        for (const method of [route.method].flat()) {
          if (method === 'HEAD' || route.url.startsWith('/web/assets')) continue;
          registered.push(`${method} ${route.url.replace(/:(\w+)/g, '{$1}')}`);
        }
      });
    await app.init();
    await app.close();
    expect(registered.length).toBeGreaterThan(50);
    const unknown = registered.filter((route) => !operations.includes(route) && !(route in NOT_IN_DOCUMENT));
    const stale = Object.keys(NOT_IN_DOCUMENT).filter((route) => !registered.includes(route));
    expect({ unknown, stale }).toEqual({ unknown: [], stale: [] });
  });

  it.each(Object.keys(ROUTES))('%s answers tenant B as the table says', async (operation) => {
    const route = ROUTES[operation]!;
    const [method, template] = operation.split(' ') as [string, string];
    const params = paramsOf(template);
    const b = await tenantB();
    let calls = 0;
    for (const variant of VARIANTS) {
      const ids = variant.ids(a, { appId: b.appId }, params, route);
      if (ids === undefined) continue;
      calls++;
      const path = template.replace(/\{(\w+)\}/g, (_, name: string) => {
        const fill = PATH_PARAMS[name];
        if (fill === undefined) throw new Error(`the matrix cannot fill {${name}} of ${operation}`);
        return encodeURIComponent(fill(ids, template));
      });
      const url = route.query ? `${path}?${route.query(ids)}` : path;
      const body = route.body?.(ids);
      const res = await b.client.request(method, url, body);
      const context = `${operation} (${variant.name}) → ${res.status} ${JSON.stringify(res.body)}`;
      const expected = route.byVariant?.[variant.name] ?? route.expected;

      switch (expected) {
        case 'not_found':
          expect({ context, status: res.status, code: res.body?.code }).toEqual({
            context,
            status: 404,
            code: expect.stringMatching(/not_found$/),
          });
          break;
        case 'empty':
          expect({ context, status: res.status, data: res.body?.data }).toEqual({
            context,
            status: 200,
            data: [],
          });
          break;
        case 'own':
          expect({ context, ok: res.status >= 200 && res.status < 300 }).toEqual({ context, ok: true });
          break;
        case 'unknown_filter':
          expect({ context, status: res.status, code: res.body?.code }).toEqual({
            context,
            status: 422,
            code: 'unknown_filter_value',
          });
          break;
        case 'refused':
          expect({ context, refused: res.status === 401 || res.status === 403 }).toEqual({
            context,
            refused: true,
          });
          break;
        case 'public':
          expect({ context, ok: res.status >= 200 && res.status < 300, why: typeof route.why }).toEqual({
            context,
            ok: true,
            why: 'string',
          });
          break;
      }

      // Whatever the answer, it carries nothing of A's that B did not send itself.
      const sent = `${url} ${JSON.stringify(body ?? '')}`;
      const text = typeof res.body === 'string' ? res.body : JSON.stringify(res.body);
      const leaked = secrets.filter((s) => !sent.includes(s) && text.includes(s));
      if (expected !== 'public') expect({ context, leaked }).toEqual({ context, leaked: [] });
    }
    expect(calls).toBeGreaterThan(0);
  });

  it("leaves every row of tenant A's as it was", async () => {
    const after = await snapshotOf(a.tenantId);
    expect(Object.keys(after).length).toBeGreaterThan(5);
    for (const table of Object.keys(before))
      expect({ table, rows: after[table] }).toEqual({ table, rows: before[table] });
  });
});
