import { testConfig } from '@app/testing';
import { startApi, RunningApi } from '../../../../test/support/running-api';

describe('HTTP error contract and health (real API over HTTP)', () => {
  let api: RunningApi;

  beforeAll(async () => {
    api = await startApi(testConfig({ MAX_PAYLOAD_BYTES: '4096' }));
  });

  afterAll(async () => {
    await api.close();
  });

  it('answers malformed JSON with 400 invalid_json', async () => {
    const res = await api.admin.post('/admin/v1/tenants', '{"name": ');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ code: 'invalid_json', detail: 'The request body is not valid JSON.' });
  });

  it('answers an empty JSON body with 400 invalid_json', async () => {
    const res = await api.admin.post('/admin/v1/tenants', '');
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('invalid_json');
  });

  it.each([['text/plain'], ['application/xml'], ['multipart/form-data; boundary=x']])(
    'answers content type %s with 415',
    async (contentType) => {
      const res = await api.admin.post('/admin/v1/tenants', 'name=x', { 'content-type': contentType });
      expect(res.status).toBe(415);
      expect(res.body).toEqual({ code: 'unsupported_media_type', detail: expect.any(String) });
    },
  );

  it('answers an oversized body with 413 before reading it all', async () => {
    const res = await api.admin.post('/admin/v1/tenants', { name: 'x', pad: 'y'.repeat(400 * 1024) });
    expect(res.status).toBe(413);
    expect(res.body).toEqual({ code: 'payload_too_large', detail: expect.any(String) });
  });

  it('answers an unknown route with 404 {code, detail}', async () => {
    const res = await api.anonymous.get('/api/v1/nothing-here');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ code: 'not_found', detail: expect.any(String) });
  });

  it('carries a request id: the caller’s x-request-id, or a new one', async () => {
    const given = await api.anonymous.get('/api/v1/health', { 'x-request-id': 'trace-123' });
    expect(given.headers.get('x-request-id')).toBe('trace-123');
    const generated = await api.anonymous.get('/api/v1/health');
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('reports liveness as Svix does (204) and readiness of PostgreSQL and Redis (200)', async () => {
    expect((await api.anonymous.get('/api/v1/health')).status).toBe(204);
    const ready = await api.anonymous.get('/api/v1/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ok', database: 'ok', redis: 'ok' });
  });

  it('serves an OpenAPI document generated from the code, and its UI', async () => {
    const json = await api.anonymous.get('/docs-json');
    expect(json.status).toBe(200);
    expect(json.body.openapi).toMatch(/^3\./);
    expect(Object.keys(json.body.paths)).toEqual(
      expect.arrayContaining([
        '/admin/v1/tenants',
        '/admin/v1/tenants/{tenantId}/api-keys',
        '/api/v1/health',
      ]),
    );
    const create = json.body.paths['/admin/v1/tenants'].post;
    const schemaRef = create.requestBody.content['application/json'].schema.$ref as string;
    const schema = json.body.components.schemas[schemaRef.split('/').pop()!];
    expect(schema.required).toContain('name');
    // Both wire names of the endpoint filter, in and out, and the svix 2.x expunge route.
    const ref = (op: any, where: 'request' | 'response') => {
      const content =
        where === 'request' ? op.requestBody.content : (Object.values(op.responses)[0] as any).content;
      return json.body.components.schemas[
        (content['application/json'].schema.$ref as string).split('/').pop()!
      ];
    };
    const endpointPath = json.body.paths['/api/v1/app/{appId}/endpoint'];
    expect(Object.keys(ref(endpointPath.post, 'request').properties)).toEqual(
      expect.arrayContaining(['eventTypes', 'filterTypes']),
    );
    expect(ref(endpointPath.post, 'request').additionalProperties).toBe(false);
    expect(ref(endpointPath.post, 'response').required).toEqual(
      expect.arrayContaining(['eventTypes', 'filterTypes']),
    );
    expect(json.body.paths['/api/v1/app/{appId}/msg/bulk-expunge'].post).toBeDefined();
    expect(json.body.paths['/api/v1/app/{appId}/msg/{msgId}/content'].delete).toBeDefined();
    const messageIn = ref(json.body.paths['/api/v1/app/{appId}/msg'].post, 'request');
    expect(messageIn.properties.transformationsParams.description).toMatch(/^Accepted and ignored: /);
    const ui = await api.anonymous.get('/docs');
    expect(ui.status).toBe(200);
    expect(String(ui.body)).toContain('swagger');
  });
});
