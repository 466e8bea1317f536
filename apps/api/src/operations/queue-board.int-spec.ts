import { startApi, RunningApi } from '../../../../test/support/running-api';

/** bull-board at /admin/queues: the operator's, by Bearer token or by Basic with the token as the password. */
describe('queue UI at /admin/queues', () => {
  let api: RunningApi;

  beforeAll(async () => {
    api = await startApi();
  });

  afterAll(async () => {
    await api.close();
  });

  const basic = (user: string, password: string) =>
    `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

  it('refuses anyone without the operator token, asking a browser for it', async () => {
    const anonymous = await api.anonymous.get('/admin/queues');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toContain('Basic realm="Hookrelay queues"');
    expect(anonymous.body).toMatchObject({ code: 'unauthorized' });
    expect(anonymous.body.detail).toContain('ADMIN_TOKEN');

    const tenant = await api.newTenant('not an operator');
    expect((await tenant.client.get('/admin/queues')).status).toBe(401);
    expect((await tenant.client.get('/admin/queues/api/queues')).status).toBe(401);
    expect(
      (await api.anonymous.get('/admin/queues', { authorization: basic('admin', 'wrong-token') })).status,
    ).toBe(401);
  });

  it('serves the page and lists our queues to the operator', async () => {
    const page = await api.admin.get('/admin/queues');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.body).toContain('Hookrelay queues');

    const viaBrowser = await api.anonymous.get('/admin/queues/api/queues', {
      authorization: basic('anyone', api.config.adminToken),
    });
    expect(viaBrowser.status).toBe(200);
    expect(viaBrowser.body.queues.map((q: { name: string }) => q.name)).toEqual(['delivery']);
  });
});
