import { Svix } from 'svix';
import { svixError } from '@app/testing';
import { AppSecretBox, EndpointRepository, openHeaders, PrismaService } from '@app/db';
import { parseEndpointSecret, SealContext } from '@app/domain';
import { startApi, RunningApi } from '../../../../test/support/running-api';

type Tenant = Awaited<ReturnType<RunningApi['newTenant']>>;

/** Driven through the official svix SDK (1.x), plus raw HTTP where the SDK cannot send what is tested. */
describe('endpoints via the svix SDK', () => {
  let api: RunningApi;
  let tenant: Tenant;
  let svix: Svix;
  let appId: string;

  const sdk = (key: string) => new Svix(key, { serverUrl: api.url, retryScheduleInMs: [] });
  const secretOf = (bytes: number, fill = 7) => 'whsec_' + Buffer.alloc(bytes, fill).toString('base64');

  beforeAll(async () => {
    api = await startApi();
    tenant = await api.newTenant('endpoints');
    svix = sdk(tenant.apiKey);
    appId = (await svix.application.create({ name: 'Customer', uid: 'customer' })).id;
    for (const name of ['invoice.paid', 'invoice.failed', 'user.created']) {
      await svix.eventType.create({ name, description: name });
    }
  });

  afterAll(async () => {
    await api.close();
  });

  async function storedRow(endpointId: string) {
    return api.app.get(PrismaService).endpoint.findUniqueOrThrow({
      where: { id: endpointId },
      select: { secret: true, oldSecrets: true, headers: true, filterTypes: true, channels: true },
    });
  }

  /** Opens a stored signing secret of one of this tenant's endpoints. */
  const openSecret = (endpointId: string, sealed: string) =>
    api.app.get(AppSecretBox).open(sealed, SealContext.endpointSecret(tenant.id, endpointId));

  /** The rotated-out secrets as stored, opened. */
  async function oldSecretsOf(endpointId: string): Promise<string[]> {
    const oldSecrets = (await storedRow(endpointId)).oldSecrets as { secret: string }[];
    return oldSecrets.map((o) => openSecret(endpointId, o.secret));
  }

  it('creates, gets by id and by uid, replaces, patches, lists and deletes', async () => {
    const created = await svix.endpoint.create('customer', {
      url: 'https://example.com/hooks',
      uid: 'main',
      description: 'Main endpoint',
      filterTypes: ['invoice.paid', 'invoice.failed', 'invoice.paid'],
      channels: ['project-1'],
      metadata: { team: 'billing' },
      throttleRate: 10,
    });
    expect(created).toMatchObject({
      uid: 'main',
      url: 'https://example.com/hooks',
      description: 'Main endpoint',
      version: 1,
      disabled: false,
      filterTypes: ['invoice.paid', 'invoice.failed'],
      channels: ['project-1'],
      metadata: { team: 'billing' },
      throttleRate: 10,
      rateLimit: 10,
    });
    expect(created.id).toMatch(/^ep_/);
    expect(created.createdAt).toBeInstanceOf(Date);
    expect(Number.isNaN(created.updatedAt.getTime())).toBe(false);

    expect((await svix.endpoint.get(appId, created.id)).id).toBe(created.id);
    expect((await svix.endpoint.get('customer', 'main')).id).toBe(created.id);

    // PUT replaces every field it carries; left-out filters go back to "everything".
    const updated = await svix.endpoint.update(appId, 'main', {
      url: 'http://example.com/v2',
      uid: 'main',
      version: 2,
      rateLimit: 3,
    });
    expect(updated).toMatchObject({
      id: created.id,
      url: 'http://example.com/v2',
      description: '',
      version: 2,
      filterTypes: null,
      channels: null,
      metadata: {},
      throttleRate: 3,
    });
    expect(await storedRow(created.id)).toMatchObject({ filterTypes: [], channels: [] });

    const patched = await svix.endpoint.patch(appId, created.id, {
      disabled: true,
      filterTypes: ['user.created'],
      metadata: { a: 'b' },
    });
    expect(patched).toMatchObject({
      url: 'http://example.com/v2',
      version: 2,
      disabled: true,
      filterTypes: ['user.created'],
      channels: null,
      metadata: { a: 'b' },
      throttleRate: 3,
    });
    const cleared = await svix.endpoint.patch(appId, created.id, { filterTypes: null, throttleRate: null });
    expect(cleared).toMatchObject({ filterTypes: null, throttleRate: null, disabled: true });

    const list = await svix.endpoint.list(appId);
    expect(list.data.map((e) => e.id)).toEqual([created.id]);

    await svix.endpoint.delete('customer', 'main');
    const gone = await svixError(svix.endpoint.get(appId, created.id));
    expect(gone.code).toBe(404);
    expect(gone.body).toMatchObject({ code: 'endpoint_not_found' });
  });

  it('PUT creates the endpoint when it does not exist yet (201), with the path as uid', async () => {
    const created = await tenant.client.put(`/api/v1/app/${appId}/endpoint/made-by-put`, {
      url: 'https://example.com/put',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ uid: 'made-by-put', url: 'https://example.com/put', version: 1 });
    const replaced = await tenant.client.put(`/api/v1/app/${appId}/endpoint/made-by-put`, {
      url: 'https://example.com/put2',
      uid: 'made-by-put',
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ id: created.body.id, url: 'https://example.com/put2' });
    const secret = await svix.endpoint.getSecret(appId, 'made-by-put');
    expect(parseEndpointSecret(secret.key).ok).toBe(true);
  });

  it('keeps uids unique per application, not per tenant', async () => {
    const otherApp = await svix.application.create({ name: 'Other customer' });
    await svix.endpoint.create(appId, { url: 'https://example.com/a', uid: 'shared' });
    await expect(
      svix.endpoint.create(otherApp.id, { url: 'https://example.com/b', uid: 'shared' }),
    ).resolves.toMatchObject({ uid: 'shared' });
    const conflict = await svixError(
      svix.endpoint.create(appId, { url: 'https://example.com/c', uid: 'shared' }),
    );
    expect(conflict.code).toBe(409);
    expect(conflict.body).toMatchObject({ code: 'conflict' });
    // One application's endpoint is not reachable through another application of the same tenant.
    const mine = await svix.endpoint.get(appId, 'shared');
    const wrongApp = await svixError(svix.endpoint.get(otherApp.id, mine.id));
    expect(wrongApp.code).toBe(404);
    expect(wrongApp.body).toMatchObject({ code: 'endpoint_not_found' });
  });

  describe('signing secret', () => {
    it('is generated, returned by GET and stored sealed', async () => {
      const endpoint = await svix.endpoint.create(appId, { url: 'https://example.com/secret' });
      const { key } = await svix.endpoint.getSecret(appId, endpoint.id);
      const parsed = parseEndpointSecret(key);
      expect(parsed.ok && parsed.key.length).toBe(32);
      const row = await storedRow(endpoint.id);
      expect(row.secret).toMatch(/^v1c:/);
      expect(row.secret).not.toContain(key.slice('whsec_'.length));
      expect(openSecret(endpoint.id, row.secret)).toBe(key);
      expect(row.oldSecrets).toEqual([]);
    });

    it('accepts a custom secret of 24 to 64 bytes and names `secret` when it is not', async () => {
      for (const bytes of [24, 64]) {
        const custom = secretOf(bytes);
        const endpoint = await svix.endpoint.create(appId, {
          url: 'https://example.com/custom',
          secret: custom,
        });
        expect((await svix.endpoint.getSecret(appId, endpoint.id)).key).toBe(custom);
      }
      for (const secret of [secretOf(23), secretOf(65), Buffer.alloc(32).toString('base64')]) {
        const error = await svixError(
          svix.endpoint.create(appId, { url: 'https://example.com/bad', secret }),
        );
        expect(error.code).toBe(422);
        expect(error.body.detail).toEqual([expect.objectContaining({ loc: ['body', 'secret'] })]);
      }
    });

    it('rotates: the old secret keeps signing for 24 h next to the new one', async () => {
      const endpoint = await svix.endpoint.create(appId, { url: 'https://example.com/rotate' });
      const first = (await svix.endpoint.getSecret(appId, endpoint.id)).key;
      const before = Date.now();

      await svix.endpoint.rotateSecret(appId, endpoint.id);
      const second = (await svix.endpoint.getSecret(appId, endpoint.id)).key;
      expect(second).not.toBe(first);
      expect(parseEndpointSecret(second).ok).toBe(true);

      const row = await storedRow(endpoint.id);
      const oldSecrets = row.oldSecrets as { secret: string; expiresAt: string }[];
      expect(oldSecrets).toHaveLength(1);
      expect(oldSecrets[0]!.secret).toMatch(/^v1c:/);
      expect(openSecret(endpoint.id, oldSecrets[0]!.secret)).toBe(first);
      const expiresAt = Date.parse(oldSecrets[0]!.expiresAt);
      expect(expiresAt).toBeGreaterThanOrEqual(before + 24 * 3600_000);
      expect(expiresAt).toBeLessThanOrEqual(Date.now() + 24 * 3600_000);

      const custom = secretOf(40, 9);
      await svix.endpoint.rotateSecret(appId, endpoint.id, { key: custom });
      expect((await svix.endpoint.getSecret(appId, endpoint.id)).key).toBe(custom);
      // Newest first. That they sign, and stop signing when their grace ends, is checked at a receiver
      // (test/e2e/delivery.e2e-spec.ts).
      expect(await oldSecretsOf(endpoint.id)).toEqual([second, first]);
    });

    it('keeps every replaced secret when rotations race', async () => {
      const endpoint = await svix.endpoint.create(appId, { url: 'https://example.com/race' });
      const first = (await svix.endpoint.getSecret(appId, endpoint.id)).key;
      const keys = [secretOf(32, 1), secretOf(32, 2), secretOf(32, 3)];
      await Promise.all(keys.map((key) => svix.endpoint.rotateSecret(appId, endpoint.id, { key })));
      const current = (await svix.endpoint.getSecret(appId, endpoint.id)).key;
      const old = await oldSecretsOf(endpoint.id);
      expect(old).toHaveLength(3);
      expect([current, ...old].sort()).toEqual([first, ...keys].sort());
    });

    it('retires the old secret at once with gracePeriodSeconds 0, and validates the rotate body', async () => {
      const endpoint = await svix.endpoint.create(appId, { url: 'https://example.com/rotate0' });
      await svix.endpoint.rotateSecret(appId, endpoint.id, { gracePeriodSeconds: 0 });
      expect((await storedRow(endpoint.id)).oldSecrets).toEqual([]);

      const badKey = await svixError(svix.endpoint.rotateSecret(appId, endpoint.id, { key: secretOf(8) }));
      expect(badKey.code).toBe(422);
      expect(badKey.body.detail).toEqual([expect.objectContaining({ loc: ['body', 'key'] })]);
      const badGrace = await svixError(
        svix.endpoint.rotateSecret(appId, endpoint.id, { gracePeriodSeconds: 8 * 86_400 }),
      );
      expect(badGrace.code).toBe(422);
      expect(badGrace.body.detail[0].loc).toEqual(['body', 'gracePeriodSeconds']);
    });
  });

  describe('custom headers', () => {
    it('are set on create, read back with sensitive ones redacted, replaced and merged', async () => {
      const endpoint = await svix.endpoint.create(appId, {
        url: 'https://example.com/headers',
        headers: { 'X-Team': 'billing', Authorization: 'Bearer s3cret' },
      });
      expect(await svix.endpoint.getHeaders(appId, endpoint.id)).toEqual({
        headers: { 'X-Team': 'billing' },
        sensitive: ['Authorization'],
      });
      // Sealed at rest, bound to this endpoint: the stored column names no header and no value.
      const stored = (await storedRow(endpoint.id)).headers;
      expect(stored).toMatch(/^v1c:/);
      expect(JSON.stringify(stored)).not.toMatch(/s3cret|billing|X-Team/);
      expect(openHeaders(api.app.get(AppSecretBox), tenant.id, endpoint.id, stored)).toEqual({
        'X-Team': 'billing',
        Authorization: 'Bearer s3cret',
      });

      await svix.endpoint.updateHeaders(appId, endpoint.id, { headers: { 'X-One': '1', 'X-Two': '2' } });
      expect(await svix.endpoint.getHeaders(appId, endpoint.id)).toEqual({
        headers: { 'X-One': '1', 'X-Two': '2' },
        sensitive: [],
      });

      await svix.endpoint.patchHeaders(appId, endpoint.id, { headers: { 'x-one': 'uno', 'X-Three': '3' } });
      expect((await svix.endpoint.getHeaders(appId, endpoint.id)).headers).toEqual({
        'x-one': 'uno',
        'X-Two': '2',
        'X-Three': '3',
      });

      // Svix's server removes a header patched to null; newer SDKs send `deleteHeaders`.
      const patched = await tenant.client.patch(`/api/v1/app/${appId}/endpoint/${endpoint.id}/headers`, {
        headers: { 'X-Two': null },
      });
      expect(patched.status).toBe(204);
      await svix.endpoint.patchHeaders(appId, endpoint.id, { headers: {}, deleteHeaders: ['X-THREE'] });
      expect((await svix.endpoint.getHeaders(appId, endpoint.id)).headers).toEqual({ 'x-one': 'uno' });
    });

    it.each([
      ['Host'],
      ['Content-Length'],
      ['Transfer-Encoding'],
      ['Connection'],
      ['Content-Type'],
      ['webhook-signature'],
      ['svix-id'],
      ['bad header'],
    ])('refuses %s with 422 naming it', async (name) => {
      const create = await svixError(
        svix.endpoint.create(appId, { url: 'https://example.com/h', headers: { [name]: 'x' } }),
      );
      expect(create.code).toBe(422);
      expect(create.body.detail).toEqual([expect.objectContaining({ loc: ['body', 'headers', name] })]);
      const endpoint = await svix.endpoint.create(appId, { url: 'https://example.com/h' });
      const update = await svixError(
        svix.endpoint.updateHeaders(appId, endpoint.id, { headers: { [name]: 'x' } }),
      );
      expect(update.code).toBe(422);
      const patch = await svixError(
        svix.endpoint.patchHeaders(appId, endpoint.id, { headers: { [name]: 'x' } }),
      );
      expect(patch.code).toBe(422);
      expect((await svix.endpoint.getHeaders(appId, endpoint.id)).headers).toEqual({});
    });

    it('refuses header values with line breaks', async () => {
      const error = await svixError(
        svix.endpoint.create(appId, { url: 'https://example.com/h', headers: { 'X-Evil': 'a\r\nHost: x' } }),
      );
      expect(error.code).toBe(422);
      expect(error.body.detail[0].loc).toEqual(['body', 'headers', 'X-Evil']);
    });
  });

  describe('validation', () => {
    const create = (body: Record<string, unknown>) =>
      tenant.client.post(`/api/v1/app/${appId}/endpoint`, body);

    it.each([
      ['a non-http(s) url', { url: 'ftp://example.com/x' }, ['body', 'url']],
      ['a malformed url', { url: 'not a url' }, ['body', 'url']],
      ['a relative url', { url: '/hooks' }, ['body', 'url']],
      ['a missing url', {}, ['body', 'url']],
      ['an empty filterTypes', { url: 'https://e.com', filterTypes: [] }, ['body', 'filterTypes']],
      [
        'a bad event type name',
        { url: 'https://e.com', filterTypes: ['bad name'] },
        ['body', 'filterTypes', 0],
      ],
      ['11 channels', { url: 'https://e.com', channels: 'abcdefghijk'.split('') }, ['body', 'channels']],
      ['an empty channels', { url: 'https://e.com', channels: [] }, ['body', 'channels']],
      ['a long channel', { url: 'https://e.com', channels: ['c'.repeat(129)] }, ['body', 'channels', 0]],
      ['a bad uid', { url: 'https://e.com', uid: 'bad uid!' }, ['body', 'uid']],
      ['a uid shaped like an id', { url: 'https://e.com', uid: 'ep_123' }, ['body', 'uid']],
      ['version 0', { url: 'https://e.com', version: 0 }, ['body', 'version']],
      ['throttleRate 0', { url: 'https://e.com', throttleRate: 0 }, ['body', 'throttleRate']],
      [
        '51 custom headers',
        {
          url: 'https://e.com',
          headers: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`X-H${i}`, 'v'])),
        },
        ['body', 'headers'],
      ],
    ])('refuses %s with 422 naming the field', async (_, body, loc) => {
      const res = await create(body);
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('validation_error');
      expect(res.body.detail).toEqual([expect.objectContaining({ loc })]);
    });

    it('accepts 10 channels and a url of the usual forms', async () => {
      const ok = await create({ url: 'http://127.0.0.1:8080/in?x=1', channels: 'abcdefghij'.split('') });
      expect(ok.status).toBe(201);
      expect(ok.body.channels).toHaveLength(10);
    });

    it('refuses filterTypes naming event types that do not exist or are archived, as Svix does', async () => {
      await svix.eventType.create({ name: 'soon.archived', description: 'x' });
      await svix.eventType.delete('soon.archived');
      const res = await create({
        url: 'https://e.com',
        filterTypes: ['invoice.paid', 'nope.never', 'soon.archived'],
      });
      expect(res.status).toBe(422);
      expect(res.body.detail).toEqual([
        {
          loc: ['body', 'filterTypes'],
          msg: "The following event types don't exist: nope.never, soon.archived",
          type: 'value_error',
        },
      ]);
      const endpoint = await svix.endpoint.create(appId, { url: 'https://e.com' });
      const patch = await svixError(svix.endpoint.patch(appId, endpoint.id, { filterTypes: ['nope.never'] }));
      expect(patch.code).toBe(422);
      const put = await svixError(
        svix.endpoint.update(appId, endpoint.id, { url: 'https://e.com', filterTypes: ['x'] }),
      );
      expect(put.code).toBe(422);
      expect((await svix.endpoint.get(appId, endpoint.id)).filterTypes).toBeNull();
    });

    it('refuses a list limit out of range', async () => {
      for (const limit of [0, 251]) {
        const error = await svixError(svix.endpoint.list(appId, { limit }));
        expect(error.code).toBe(422);
        expect(error.body.detail[0].loc).toEqual(['query', 'limit']);
      }
    });

    it('answers 404 application_not_found for an unknown application', async () => {
      const error = await svixError(svix.endpoint.list('no-such-app'));
      expect(error.code).toBe(404);
      expect(error.body).toMatchObject({ code: 'application_not_found' });
    });
  });

  describe('the event-type filter under both wire names (svix 1.x filterTypes, svix 2.x eventTypes)', () => {
    const path = (rest = '') => `/api/v1/app/${appId}/endpoint${rest}`;
    const countEndpoints = async () =>
      api.app.get(PrismaService).endpoint.count({ where: { applicationId: appId } });

    it('accepts eventTypes on create, stores it as the filter and emits it under both names', async () => {
      const res = await tenant.client.post(path(), {
        url: 'https://e.com/v2',
        eventTypes: ['invoice.paid', 'invoice.paid', 'user.created'],
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        eventTypes: ['invoice.paid', 'user.created'],
        filterTypes: ['invoice.paid', 'user.created'],
      });
      expect((await storedRow(res.body.id)).filterTypes).toEqual(['invoice.paid', 'user.created']);
      const read = await tenant.client.get(path(`/${res.body.id}`));
      expect(read.body).toMatchObject({
        eventTypes: ['invoice.paid', 'user.created'],
        filterTypes: ['invoice.paid', 'user.created'],
      });
      // The svix 1.x SDK reads its own name back.
      expect((await svix.endpoint.get(appId, res.body.id)).filterTypes).toEqual([
        'invoice.paid',
        'user.created',
      ]);
      const unfiltered = await tenant.client.post(path(), { url: 'https://e.com/all' });
      expect(unfiltered.body).toMatchObject({ eventTypes: null, filterTypes: null });
    });

    it('accepts both names when they say the same, in any order', async () => {
      const res = await tenant.client.post(path(), {
        url: 'https://e.com/both',
        eventTypes: ['invoice.paid', 'user.created'],
        filterTypes: ['user.created', 'invoice.paid'],
      });
      expect(res.status).toBe(201);
      expect(res.body.eventTypes).toEqual(['invoice.paid', 'user.created']);
    });

    it.each([
      ['POST', (_id: string) => tenant.client.post(path(), { url: 'https://e.com/x', ...conflicting })],
      ['PUT', (id: string) => tenant.client.put(path(`/${id}`), { url: 'https://e.com/x', ...conflicting })],
      [
        'PUT creating',
        (_id: string) => tenant.client.put(path('/new-one'), { url: 'https://e.com/x', ...conflicting }),
      ],
      ['PATCH', (id: string) => tenant.client.patch(path(`/${id}`), conflicting)],
      [
        'PATCH null against a list',
        (id: string) =>
          tenant.client.patch(path(`/${id}`), { eventTypes: null, filterTypes: ['invoice.paid'] }),
      ],
    ])(
      'refuses both names with different values on %s: 422 naming the field, nothing changed',
      async (_, send) => {
        const id = await anEndpoint();
        const before = await countEndpoints();
        const res = await send(id);
        expect(res.status).toBe(422);
        expect(res.body.code).toBe('validation_error');
        expect(res.body.detail).toEqual([
          {
            loc: ['body', 'eventTypes'],
            msg: expect.stringContaining('filterTypes'),
            type: 'conflicting_fields',
          },
        ]);
        expect(await countEndpoints()).toBe(before);
        expect(await storedRow(id)).toMatchObject({ filterTypes: ['user.created'] });
        expect((await tenant.client.get(path(`/${id}`))).body.url).toBe('https://e.com/patched');
      },
    );

    const conflicting = { eventTypes: ['invoice.paid'], filterTypes: ['user.created'] };
    async function anEndpoint(): Promise<string> {
      const created = await tenant.client.post(path(), {
        url: 'https://e.com/patched',
        eventTypes: ['user.created'],
      });
      return created.body.id as string;
    }

    it('PATCH sets the filter by either name and clears it with null under either name', async () => {
      const id = await anEndpoint();
      const set = await tenant.client.patch(path(`/${id}`), { eventTypes: ['invoice.failed'] });
      expect(set.body).toMatchObject({ eventTypes: ['invoice.failed'], filterTypes: ['invoice.failed'] });
      const untouched = await tenant.client.patch(path(`/${id}`), { description: 'only this' });
      expect(untouched.body).toMatchObject({ eventTypes: ['invoice.failed'], description: 'only this' });
      const cleared = await tenant.client.patch(path(`/${id}`), { eventTypes: null });
      expect(cleared.body).toMatchObject({ eventTypes: null, filterTypes: null });
      expect((await storedRow(id)).filterTypes).toEqual([]);
      await tenant.client.patch(path(`/${id}`), { filterTypes: ['invoice.paid'] });
      const clearedV1 = await tenant.client.patch(path(`/${id}`), { filterTypes: null });
      expect(clearedV1.body).toMatchObject({ eventTypes: null, filterTypes: null });
    });

    it('PUT replaces the filter given under eventTypes, and clears it when neither name is sent', async () => {
      const created = await tenant.client.put(path('/v2-put'), {
        url: 'https://e.com/put',
        eventTypes: ['user.created'],
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        uid: 'v2-put',
        eventTypes: ['user.created'],
        filterTypes: ['user.created'],
      });
      const replaced = await tenant.client.put(path('/v2-put'), { url: 'https://e.com/put' });
      expect(replaced.status).toBe(200);
      expect(replaced.body).toMatchObject({ eventTypes: null, filterTypes: null });
    });

    it('names the spelling the client sent in every error about the filter', async () => {
      const empty = await tenant.client.post(path(), { url: 'https://e.com/x', eventTypes: [] });
      expect(empty.status).toBe(422);
      expect(empty.body.detail).toEqual([
        expect.objectContaining({ loc: ['body', 'eventTypes'], msg: expect.stringContaining('eventTypes') }),
      ]);
      const badName = await tenant.client.post(path(), { url: 'https://e.com/x', eventTypes: ['bad name'] });
      expect(badName.body.detail).toEqual([expect.objectContaining({ loc: ['body', 'eventTypes', 0] })]);
      const missing = await tenant.client.post(path(), {
        url: 'https://e.com/x',
        eventTypes: ['nope.never'],
      });
      expect(missing.status).toBe(422);
      expect(missing.body.detail).toEqual([
        {
          loc: ['body', 'eventTypes'],
          msg: "The following event types don't exist: nope.never",
          type: 'value_error',
        },
      ]);
    });
  });

  describe('fields the server does not know', () => {
    it.each([
      [
        'POST',
        (id: string) =>
          tenant.client.post(`/api/v1/app/${appId}/endpoint`, { url: 'https://e.com/t', ...typo(id) }),
      ],
      [
        'PUT',
        (id: string) =>
          tenant.client.put(`/api/v1/app/${appId}/endpoint/${id}`, { url: 'https://e.com/t', ...typo(id) }),
      ],
      ['PATCH', (id: string) => tenant.client.patch(`/api/v1/app/${appId}/endpoint/${id}`, typo(id))],
      [
        'PUT headers',
        (id: string) =>
          tenant.client.put(`/api/v1/app/${appId}/endpoint/${id}/headers`, { headers: {}, ...typo(id) }),
      ],
      [
        'PATCH headers',
        (id: string) =>
          tenant.client.patch(`/api/v1/app/${appId}/endpoint/${id}/headers`, { headers: {}, ...typo(id) }),
      ],
      [
        'secret rotate',
        (id: string) => tenant.client.post(`/api/v1/app/${appId}/endpoint/${id}/secret/rotate`, typo(id)),
      ],
      [
        'recover',
        (id: string) =>
          tenant.client.post(`/api/v1/app/${appId}/endpoint/${id}/recover`, {
            since: new Date().toISOString(),
            ...typo(id),
          }),
      ],
      [
        'replay-missing',
        (id: string) =>
          tenant.client.post(`/api/v1/app/${appId}/endpoint/${id}/replay-missing`, {
            since: new Date().toISOString(),
            ...typo(id),
          }),
      ],
      [
        'send-example',
        (id: string) =>
          tenant.client.post(`/api/v1/app/${appId}/endpoint/${id}/send-example`, {
            eventType: 'invoice.paid',
            ...typo(id),
          }),
      ],
    ])('%s: a misspelt field is a 422 unknown_field naming it, and changes nothing', async (_, send) => {
      const endpoint = await svix.endpoint.create(appId, {
        url: 'https://e.com/typo',
        filterTypes: ['user.created'],
      });
      const before = await storedRow(endpoint.id);
      const res = await send(endpoint.id);
      expect(res.status).toBe(422);
      expect(res.body).toEqual({
        code: 'unknown_field',
        detail: [
          { loc: ['body', 'filterType'], msg: expect.stringContaining('filterType'), type: 'unknown_field' },
        ],
      });
      expect(await storedRow(endpoint.id)).toEqual(before);
    });

    const typo = (_id: string) => ({ filterType: ['invoice.paid'] });

    it('accepts the svix 1.x fields it knows under older names: rateLimit and version', async () => {
      const res = await tenant.client.post(`/api/v1/app/${appId}/endpoint`, {
        url: 'https://e.com/old',
        rateLimit: 7,
        version: 3,
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ throttleRate: 7, rateLimit: 7, version: 3 });
    });
  });

  it('another tenant’s application and endpoint are 404 on every route, exactly like unknown ones', async () => {
    const endpoint = await svix.endpoint.create(appId, {
      url: 'https://example.com/private',
      uid: 'private-ep',
      headers: { 'X-Mine': '1' },
    });
    const secretBefore = (await svix.endpoint.getSecret(appId, endpoint.id)).key;
    const intruder = await api.newTenant('intruder');
    const other = sdk(intruder.apiKey);
    const theirApp = await other.application.create({ name: 'theirs', uid: 'customer' });

    // Thunks, so each request is sent only when awaited and one at a time.
    const calls = (app: string, ep: string): Record<string, () => Promise<unknown>> => ({
      list: () => other.endpoint.list(app),
      create: () => other.endpoint.create(app, { url: 'https://example.com/x' }),
      get: () => other.endpoint.get(app, ep),
      update: () => other.endpoint.update(app, ep, { url: 'https://example.com/x' }),
      patch: () => other.endpoint.patch(app, ep, { url: 'https://example.com/x' }),
      delete: () => other.endpoint.delete(app, ep),
      getSecret: () => other.endpoint.getSecret(app, ep),
      rotateSecret: () => other.endpoint.rotateSecret(app, ep),
      getHeaders: () => other.endpoint.getHeaders(app, ep),
      updateHeaders: () => other.endpoint.updateHeaders(app, ep, { headers: { 'X-Theirs': '1' } }),
      patchHeaders: () => other.endpoint.patchHeaders(app, ep, { headers: { 'X-Theirs': '1' } }),
    });
    for (const [route, call] of Object.entries(calls(appId, endpoint.id))) {
      const error = await svixError(call());
      expect([route, error.code, error.body.code]).toEqual([route, 404, 'application_not_found']);
    }
    // Through their own application (same uid as ours), our endpoint id and uid are unknown. List and create
    // do not name an endpoint, and PUT creates their own one, so those are checked apart.
    for (const ep of [endpoint.id, 'private-ep']) {
      const { list: _list, create: _create, update: _update, ...byEndpoint } = calls(theirApp.id, ep);
      for (const [route, call] of Object.entries(byEndpoint)) {
        const error = await svixError(call());
        expect([route, error.code, error.body.code]).toEqual([route, 404, 'endpoint_not_found']);
      }
    }
    expect((await other.endpoint.list(theirApp.id)).data).toEqual([]);
    const theirs = await other.endpoint.update('customer', 'private-ep', {
      url: 'https://example.com/theirs',
    });
    expect(theirs.id).not.toBe(endpoint.id);

    expect(await svix.endpoint.get(appId, endpoint.id)).toMatchObject({ url: 'https://example.com/private' });
    expect((await svix.endpoint.getSecret(appId, endpoint.id)).key).toBe(secretBefore);
    expect((await svix.endpoint.getHeaders(appId, endpoint.id)).headers).toEqual({ 'X-Mine': '1' });
    expect((await storedRow(endpoint.id)).oldSecrets).toEqual([]);
    // Still ours in the database; the intruder owns only the endpoint its PUT created.
    const endpoints = api.app.get(PrismaService).endpoint;
    expect(await endpoints.findUniqueOrThrow({ where: { id: endpoint.id } })).toMatchObject({
      tenantId: tenant.id,
      applicationId: appId,
    });
    expect((await endpoints.findMany({ where: { tenantId: intruder.id } })).map((e) => e.id)).toEqual([
      theirs.id,
    ]);
  });

  it('pages through more than one page, newest first by default, and back', async () => {
    const t = sdk((await api.newTenant('pager')).apiKey);
    const app = await t.application.create({ name: 'pages' });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await t.endpoint.create(app.id, { url: `https://e.com/${i}` })).id);
    const walk = async (order?: 'ascending' | 'descending') => {
      const seen: string[] = [];
      let iterator: string | null | undefined;
      for (let pages = 0; pages < 10; pages++) {
        const page = await t.endpoint.list(app.id, { limit: 2, iterator, order: order as any });
        seen.push(...page.data.map((e) => e.id));
        if (page.done) return { seen, pages: pages + 1 };
        iterator = page.iterator;
      }
      throw new Error('did not finish');
    };
    expect(await walk()).toEqual({ seen: [...ids].reverse(), pages: 3 });
    expect(await walk('ascending')).toEqual({ seen: ids, pages: 3 });

    const first = await t.endpoint.list(app.id, { limit: 2, order: 'ascending' as any });
    const second = await t.endpoint.list(app.id, {
      limit: 2,
      order: 'ascending' as any,
      iterator: first.iterator,
    });
    expect(second.data.map((e) => e.id)).toEqual(ids.slice(2, 4));
    const back = await t.endpoint.list(app.id, {
      limit: 2,
      order: 'ascending' as any,
      iterator: second.prevIterator,
    });
    expect(back.data.map((e) => e.id)).toEqual(ids.slice(0, 2));
  });

  it('gives fan-out the routing of the enabled endpoints, each tenant its own', async () => {
    const t = await api.newTenant('engine');
    const s = sdk(t.apiKey);
    await s.eventType.create({ name: 'a.b', description: 'x' });
    const app = await s.application.create({ name: 'engine' });
    const filtered = await s.endpoint.create(app.id, {
      url: 'https://e.com/filtered',
      filterTypes: ['a.b'],
      channels: ['c1'],
      headers: { 'X-A': '1' },
    });
    const all = await s.endpoint.create(app.id, { url: 'https://e.com/all' });
    await s.endpoint.create(app.id, { url: 'https://e.com/off', disabled: true });
    const repo = api.app.get(EndpointRepository);

    expect(await repo.findActiveForApplication(t.id, app.id)).toEqual([
      {
        id: filtered.id,
        filterTypes: ['a.b'],
        eventTypes: ['a.b'],
        channels: ['c1'],
        disabled: false,
        payloadFilter: null,
      },
      { id: all.id, filterTypes: [], eventTypes: [], channels: [], disabled: false, payloadFilter: null },
    ]);
    expect(await repo.findActiveForApplication(tenant.id, app.id)).toEqual([]);
  });
});
