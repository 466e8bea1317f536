import { ApiException, Svix } from 'svix';
import { DeliveryRepository, PrismaService } from '@app/db';
import { newId } from '@app/domain';
import { DeliveryAttemptService } from '@app/delivery';
import { testConfig } from '@app/testing';
import { startApi, RunningApi } from '../../../../test/support/running-api';

/** Message create/list/get through the svix SDK, and every kind of bad input through raw HTTP. */
describe('messages API', () => {
  let api: RunningApi;
  let tenant: Awaited<ReturnType<RunningApi['newTenant']>>;
  let svix: Svix;
  let appId: string;

  beforeAll(async () => {
    api = await startApi(testConfig({ MAX_PAYLOAD_BYTES: '2048' }));
    tenant = await api.newTenant('messages');
    svix = new Svix(tenant.apiKey, { serverUrl: api.url, retryScheduleInMs: [] });
    appId = (await svix.application.create({ name: 'msgs', uid: 'msgs' })).id;
  });

  afterAll(async () => {
    await api.close();
  });

  const post = (body: unknown, app = appId) => tenant.client.post(`/api/v1/app/${app}/msg`, body);

  /** What the tenant has stored, counted in the database: a refused request must leave it as it was. */
  async function storedCounts() {
    const prisma = api.app.get(PrismaService);
    const where = { tenantId: tenant.id };
    return {
      applications: await prisma.application.count({ where }),
      messages: await prisma.message.count({ where }),
      deliveries: await prisma.delivery.count({ where }),
    };
  }

  it('creates a message (202) and reads it back by id and by eventId', async () => {
    const msg = await svix.message.create('msgs', {
      eventType: 'user.signup',
      eventId: 'evt_123.a-b',
      payload: { email: 'a@example.com' },
      channels: ['project_1'],
      tags: ['beta'],
    });
    expect(msg).toMatchObject({
      eventType: 'user.signup',
      eventId: 'evt_123.a-b',
      payload: { email: 'a@example.com' },
      channels: ['project_1'],
      tags: ['beta'],
    });
    expect(msg.id).toMatch(/^msg_/);
    expect(msg.timestamp).toBeInstanceOf(Date);
    expect((await svix.message.get('msgs', msg.id)).payload).toEqual({ email: 'a@example.com' });
    expect((await svix.message.get('msgs', 'evt_123.a-b')).id).toBe(msg.id);
  });

  it('lists newest first with filters, through more than one page', async () => {
    const t = await api.newTenant('lister');
    const s = new Svix(t.apiKey, { serverUrl: api.url, retryScheduleInMs: [] });
    const app = await s.application.create({ name: 'lister' });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const eventType = i % 2 === 0 ? 'even.happened' : 'odd.happened';
      ids.push((await s.message.create(app.id, { eventType, payload: { i }, channels: [`c${i % 2}`] })).id);
    }
    const seen: string[] = [];
    let iterator: string | null | undefined;
    for (let page = 0; page < 5; page++) {
      const res = await s.message.list(app.id, { limit: 2, iterator });
      seen.push(...res.data.map((m) => m.id));
      if (res.done) break;
      iterator = res.iterator;
    }
    expect(seen).toEqual([...ids].reverse());
    const even = await s.message.list(app.id, { eventTypes: ['even.happened'] });
    expect(even.data.map((m) => m.payload.i)).toEqual([4, 2, 0]);
    const channel = await s.message.list(app.id, { channel: 'c1' });
    expect(channel.data.map((m) => m.payload.i)).toEqual([3, 1]);
  });

  it('another tenant’s application and message are 404, exactly like unknown ones', async () => {
    const msg = await svix.message.create('msgs', { eventType: 'private', payload: {} });
    const other = await api.newTenant('other');
    for (const res of [
      await other.client.get(`/api/v1/app/${appId}/msg`),
      await other.client.get(`/api/v1/app/${appId}/msg/${msg.id}`),
      await other.client.post(`/api/v1/app/${appId}/msg`, { eventType: 'x', payload: {} }),
    ]) {
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('application_not_found');
    }
    const unknownMsg = await tenant.client.get(`/api/v1/app/${appId}/msg/msg_00000000000000000000000000`);
    expect(unknownMsg.status).toBe(404);
    expect(unknownMsg.body.code).toBe('message_not_found');
  });

  it('creates the application on the fly when the message carries one', async () => {
    const msg = await svix.message.create('made-on-the-fly', {
      eventType: 'x.created',
      payload: {},
      application: { name: 'On the fly' },
    });
    expect(msg.id).toMatch(/^msg_/);
    expect((await svix.application.get('made-on-the-fly')).name).toBe('On the fly');
  });

  it.each([
    ['a payload that is not an object', { eventType: 'a', payload: [1, 2] }, ['body', 'payload']],
    ['a string payload', { eventType: 'a', payload: 'hello' }, ['body', 'payload']],
    ['no payload', { eventType: 'a' }, ['body', 'payload']],
    ['no eventType', { payload: {} }, ['body', 'eventType']],
    ['an eventType with spaces', { eventType: 'user created', payload: {} }, ['body', 'eventType']],
    [
      'an eventId with bad characters',
      { eventType: 'a', eventId: 'id/with/slashes', payload: {} },
      ['body', 'eventId'],
    ],
    [
      '11 channels',
      { eventType: 'a', payload: {}, channels: Array.from({ length: 11 }, (_, i) => `c${i}`) },
      ['body', 'channels'],
    ],
    ['6 tags', { eventType: 'a', payload: {}, tags: ['a', 'b', 'c', 'd', 'e', 'f'] }, ['body', 'tags']],
    ['a bad deliverAt', { eventType: 'a', payload: {}, deliverAt: 'tomorrow' }, ['body', 'deliverAt']],
  ])('rejects %s with 422 naming the field', async (_, body, loc) => {
    const res = await post(body);
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('validation_error');
    expect(res.body.detail.map((d: { loc: unknown }) => d.loc)).toContainEqual(loc);
  });

  it('accepts unknown event types by default, and refuses them with 422 unknown_event_type when the tenant asks', async () => {
    const t = await api.newTenant('strict');
    const s = new Svix(t.apiKey, { serverUrl: api.url, retryScheduleInMs: [] });
    const app = await s.application.create({ name: 'strict' });
    expect(
      (await t.client.post(`/api/v1/app/${app.id}/msg`, { eventType: 'not.declared', payload: {} })).status,
    ).toBe(202);

    const patched = await api.admin.patch(`/admin/v1/tenants/${t.id}/settings`, {
      rejectUnknownEventTypes: true,
    });
    expect(patched.body).toEqual({
      rejectUnknownEventTypes: true,
      retentionDays: 30,
      requireEndpointVerification: false,
      rateLimitPerSecond: null,
    });
    const refused = await t.client.post(`/api/v1/app/${app.id}/msg`, {
      eventType: 'not.declared',
      payload: {},
    });
    expect(refused.status).toBe(422);
    expect(refused.body).toEqual({
      code: 'unknown_event_type',
      detail: [
        {
          loc: ['body', 'eventType'],
          msg: expect.stringContaining('not.declared'),
          type: 'unknown_event_type',
        },
      ],
    });
    await s.eventType.create({ name: 'not.declared', description: 'now it is' });
    expect(
      (await t.client.post(`/api/v1/app/${app.id}/msg`, { eventType: 'not.declared', payload: {} })).status,
    ).toBe(202);
    expect((await api.admin.get(`/admin/v1/tenants/${t.id}/settings`)).body).toEqual({
      rejectUnknownEventTypes: true,
      retentionDays: 30,
      requireEndpointVerification: false,
      rateLimitPerSecond: null,
    });
    expect((await api.admin.patch(`/admin/v1/tenants/${t.id}/settings`, { strict: 1 })).status).toBe(422);
  });

  describe('with_content', () => {
    const payload = { secret: 'shh', n: 1 };

    it('shows the payload when absent or true, and `{}` when false, on create, get and list', async () => {
      const app = (await svix.application.create({ name: 'content' })).id;
      const created = await post({ eventType: 'a.b', payload }, app);
      expect(created.body.payload).toEqual(payload);
      const createdTrue = await tenant.client.post(`/api/v1/app/${app}/msg?with_content=true`, {
        eventType: 'a.b',
        payload,
      });
      expect(createdTrue.body.payload).toEqual(payload);
      const createdFalse = await tenant.client.post(`/api/v1/app/${app}/msg?with_content=false`, {
        eventType: 'a.b',
        payload,
      });
      expect(createdFalse.status).toBe(202);
      expect(createdFalse.body).toMatchObject({ eventType: 'a.b', payload: {} });

      const id = createdFalse.body.id as string;
      for (const [query, expected] of [
        ['', payload],
        ['?with_content=true', payload],
        ['?with_content=false', {}],
      ] as const) {
        expect((await tenant.client.get(`/api/v1/app/${app}/msg/${id}${query}`)).body.payload).toEqual(
          expected,
        );
        const page = await tenant.client.get(`/api/v1/app/${app}/msg${query}`);
        expect(page.body.data.map((m: { payload: unknown }) => m.payload)).toEqual([
          expected,
          expected,
          expected,
        ]);
      }
      // What was stored is the payload, whatever the answer showed.
      expect((await svix.message.get(app, id)).payload).toEqual(payload);
    });

    it.each([
      [
        'create',
        (app: string) =>
          tenant.client.post(`/api/v1/app/${app}/msg?with_content=maybe`, { eventType: 'a', payload: {} }),
      ],
      [
        'get',
        (app: string) =>
          tenant.client.get(`/api/v1/app/${app}/msg/msg_2xxxxxxxxxxxxxxxxxxxxxxxxxx?with_content=maybe`),
      ],
      ['list', (app: string) => tenant.client.get(`/api/v1/app/${app}/msg?with_content=maybe`)],
    ])('refuses with_content=maybe on %s with 422 naming it', async (_, send) => {
      const app = (await svix.application.create({ name: 'maybe' })).id;
      const res = await send(app);
      expect(res.status).toBe(422);
      expect(res.body.detail).toEqual([
        { loc: ['query', 'with_content'], msg: 'with_content must be true or false', type: 'invalid_value' },
      ]);
      expect((await tenant.client.get(`/api/v1/app/${app}/msg`)).body.data).toEqual([]);
    });
  });

  describe('request fields', () => {
    it('refuses a field it does not know with 422 unknown_field, also inside application, storing nothing', async () => {
      const app = (await svix.application.create({ name: 'strict' })).id;
      await svix.endpoint.create(app, { url: 'https://example.com/strict' });
      const before = await storedCounts();
      const top = await post({ eventType: 'a', payload: {}, channel: 'eu' }, app);
      expect(top.status).toBe(422);
      expect(top.body).toEqual({
        code: 'unknown_field',
        detail: [
          { loc: ['body', 'channel'], msg: expect.stringContaining('channel'), type: 'unknown_field' },
        ],
      });
      const nested = await post(
        { eventType: 'a', payload: {}, application: { name: 'x', colour: 'red' } },
        'nested-new',
      );
      expect(nested.status).toBe(422);
      expect(nested.body.detail).toEqual([
        expect.objectContaining({ loc: ['body', 'application', 'colour'] }),
      ]);
      // Mixed with another problem, the code is the generic one and both are listed.
      const mixed = await post({ eventType: 'a', channel: 'eu' }, app);
      expect(mixed.body.code).toBe('validation_error');
      expect(mixed.body.detail.map((d: { type: string }) => d.type).sort()).toEqual([
        'missing',
        'unknown_field',
      ]);
      expect((await tenant.client.get(`/api/v1/app/${app}/msg`)).body.data).toEqual([]);
      expect((await tenant.client.get('/api/v1/app/nested-new')).status).toBe(404);
      expect(await storedCounts()).toEqual(before);
    });

    it('accepts the fields an svix SDK sends that Hookrelay knowingly ignores', async () => {
      const res = await post({
        eventType: 'a',
        payload: { x: 1 },
        payloadRetentionPeriod: 5,
        payloadRetentionHours: 12,
        transformationsParams: { anything: true },
      });
      expect(res.status).toBe(202);
      expect(res.body.payload).toEqual({ x: 1 });
    });
  });

  describe('content expunge', () => {
    const prisma = () => api.app.get(PrismaService);

    async function appWithEndpoint(name: string) {
      const app = (await svix.application.create({ name })).id;
      const endpoint = await svix.endpoint.create(app, { url: 'https://example.com/expunge' });
      return { app, endpoint: endpoint.id };
    }

    it('bulk-expunge replaces the payloads, keeps the messages, cancels what was still to be delivered', async () => {
      const { app, endpoint } = await appWithEndpoint('bulk');
      const a = await svix.message.create(app, { eventType: 'a', payload: { card: '4242' } });
      const b = await svix.message.create(app, {
        eventType: 'a',
        eventId: 'evt-b',
        payload: { card: '1111' },
      });
      const kept = await svix.message.create(app, { eventType: 'a', payload: { keep: true } });

      const res = await tenant.client.post(`/api/v1/app/${app}/msg/bulk-expunge`, {
        ids: [a.id, 'evt-b', 'msg_2zzzzzzzzzzzzzzzzzzzzzzzzzz', 'no-such-event'],
      });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        results: {
          [a.id]: 'expunged',
          'evt-b': 'expunged',
          msg_2zzzzzzzzzzzzzzzzzzzzzzzzzz: 'not-found',
          'no-such-event': 'not-found',
        },
      });
      for (const id of [a.id, b.id]) {
        const read = await svix.message.get(app, id);
        expect(read).toMatchObject({ id, eventType: 'a', payload: {} });
        const row = await prisma().message.findUniqueOrThrow({ where: { id } });
        expect(row.payload).toBe('{}');
        expect(row.expungedAt).toBeInstanceOf(Date);
        expect(
          (await prisma().delivery.findFirstOrThrow({ where: { messageId: id, endpointId: endpoint } }))
            .status,
        ).toBe('canceled');
      }
      expect((await svix.message.get(app, kept.id)).payload).toEqual({ keep: true });
      expect((await prisma().delivery.findFirstOrThrow({ where: { messageId: kept.id } })).status).toBe(
        'pending',
      );
      const destinations = await tenant.client.get(`/api/v1/app/${app}/msg/${a.id}/endpoint`);
      expect(destinations.body.data[0]).toMatchObject({ id: endpoint, status: 4, statusText: 'canceled' });
    });

    it('bulk-expunge without ids expunges nothing, as Svix (ids defaults to [])', async () => {
      const { app } = await appWithEndpoint('no-ids');
      const msg = await svix.message.create(app, { eventType: 'a', payload: { still: 'here' } });
      for (const body of [{}, undefined]) {
        const res = await tenant.client.post(`/api/v1/app/${app}/msg/bulk-expunge`, body);
        expect(res.status).toBe(200);
        expect(res.body).toEqual({ results: {} });
      }
      expect((await svix.message.get(app, msg.id)).payload).toEqual({ still: 'here' });
    });

    it('bulk-expunge refuses bad input with 422', async () => {
      const { app } = await appWithEndpoint('bad-expunge');
      for (const [body, loc] of [
        [{ ids: 'msg_x' }, ['body', 'ids']],
        [{ ids: [''] }, ['body', 'ids', 0]],
        [{ ids: Array.from({ length: 1001 }, (_, i) => `e${i}`) }, ['body', 'ids']],
        [{ ids: [], all: true }, ['body', 'all']],
      ] as const) {
        const res = await tenant.client.post(`/api/v1/app/${app}/msg/bulk-expunge`, body);
        expect(res.status).toBe(422);
        expect(res.body.detail[0].loc).toEqual(loc);
      }
    });

    it('DELETE msg/{id}/content expunges one message (204), again harmlessly, and 404s an unknown one', async () => {
      const { app } = await appWithEndpoint('single');
      const msg = await svix.message.create(app, { eventType: 'a', eventId: 'one', payload: { pii: 'x' } });
      expect((await tenant.client.delete(`/api/v1/app/${app}/msg/${msg.id}/content`)).status).toBe(204);
      const first = await prisma().message.findUniqueOrThrow({ where: { id: msg.id } });
      expect((await tenant.client.delete(`/api/v1/app/${app}/msg/one/content`)).status).toBe(204);
      const again = await prisma().message.findUniqueOrThrow({ where: { id: msg.id } });
      expect(again.expungedAt).toEqual(first.expungedAt);
      expect((await svix.message.get(app, msg.id)).payload).toEqual({});
      const unknown = await tenant.client.delete(
        `/api/v1/app/${app}/msg/msg_2zzzzzzzzzzzzzzzzzzzzzzzzzz/content`,
      );
      expect(unknown.status).toBe(404);
      expect(unknown.body.code).toBe('message_not_found');
    });

    it('another tenant cannot expunge: its ids are not-found and its single expunge is 404', async () => {
      const { app } = await appWithEndpoint('owner');
      const msg = await svix.message.create(app, { eventType: 'a', payload: { mine: true } });
      const intruder = await api.newTenant('expunge-intruder');
      const otherApp = (await intruder.client.post('/api/v1/app', { name: 'theirs' })).body.id as string;
      const bulk = await intruder.client.post(`/api/v1/app/${otherApp}/msg/bulk-expunge`, { ids: [msg.id] });
      expect(bulk.body).toEqual({ results: { [msg.id]: 'not-found' } });
      expect((await intruder.client.delete(`/api/v1/app/${app}/msg/${msg.id}/content`)).status).toBe(404);
      expect(
        (await intruder.client.post(`/api/v1/app/${app}/msg/bulk-expunge`, { ids: [msg.id] })).status,
      ).toBe(404);
      expect((await svix.message.get(app, msg.id)).payload).toEqual({ mine: true });
    });

    it('refuses to resend an expunged message with 409 message_expunged', async () => {
      const { app, endpoint } = await appWithEndpoint('resend');
      const msg = await svix.message.create(app, { eventType: 'a', payload: { pii: 'x' } });
      await tenant.client.delete(`/api/v1/app/${app}/msg/${msg.id}/content`);
      const res = await tenant.client.post(`/api/v1/app/${app}/msg/${msg.id}/endpoint/${endpoint}/resend`);
      expect(res.status).toBe(409);
      expect(res.body).toEqual({ code: 'message_expunged', detail: expect.stringContaining('expunged') });
      expect((await prisma().delivery.findFirstOrThrow({ where: { messageId: msg.id } })).status).toBe(
        'canceled',
      );
    });

    it('the worker cancels a delivery of an expunged message instead of sending it, even one reopened after the expunge', async () => {
      const { app, endpoint } = await appWithEndpoint('claim');
      const msg = await svix.message.create(app, { eventType: 'a', payload: { pii: 'x' } });
      await tenant.client.delete(`/api/v1/app/${app}/msg/${msg.id}/content`);
      // A resend or recover that checked the message just before the expunge reopens the delivery after it.
      const due = await api.app.get(DeliveryRepository).reopenForManualAttempt(tenant.id, {
        applicationId: app,
        messageId: msg.id,
        endpointId: endpoint,
        newId: newId('delivery'),
      });
      expect(await api.app.get(DeliveryAttemptService).attempt(due.id, due.fence)).toEqual({
        result: 'canceled',
        responseMs: null,
      });
      const row = await prisma().delivery.findUniqueOrThrow({ where: { id: due.id } });
      expect(row).toMatchObject({ status: 'canceled', nextAttemptAt: null, leaseUntil: null });
      expect(await prisma().deliveryAttempt.count({ where: { deliveryId: due.id } })).toBe(0);
    });
  });

  it('rejects a payload over the limit with 413', async () => {
    const res = await post({ eventType: 'big', payload: { blob: 'x'.repeat(3000) } });
    expect(res.status).toBe(413);
    expect(res.body).toEqual({ code: 'payload_too_large', detail: expect.stringContaining('2048 bytes') });
  });

  it('rejects malformed JSON with 400 and never stores anything', async () => {
    await svix.endpoint.create(appId, { url: 'https://example.com/malformed' });
    const before = await storedCounts();
    const res = await tenant.client.post(`/api/v1/app/${appId}/msg`, '{"eventType": "a", "payload": {');
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('invalid_json');
    expect(await storedCounts()).toEqual(before);
  });

  it('rejects limit out of range on the list with 422', async () => {
    await expect(svix.message.list('msgs', { limit: 0 })).rejects.toBeInstanceOf(ApiException);
    const res = await tenant.client.get(`/api/v1/app/${appId}/msg?limit=251`);
    expect(res.status).toBe(422);
    expect(res.body.detail[0].loc).toEqual(['query', 'limit']);
  });
});
