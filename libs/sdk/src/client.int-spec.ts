import { startApi, RunningApi } from '../../../test/support/running-api';
import {
  API_KEY_CREATED_FIELDS,
  API_KEY_FIELDS,
  BACKGROUND_TASK_FIELDS,
  DEAD_LETTER_FIELDS,
  DELIVERY_STATS_FIELDS,
  HookrelayAdmin,
  HookrelayClient,
  HookrelayError,
  PORTAL_ACCESS_FIELDS,
  ROUTES,
  TENANT_CREATED_FIELDS,
  TENANT_FIELDS,
  TENANT_SETTINGS_FIELDS,
} from './client';

interface OpenApi {
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content?: Record<string, { schema?: any }> }> }>
  >;
  components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
}

/** The SDK's hand-written types against the API's own OpenAPI document, then against the API itself. */
describe('@hookrelay/sdk client', () => {
  let api: RunningApi;
  let doc: OpenApi;

  beforeAll(async () => {
    api = await startApi();
    doc = (await api.anonymous.get('/docs-json')).body;
  });

  afterAll(async () => {
    await api.close();
  });

  /** The property names of a route's documented response (its first 2xx with a schema). */
  function responseFields(method: string, path: string): string[] {
    const operation = doc.paths[path]?.[method.toLowerCase()];
    if (!operation) throw new Error(`${method} ${path} is not in the document`);
    for (const [status, response] of Object.entries(operation.responses)) {
      const schema = status.startsWith('2') ? response.content?.['application/json']?.schema : undefined;
      if (!schema) continue;
      const ref: string | undefined = schema.$ref ?? schema.items?.$ref;
      const resolved = ref ? doc.components.schemas[ref.split('/').pop()!] : schema;
      return Object.keys(resolved?.properties ?? {}).sort();
    }
    throw new Error(`${method} ${path} documents no response schema`);
  }

  it('uses only routes the OpenAPI document has, with their methods', () => {
    const missing = Object.entries(ROUTES)
      .filter(([, [method, path]]) => !doc.paths[path]?.[method.toLowerCase()])
      .map(([name, [method, path]]) => `${name}: ${method} ${path}`);
    expect(missing).toEqual([]);
  });

  it('declares exactly the fields the document gives each admin and portal response', () => {
    const cases: [string, string, readonly string[]][] = [
      ...[ROUTES.createTenant].map(
        ([m, p]) => [m, p, TENANT_CREATED_FIELDS] as [string, string, readonly string[]],
      ),
      [ROUTES.getTenant[0], ROUTES.getTenant[1], TENANT_FIELDS],
      [ROUTES.getTenantSettings[0], ROUTES.getTenantSettings[1], TENANT_SETTINGS_FIELDS],
      [ROUTES.updateTenantSettings[0], ROUTES.updateTenantSettings[1], TENANT_SETTINGS_FIELDS],
      [ROUTES.createApiKey[0], ROUTES.createApiKey[1], API_KEY_CREATED_FIELDS],
      [ROUTES.listApiKeys[0], ROUTES.listApiKeys[1], API_KEY_FIELDS],
      [ROUTES.appPortalAccess[0], ROUTES.appPortalAccess[1], PORTAL_ACCESS_FIELDS],
      [ROUTES.getBackgroundTask[0], ROUTES.getBackgroundTask[1], BACKGROUND_TASK_FIELDS],
      [ROUTES.redriveDeadLetters[0], ROUTES.redriveDeadLetters[1], BACKGROUND_TASK_FIELDS],
      [ROUTES.deliveryStats[0], ROUTES.deliveryStats[1], DELIVERY_STATS_FIELDS],
    ];
    for (const [method, path, fields] of cases) {
      expect([method, path, responseFields(method, path)]).toEqual([method, path, [...fields].sort()]);
    }
  });

  it('drives the admin API: tenants, settings, API keys', async () => {
    const admin = new HookrelayAdmin({ serverUrl: `${api.url}/`, token: api.config.adminToken });
    const tenant = await admin.tenants.create({ name: 'From the SDK' });
    expect(Object.keys(tenant).sort()).toEqual([...TENANT_CREATED_FIELDS].sort());
    expect(await admin.tenants.get(tenant.id)).toEqual({
      id: tenant.id,
      name: 'From the SDK',
      createdAt: tenant.createdAt,
    });
    expect((await admin.tenants.list({ limit: 250 })).data.map((t) => t.id)).toContain(tenant.id);
    expect(await admin.tenants.updateSettings(tenant.id, { rejectUnknownEventTypes: true })).toEqual({
      rejectUnknownEventTypes: true,
      retentionDays: 30,
      requireEndpointVerification: false,
      rateLimitPerSecond: null,
    });
    expect(await admin.tenants.updateSettings(tenant.id, { retentionDays: 90 })).toEqual({
      rejectUnknownEventTypes: true,
      retentionDays: 90,
      requireEndpointVerification: false,
      rateLimitPerSecond: null,
    });
    expect(await admin.tenants.settings(tenant.id)).toEqual({
      rejectUnknownEventTypes: true,
      retentionDays: 90,
      requireEndpointVerification: false,
      rateLimitPerSecond: null,
    });
    const key = await admin.apiKeys.create(tenant.id, { name: 'ci' });
    expect(key.key.startsWith(key.prefix)).toBe(true);
    const keys = await admin.apiKeys.list(tenant.id);
    expect(keys.data.map((k) => k.id)).toContain(key.id);
    expect(keys.data.every((k) => !('key' in k))).toBe(true);

    const client = new HookrelayClient({ serverUrl: api.url, token: key.key });
    const app = await client.applications.create({ name: 'SDK app', uid: 'sdk-app' });
    const portal = await client.portal.access('sdk-app', { capabilities: ['ViewBase'] });
    expect(portal.url).toBe(`${api.url}/portal#token=${portal.token}`);
    expect((await client.applications.get(app.id)).uid).toBe('sdk-app');

    await admin.apiKeys.revoke(tenant.id, key.id);
    const refused = await client.applications.list().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(HookrelayError);
    expect(refused).toMatchObject({ status: 401, code: 'unauthorized' });
    await admin.tenants.delete(tenant.id);
    await expect(admin.tenants.get(tenant.id)).rejects.toMatchObject({
      status: 404,
      code: 'tenant_not_found',
    });
  });

  it('drives the dashboard routes: dead letters, redrive, tasks, statistics, search', async () => {
    const { apiKey } = await api.newTenant('dashboard SDK');
    const client = new HookrelayClient({ serverUrl: api.url, token: apiKey });
    const app = await client.applications.create({ name: 'dash', uid: 'dash' });
    const msg = await client.messages.create('dash', {
      eventType: 'a.b',
      payload: {},
      eventId: 'e-1',
      tags: ['t'],
    });

    const letters = await client.deadLetters.list({ application: 'dash', statusCodeClass: 500 });
    expect(letters).toEqual({ data: [], iterator: null, prevIterator: null, done: true });
    const task = await client.deadLetters.redrive({ application: app.id });
    expect(Object.keys(task).sort()).toEqual([...BACKGROUND_TASK_FIELDS].sort());
    expect(task).toMatchObject({ status: 'finished', task: 'dead-letter.redrive', data: { total: 0 } });
    expect(await client.backgroundTasks.get(task.id)).toEqual(task);
    expect((await client.backgroundTasks.list({ status: 'finished' })).data).toEqual([task]);

    const stats = await client.stats.deliveries({ application: 'dash', interval: 'hour' });
    expect(Object.keys(stats).sort()).toEqual([...DELIVERY_STATS_FIELDS].sort());
    expect(stats.buckets.length).toBeGreaterThanOrEqual(24);
    const found = await client.search.messages({ eventId: 'e-1', eventTypes: ['a.b'], tag: 't' });
    expect(found.data.map((m) => m.id)).toEqual([msg.id]);

    const refused = await client.deadLetters.list({ eventTypes: ['no.such'] }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ status: 422, code: 'unknown_filter_value' });
    expect(DEAD_LETTER_FIELDS).toContain('failedAt');
  });
});
