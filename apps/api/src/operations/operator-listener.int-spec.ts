import { HttpClient, testConfig } from '@app/testing';
import { startApi, type RunningApi } from '../../../../test/support/running-api';
import { isOperatorRoute } from './operator-listener';

/** The operator's routes as an operator (with the token) would call them. */
const OPERATOR_PATHS = [
  '/admin/v1/tenants',
  '/admin/v1/health',
  '/admin/queues',
  '/docs-json',
  '/docs',
  '/metrics',
];

describe('ADMIN_LISTEN: where the operator routes are served', () => {
  it('knows the operator routes by their pattern', () => {
    for (const pattern of [
      '/admin/v1/tenants/:tenantId',
      '/admin/queues',
      '/admin/queues/*',
      '/docs',
      '/docs-json',
      '/docs/*',
      '/metrics',
    ])
      expect({ pattern, operator: isOperatorRoute(pattern) }).toEqual({ pattern, operator: true });
    for (const pattern of [
      '/api/v1/app',
      '/api/v1/health/ready',
      '/portal',
      '/web/assets/*',
      '/administrator',
      '/docsy',
      undefined,
    ])
      expect({ pattern, operator: isOperatorRoute(pattern) }).toEqual({ pattern, operator: false });
  });

  describe('on a port of its own', () => {
    const adminPort = 18710;
    let api: RunningApi;
    let operator: HttpClient;

    beforeAll(async () => {
      api = await startApi(testConfig({ ADMIN_LISTEN: String(adminPort) }));
      operator = new HttpClient(`http://127.0.0.1:${adminPort}`, api.config.adminToken);
    });

    afterAll(async () => {
      await api.close();
    });

    it.each(OPERATOR_PATHS)('serves %s on the operator port only', async (path) => {
      const publicSide = await api.admin.get(path);
      expect({ path, status: publicSide.status, code: publicSide.body.code }).toEqual({
        path,
        status: 404,
        code: 'not_found',
      });
      const operatorSide = await operator.get(path);
      expect({ path, ok: operatorSide.status === 200 }).toEqual({ path, ok: true });
    });

    it('answers an operator route on the public port exactly as an unknown route, before authentication', async () => {
      const hidden = await api.anonymous.get('/admin/v1/tenants');
      const unknown = await api.anonymous.get('/admin/v1/no-such-route');
      expect(hidden.status).toBe(404);
      expect(hidden.body).toEqual({ code: 'not_found', detail: 'Cannot GET /admin/v1/tenants' });
      expect(unknown.status).toBe(404);
    });

    it('serves the operator token only the operator routes there, and the public API still works', async () => {
      const created = await operator.post('/admin/v1/tenants', { name: 'made on the operator port' });
      expect(created.status).toBe(201);
      const tenant = new HttpClient(api.url, created.body.apiKey);
      expect((await tenant.post('/api/v1/app', { name: 'public side' })).status).toBe(201);
      const onOperatorPort = new HttpClient(`http://127.0.0.1:${adminPort}`, created.body.apiKey);
      expect((await onOperatorPort.get('/api/v1/app')).status).toBe(404);
      expect((await operator.get('/api/v1/health')).status).toBe(404);
    });

    it('still wants the token on the operator port', async () => {
      const anonymous = new HttpClient(`http://127.0.0.1:${adminPort}`);
      expect((await anonymous.get('/admin/v1/tenants')).status).toBe(401);
    });
  });

  describe('off', () => {
    let api: RunningApi;

    beforeAll(async () => {
      api = await startApi(testConfig({ ADMIN_LISTEN: 'off' }));
    });

    afterAll(async () => {
      await api.close();
    });

    it.each(OPERATOR_PATHS)('serves %s nowhere', async (path) => {
      const res = await api.admin.get(path);
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
    });

    it('serves the public API', async () => {
      expect((await api.anonymous.get('/api/v1/health')).status).toBe(204);
    });
  });

  it('serves everything on the public port by default (same)', async () => {
    const api = await startApi();
    try {
      for (const path of OPERATOR_PATHS) {
        const res = await api.admin.get(path);
        expect({ path, status: res.status }).toEqual({ path, status: 200 });
      }
    } finally {
      await api.close();
    }
  });
});
