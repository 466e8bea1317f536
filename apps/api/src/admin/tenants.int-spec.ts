import { startApi, RunningApi } from '../../../../test/support/running-api';

describe('operator API /admin/v1 (real PostgreSQL and Redis)', () => {
  let api: RunningApi;

  beforeAll(async () => {
    api = await startApi();
  });

  afterAll(async () => {
    await api.close();
  });

  describe('authentication', () => {
    it.each([
      ['no Authorization header', undefined],
      ['a wrong token', 'Bearer not-the-admin-token'],
      ['a tenant key instead of the admin token', 'Bearer hr_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'],
      ['a malformed header', 'Basic abc'],
    ])('refuses %s with 401 {code, detail}', async (_, authorization) => {
      const res = await api.anonymous.get('/admin/v1/tenants', authorization ? { authorization } : {});
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ code: 'unauthorized', detail: expect.any(String) });
    });
  });

  describe('tenants', () => {
    it('creates a tenant and returns its first API key exactly once', async () => {
      const res = await api.admin.post('/admin/v1/tenants', { name: 'Acme Inc.' });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        id: expect.stringMatching(/^tnt_[0-9A-Z]{26}$/),
        name: 'Acme Inc.',
        createdAt: expect.any(String),
        apiKey: expect.stringMatching(/^hr_[A-Za-z0-9_-]{43}$/),
      });
      expect(res.body.apiKey).not.toContain('.');
      expect(new Date(res.body.createdAt).toISOString()).toBe(res.body.createdAt);

      const fetched = await api.admin.get(`/admin/v1/tenants/${res.body.id}`);
      expect(fetched.status).toBe(200);
      expect(fetched.body).toEqual({ id: res.body.id, name: 'Acme Inc.', createdAt: res.body.createdAt });

      const keys = await api.admin.get(`/admin/v1/tenants/${res.body.id}/api-keys`);
      expect(keys.body.data).toHaveLength(1);
      expect(keys.body.data[0]).toEqual({
        id: expect.stringMatching(/^key_/),
        name: 'default',
        prefix: res.body.apiKey.slice(0, 11),
        createdAt: expect.any(String),
      });
      expect(JSON.stringify(keys.body)).not.toContain(res.body.apiKey);
    });

    it.each([
      ['no name', {}, 'name is required'],
      ['an empty name', { name: '' }, 'name must not be empty'],
      ['a blank name', { name: '   ' }, 'name must not be empty'],
      ['a 10 KB name', { name: 'x'.repeat(10 * 1024) }, 'name must be at most 256 characters'],
      ['a name that is not a string', { name: 42 }, 'name must be a string'],
    ])('rejects %s with 422 naming the field', async (_, body, msg) => {
      const res = await api.admin.post('/admin/v1/tenants', body);
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('validation_error');
      expect(res.body.detail).toEqual([{ loc: ['body', 'name'], msg, type: expect.any(String) }]);
    });

    it('rejects unknown fields with 422 instead of ignoring them', async () => {
      const res = await api.admin.post('/admin/v1/tenants', { name: 'ok', plan: 'gold' });
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('unknown_field');
      expect(res.body.detail).toEqual([
        { loc: ['body', 'plan'], msg: expect.any(String), type: 'unknown_field' },
      ]);
    });

    it('sets a tenant retention in days, 30 by default', async () => {
      const tenant = await api.newTenant('retention');
      const path = `/admin/v1/tenants/${tenant.id}/settings`;
      const defaults = {
        rejectUnknownEventTypes: false,
        requireEndpointVerification: false,
        rateLimitPerSecond: null,
      };
      expect((await api.admin.get(path)).body).toEqual({ ...defaults, retentionDays: 30 });
      const patched = await api.admin.patch(path, { retentionDays: 7 });
      expect(patched.status).toBe(200);
      expect(patched.body).toEqual({ ...defaults, retentionDays: 7 });
      expect((await api.admin.get(path)).body.retentionDays).toBe(7);
    });

    it.each([
      ['zero days', 0, 'retentionDays must be at least 1'],
      ['more than ten years', 3651, 'retentionDays must be at most 3650 (10 years)'],
      ['a fraction of a day', 1.5, 'retentionDays must be a whole number of days'],
      ['a string', '30', 'retentionDays must be a whole number of days'],
    ])('refuses a retention of %s with 422 naming the field', async (_, retentionDays, msg) => {
      const tenant = await api.newTenant('bad retention');
      const res = await api.admin.patch(`/admin/v1/tenants/${tenant.id}/settings`, { retentionDays });
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('validation_error');
      expect(res.body.detail).toEqual([{ loc: ['body', 'retentionDays'], msg, type: expect.any(String) }]);
      expect((await api.admin.get(`/admin/v1/tenants/${tenant.id}/settings`)).body.retentionDays).toBe(30);
    });

    it('answers 404 for an unknown tenant on get, delete and its keys', async () => {
      const unknown = 'tnt_00000000000000000000000000';
      for (const res of [
        await api.admin.get(`/admin/v1/tenants/${unknown}`),
        await api.admin.delete(`/admin/v1/tenants/${unknown}`),
        await api.admin.get(`/admin/v1/tenants/${unknown}/api-keys`),
        await api.admin.post(`/admin/v1/tenants/${unknown}/api-keys`, {}),
      ]) {
        expect(res.status).toBe(404);
        expect(res.body).toEqual({ code: 'tenant_not_found', detail: 'Tenant not found.' });
      }
    });

    interface TenantPage {
      data: { id: string }[];
      iterator: string;
      prevIterator: string | null;
      done: boolean;
    }

    /**
     * Other test files create tenants in this database while this one runs, so a list is read from just
     * before this test's first tenant, and assertions look at this test's tenants among whatever else is
     * listed. Ids are ULIDs, time first: the same millisecond with the lowest random part sorts before it.
     */
    const justBefore = (id: string) => id.slice(0, 'tnt_'.length + 10) + '0'.repeat(16);

    it('pages through more than one page with iterator, then walks back with prevIterator', async () => {
      const created: string[] = [];
      for (let i = 0; i < 5; i++) created.push((await api.newTenant(`paged ${i}`)).id);
      const ours = (ids: string[]) => ids.filter((id) => created.includes(id));
      const page = async (iterator: string): Promise<TenantPage> => {
        const res = await api.admin.get(`/admin/v1/tenants?limit=2&iterator=${iterator}`);
        expect(res.status).toBe(200);
        expect(res.body.data.length).toBeLessThanOrEqual(2);
        return res.body;
      };

      // Forward until the last of ours is listed.
      const forward: TenantPage[] = [];
      let iterator = justBefore(created[0]!);
      while (forward.length < 50 && !forward.some((p) => p.data.some((t) => t.id === created[4]))) {
        const next = await page(iterator);
        forward.push(next);
        if (next.done) break;
        iterator = next.iterator;
      }
      const seen = forward.flatMap((p) => p.data.map((t) => t.id));
      expect(forward.length).toBeGreaterThan(2);
      expect(seen).toEqual([...seen].sort());
      expect(new Set(seen).size).toBe(seen.length);
      expect(ours(seen)).toEqual(created);

      // Back from the last page until the first of ours is listed again.
      const last = forward.at(-1)!.data.map((t) => t.id);
      const backward: string[][] = [];
      let prev = forward.at(-1)!.prevIterator;
      while (prev && backward.length < 50 && !backward.flat().includes(created[0]!)) {
        const previous = await page(prev);
        backward.unshift(previous.data.map((t) => t.id));
        prev = previous.prevIterator;
      }
      const back = backward.flat();
      expect(backward.length).toBeGreaterThan(1);
      expect(back).toEqual([...back].sort());
      expect(back.every((id) => id < last[0]!)).toBe(true);
      expect(ours(back)).toEqual(created.filter((id) => !last.includes(id)));
    });

    it.each([['0'], ['251'], ['abc'], ['1.5']])('rejects limit=%s with 422', async (limit) => {
      const res = await api.admin.get(`/admin/v1/tenants?limit=${limit}`);
      expect(res.status).toBe(422);
      expect(res.body.detail[0].loc).toEqual(['query', 'limit']);
    });

    it('deletes a tenant: it is gone at once and its keys stop working', async () => {
      const tenant = await api.newTenant('to delete');
      const kept = await api.newTenant('kept');
      const res = await api.admin.delete(`/admin/v1/tenants/${tenant.id}`);
      expect(res.status).toBe(204);
      expect((await api.admin.get(`/admin/v1/tenants/${tenant.id}`)).status).toBe(404);
      expect((await api.admin.delete(`/admin/v1/tenants/${tenant.id}`)).status).toBe(404);
      const list = await api.admin.get(`/admin/v1/tenants?limit=250&iterator=${justBefore(tenant.id)}`);
      const listed = list.body.data.map((t: { id: string }) => t.id);
      expect(listed).toContain(kept.id);
      expect(listed).not.toContain(tenant.id);
    });
  });

  describe('API keys', () => {
    it('creates named keys, lists them by prefix only, and revokes one', async () => {
      const tenant = await api.newTenant('keys');
      const created = await api.admin.post(`/admin/v1/tenants/${tenant.id}/api-keys`, { name: 'ci' });
      expect(created.status).toBe(201);
      expect(created.body).toEqual({
        id: expect.stringMatching(/^key_/),
        name: 'ci',
        prefix: created.body.key.slice(0, 11),
        key: expect.stringMatching(/^hr_[A-Za-z0-9_-]{43}$/),
        createdAt: expect.any(String),
      });
      const unnamed = await api.admin.post(`/admin/v1/tenants/${tenant.id}/api-keys`);
      expect(unnamed.status).toBe(201);
      expect(unnamed.body.name).toBe('default');

      const listed = await api.admin.get(`/admin/v1/tenants/${tenant.id}/api-keys`);
      expect(listed.body.data.map((k: { name: string }) => k.name)).toEqual(['default', 'ci', 'default']);
      expect(listed.body.data.every((k: object) => !('key' in k) && !('hash' in k))).toBe(true);

      const revoked = await api.admin.delete(`/admin/v1/tenants/${tenant.id}/api-keys/${created.body.id}`);
      expect(revoked.status).toBe(204);
      const after = await api.admin.get(`/admin/v1/tenants/${tenant.id}/api-keys`);
      expect(after.body.data.map((k: { id: string }) => k.id)).not.toContain(created.body.id);
      const again = await api.admin.delete(`/admin/v1/tenants/${tenant.id}/api-keys/${created.body.id}`);
      expect(again.status).toBe(404);
      expect(again.body.code).toBe('api_key_not_found');
    });

    it('does not let one tenant revoke another tenant’s key', async () => {
      const a = await api.newTenant('a');
      const b = await api.newTenant('b');
      const keyOfB = (await api.admin.get(`/admin/v1/tenants/${b.id}/api-keys`)).body.data[0].id;
      const res = await api.admin.delete(`/admin/v1/tenants/${a.id}/api-keys/${keyOfB}`);
      expect(res.status).toBe(404);
      expect((await api.admin.get(`/admin/v1/tenants/${b.id}/api-keys`)).body.data).toHaveLength(1);
    });
  });
});
