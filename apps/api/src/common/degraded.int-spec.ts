import { PrismaService } from '@app/db';
import { testConfig } from '@app/testing';
import { startApi, RunningApi } from '../../../../test/support/running-api';

/** Nothing listens on port 1 of the loopback: connections to it are refused at once. */
const NOWHERE = '127.0.0.1:1';

describe('the API without Redis: degraded but accepting', () => {
  let api: RunningApi;

  beforeAll(async () => {
    api = await startApi(testConfig({ REDIS_URL: `redis://${NOWHERE}` }));
  });

  afterAll(async () => {
    await api.close();
  });

  it('commits and accepts a message (202), leaving its delivery due for the reconciler', async () => {
    const tenant = await api.newTenant('no redis');
    const app = await tenant.client.post('/api/v1/app', { name: 'no redis' });
    const endpoint = await tenant.client.post(`/api/v1/app/${app.body.id}/endpoint`, {
      url: 'https://example.com/hook',
    });
    expect(endpoint.status).toBe(201);
    const res = await tenant.client.post(`/api/v1/app/${app.body.id}/msg`, {
      eventType: 'invoice.paid',
      payload: { id: 1 },
    });
    expect(res.status).toBe(202);
    const delivery = await api.app
      .get(PrismaService)
      .delivery.findFirstOrThrow({ where: { messageId: res.body.id, endpointId: endpoint.body.id } });
    expect(delivery).toMatchObject({ status: 'pending', fence: 0 });
    expect(delivery.nextAttemptAt).not.toBeNull();
  });

  it('reports itself ready but degraded, naming only the component', async () => {
    const ready = await api.anonymous.get('/api/v1/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'degraded', database: 'ok', redis: 'error' });
  });
});

describe('the API without PostgreSQL', () => {
  let api: RunningApi;

  beforeAll(async () => {
    api = await startApi(testConfig({ DATABASE_URL: `postgresql://hookrelay:x@${NOWHERE}/hookrelay` }));
  });

  afterAll(async () => {
    await api.close();
  });

  it.each([
    ['a message create', 'POST', '/api/v1/app/app_x/msg', { eventType: 'a', payload: {} }],
    ['a read', 'GET', '/api/v1/app', undefined],
  ])(
    'answers %s with 503 temporarily_unavailable and Retry-After, never 2xx or 500',
    async (_, method, path, body) => {
      // A well-formed key, so the request gets as far as looking it up.
      const res = await api.anonymous.withToken(`hr_${'A'.repeat(43)}`).request(method, path, body);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(res.body).toEqual({
        code: 'temporarily_unavailable',
        detail: expect.stringContaining('database'),
      });
    },
  );

  it('reports itself unavailable (503) without saying more than which component failed', async () => {
    const ready = await api.anonymous.get('/api/v1/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body).toEqual({ status: 'unavailable', database: 'error', redis: 'ok' });
  });

  it('tells the operator why, behind the admin token only', async () => {
    expect((await api.anonymous.get('/admin/v1/health')).status).toBe(401);
    const details = await api.admin.get('/admin/v1/health');
    expect(details.status).toBe(200);
    expect(details.body).toMatchObject({
      status: 'unavailable',
      database: { status: 'error', durationMs: expect.any(Number), error: expect.any(String) },
      redis: { status: 'ok', durationMs: expect.any(Number) },
    });
    expect(details.body.database.error.length).toBeGreaterThan(0);
  });
});
