import { Svix } from 'svix';
import { svixError } from '@app/testing';
import { startApi, RunningApi } from '../../../../test/support/running-api';

/** Driven through the official svix SDK (1.x), pointed at Hookrelay with serverUrl. */
describe('applications via the svix SDK', () => {
  let api: RunningApi;
  let svix: Svix;
  let tenant: Awaited<ReturnType<RunningApi['newTenant']>>;

  const sdk = (key: string) => new Svix(key, { serverUrl: api.url, retryScheduleInMs: [] });

  beforeAll(async () => {
    api = await startApi();
    tenant = await api.newTenant('sdk');
    svix = sdk(tenant.apiKey);
  });

  afterAll(async () => {
    await api.close();
  });

  it('creates, gets by id and by uid, updates, patches, lists and deletes', async () => {
    const created = await svix.application.create({
      name: 'Customer A',
      uid: 'customer-a',
      metadata: { plan: 'pro' },
    });
    expect(created).toMatchObject({ name: 'Customer A', uid: 'customer-a', metadata: { plan: 'pro' } });
    expect(created.id).toMatch(/^app_/);
    expect(created.createdAt).toBeInstanceOf(Date);
    expect(Number.isNaN(created.updatedAt.getTime())).toBe(false);

    expect((await svix.application.get(created.id)).id).toBe(created.id);
    expect((await svix.application.get('customer-a')).id).toBe(created.id);

    const updated = await svix.application.update('customer-a', {
      name: 'Customer A2',
      uid: 'customer-a',
      throttleRate: 5,
    });
    expect(updated).toMatchObject({ id: created.id, name: 'Customer A2', throttleRate: 5, metadata: {} });

    const patched = await svix.application.patch(created.id, { metadata: { tier: 'gold' } });
    expect(patched).toMatchObject({ name: 'Customer A2', throttleRate: 5, metadata: { tier: 'gold' } });

    const list = await svix.application.list();
    expect(list.data.map((a) => a.id)).toContain(created.id);

    await svix.application.delete('customer-a');
    expect((await svixError(svix.application.get(created.id))).code).toBe(404);
  });

  it('get_if_exists returns the existing application instead of a conflict', async () => {
    const first = await svix.application.getOrCreate({ name: 'Idem', uid: 'idem' });
    const second = await svix.application.getOrCreate({ name: 'Idem again', uid: 'idem' });
    expect(second.id).toBe(first.id);
    expect(second.name).toBe('Idem');
    const conflict = await svixError(svix.application.create({ name: 'dup', uid: 'idem' }));
    expect(conflict.code).toBe(409);
    expect(conflict.body).toMatchObject({ code: 'conflict' });
  });

  it('PUT creates the application when the uid does not exist yet', async () => {
    const app = await svix.application.update('made-by-put', { name: 'Put' });
    expect(app).toMatchObject({ uid: 'made-by-put', name: 'Put' });
  });

  it('uids are unique per tenant, not globally', async () => {
    const other = sdk((await api.newTenant('other')).apiKey);
    await svix.application.create({ name: 'mine', uid: 'shared-uid' });
    await expect(other.application.create({ name: 'theirs', uid: 'shared-uid' })).resolves.toMatchObject({
      uid: 'shared-uid',
    });
  });

  it('another tenant’s application is 404 exactly like an unknown one', async () => {
    const mine = await svix.application.create({ name: 'private', uid: 'private-app' });
    const other = sdk((await api.newTenant('intruder')).apiKey);
    for (const call of [
      other.application.get(mine.id),
      other.application.get('private-app'),
      other.application.update(mine.id, { name: 'x' }).then(() => other.application.get(mine.id)),
      other.application.patch(mine.id, { name: 'x' }),
      other.application.delete(mine.id),
    ]) {
      const error = await svixError(call);
      expect(error.code).toBe(404);
      expect(error.body).toMatchObject({ code: 'application_not_found' });
    }
    expect((await svix.application.get(mine.id)).name).toBe('private');
    const theirList = await other.application.list({ limit: 250 });
    expect(theirList.data.map((a) => a.id)).not.toContain(mine.id);
  });

  it('pages through more than one page in both orders', async () => {
    const t = sdk((await api.newTenant('pager')).apiKey);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await t.application.create({ name: `p${i}` })).id);
    const walk = async (order?: 'ascending' | 'descending') => {
      const seen: string[] = [];
      let iterator: string | null | undefined;
      for (let pages = 0; pages < 10; pages++) {
        const page = await t.application.list({ limit: 2, iterator, order: order as any });
        seen.push(...page.data.map((a) => a.id));
        if (page.done) return { seen, pages: pages + 1 };
        iterator = page.iterator;
      }
      throw new Error('did not finish');
    };
    expect(await walk()).toEqual({ seen: ids, pages: 3 });
    expect(await walk('descending')).toEqual({ seen: [...ids].reverse(), pages: 3 });
  });

  it('validates input with 422 naming the field', async () => {
    const error = await svixError(svix.application.create({ name: '', uid: 'bad uid!' }));
    expect(error.code).toBe(422);
    expect(error.body.detail).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ loc: ['body', 'name'] }),
        expect.objectContaining({ loc: ['body', 'uid'] }),
      ]),
    );
    const limit = await svixError(svix.application.list({ limit: 500 }));
    expect(limit.code).toBe(422);
    expect(limit.body.detail[0].loc).toEqual(['query', 'limit']);
  });

  describe('tenant API key authentication', () => {
    it.each([
      ['no key', undefined],
      ['an unknown key', 'Bearer hr_' + 'A'.repeat(43)],
      ['a malformed key', 'Bearer nope'],
      ['the admin token', 'admin'],
    ])('refuses %s with 401 {code, detail}', async (_, authorization) => {
      const headers: Record<string, string> = {};
      if (authorization === 'admin') headers.authorization = `Bearer ${api.config.adminToken}`;
      else if (authorization) headers.authorization = authorization;
      const res = await api.anonymous.get('/api/v1/app', headers);
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ code: 'unauthorized', detail: expect.any(String) });
    });

    it('stops accepting a revoked key on the very next request', async () => {
      const t = await api.newTenant('revoker');
      const extra = await api.admin.post(`/admin/v1/tenants/${t.id}/api-keys`, { name: 'temp' });
      const client = api.anonymous.withToken(extra.body.key);
      expect((await client.get('/api/v1/app')).status).toBe(200);
      expect((await api.admin.delete(`/admin/v1/tenants/${t.id}/api-keys/${extra.body.id}`)).status).toBe(
        204,
      );
      expect((await client.get('/api/v1/app')).status).toBe(401);
      expect((await t.client.get('/api/v1/app')).status).toBe(200);
    });

    it('stops accepting every key of a deleted tenant at once', async () => {
      const t = await api.newTenant('leaving');
      expect((await t.client.get('/api/v1/app')).status).toBe(200);
      await api.admin.delete(`/admin/v1/tenants/${t.id}`);
      expect((await t.client.get('/api/v1/app')).status).toBe(401);
    });
  });
});
