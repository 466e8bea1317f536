import { Svix } from 'svix';
import { svixError } from '@app/testing';
import { startApi, RunningApi } from '../../../../test/support/running-api';

/** Driven through the official svix SDK (1.x), plus raw HTTP where the SDK cannot send what is tested. */
describe('event types via the svix SDK', () => {
  let api: RunningApi;
  let svix: Svix;
  let tenant: Awaited<ReturnType<RunningApi['newTenant']>>;

  const sdk = (key: string) => new Svix(key, { serverUrl: api.url, retryScheduleInMs: [] });

  beforeAll(async () => {
    api = await startApi();
    tenant = await api.newTenant('event types');
    svix = sdk(tenant.apiKey);
  });

  afterAll(async () => {
    await api.close();
  });

  const schemaV1 = { '1': { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } };

  it('creates, gets, updates, patches and lists an event type', async () => {
    const created = await svix.eventType.create({
      name: 'invoice.paid',
      description: 'An invoice was paid',
      schemas: schemaV1,
      groupName: 'invoice',
      featureFlags: ['beta'],
    });
    expect(created).toMatchObject({
      name: 'invoice.paid',
      description: 'An invoice was paid',
      archived: false,
      deprecated: false,
      schemas: schemaV1,
      groupName: 'invoice',
      featureFlags: ['beta'],
      featureFlag: 'beta',
    });
    expect(created.createdAt).toBeInstanceOf(Date);
    expect(Number.isNaN(created.updatedAt.getTime())).toBe(false);

    expect(await svix.eventType.get('invoice.paid')).toMatchObject({
      name: 'invoice.paid',
      schemas: schemaV1,
    });

    const updated = await svix.eventType.update('invoice.paid', { description: 'Paid', deprecated: true });
    // PUT replaces: what the body leaves out goes back to its default.
    expect(updated).toMatchObject({
      name: 'invoice.paid',
      description: 'Paid',
      deprecated: true,
      archived: false,
      schemas: null,
      groupName: null,
      featureFlags: null,
      featureFlag: null,
    });

    const patched = await svix.eventType.patch('invoice.paid', { schemas: schemaV1, featureFlag: 'legacy' });
    expect(patched).toMatchObject({
      description: 'Paid',
      deprecated: true,
      schemas: schemaV1,
      featureFlags: ['legacy'],
    });

    const list = await svix.eventType.list({ limit: 250 });
    expect(list.data.map((e) => e.name)).toContain('invoice.paid');
  });

  it('lists schemas only with with_content=true', async () => {
    const t = sdk((await api.newTenant('content')).apiKey);
    await t.eventType.create({ name: 'user.created', description: 'x', schemas: schemaV1 });
    const plain = await t.eventType.list();
    expect(plain.data).toHaveLength(1);
    expect(plain.data[0]!.schemas).toBeNull();
    const full = await t.eventType.list({ withContent: true });
    expect(full.data[0]!.schemas).toEqual(schemaV1);
  });

  it('refuses to create a name that exists and is not archived with 409 conflict', async () => {
    await svix.eventType.create({ name: 'dup.type', description: 'first' });
    const conflict = await svixError(svix.eventType.create({ name: 'dup.type', description: 'second' }));
    expect(conflict.code).toBe(409);
    expect(conflict.body).toMatchObject({ code: 'conflict' });
    expect((await svix.eventType.get('dup.type')).description).toBe('first');
  });

  it('archives on delete, lists archived ones only when asked, and un-archives on create', async () => {
    const t = sdk((await api.newTenant('archive')).apiKey);
    await t.eventType.create({ name: 'order.shipped', description: 'old', schemas: schemaV1 });
    await t.eventType.create({ name: 'order.placed', description: 'stays' });

    await t.eventType.delete('order.shipped');
    expect(await t.eventType.get('order.shipped')).toMatchObject({ archived: true, description: 'old' });
    expect((await t.eventType.list()).data.map((e) => e.name)).toEqual(['order.placed']);
    const withArchived = await t.eventType.list({ includeArchived: true });
    expect(withArchived.data.map((e) => [e.name, e.archived])).toEqual([
      ['order.shipped', true],
      ['order.placed', false],
    ]);

    // As Svix: creating an archived name brings it back with the new content, not the old.
    const revived = await t.eventType.create({ name: 'order.shipped', description: 'new' });
    expect(revived).toMatchObject({
      name: 'order.shipped',
      archived: false,
      description: 'new',
      schemas: null,
    });
    expect((await t.eventType.list()).data.map((e) => e.name)).toEqual(['order.shipped', 'order.placed']);
  });

  it('deletes for real with expunge=true', async () => {
    const t = sdk((await api.newTenant('expunge')).apiKey);
    await t.eventType.create({ name: 'gone.soon', description: 'x' });
    await t.eventType.delete('gone.soon', { expunge: true });
    const missing = await svixError(t.eventType.get('gone.soon'));
    expect(missing.code).toBe(404);
    expect(missing.body).toMatchObject({ code: 'event_type_not_found' });
    expect((await t.eventType.list({ includeArchived: true })).data).toEqual([]);
    const again = await t.eventType.create({ name: 'gone.soon', description: 'y' });
    expect(again).toMatchObject({ archived: false, description: 'y' });
  });

  it('PUT creates the event type when the name does not exist yet (201), else replaces it (200)', async () => {
    const created = await tenant.client.put('/api/v1/event-type/made.by.put', { description: 'put' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'made.by.put', description: 'put', archived: false });
    const replaced = await tenant.client.put('/api/v1/event-type/made.by.put', { description: 'again' });
    expect(replaced.status).toBe(200);
    expect(replaced.body.description).toBe('again');
    expect(await svix.eventType.update('made.by.sdk', { description: 'sdk' })).toMatchObject({
      name: 'made.by.sdk',
    });
  });

  it('validates input with 422 naming the field', async () => {
    const badName = await svixError(svix.eventType.create({ name: 'bad name!', description: 'x' }));
    expect(badName.code).toBe(422);
    expect(badName.body.detail).toEqual([expect.objectContaining({ loc: ['body', 'name'] })]);

    const tooLong = await svixError(svix.eventType.create({ name: 'a'.repeat(257), description: 'x' }));
    expect(tooLong.code).toBe(422);
    expect(tooLong.body.detail[0].loc).toEqual(['body', 'name']);
    await expect(svix.eventType.create({ name: 'a'.repeat(256), description: 'x' })).resolves.toMatchObject({
      name: 'a'.repeat(256),
    });

    const noDescription = await tenant.client.post('/api/v1/event-type', { name: 'no.description' });
    expect(noDescription.status).toBe(422);
    expect(noDescription.body.detail).toEqual([
      { loc: ['body', 'description'], msg: 'description is required', type: 'missing' },
    ]);

    const badSchemas = await tenant.client.post('/api/v1/event-type', {
      name: 'bad.schemas',
      description: 'x',
      schemas: { '1': 'not a schema' },
    });
    expect(badSchemas.status).toBe(422);
    expect(badSchemas.body.detail[0].loc).toEqual(['body', 'schemas', '1']);

    const badPath = await tenant.client.put('/api/v1/event-type/bad%20name', { description: 'x' });
    expect(badPath.status).toBe(422);
    expect(badPath.body.detail[0].loc).toEqual(['path', 'eventTypeName']);

    for (const limit of [0, 251]) {
      const error = await svixError(svix.eventType.list({ limit }));
      expect(error.code).toBe(422);
      expect(error.body.detail[0].loc).toEqual(['query', 'limit']);
    }
  });

  it('another tenant’s event type is 404 exactly like an unknown one, and names are per tenant', async () => {
    await svix.eventType.create({ name: 'private.type', description: 'mine' });
    await svix.eventType.create({ name: 'shared.name', description: 'mine' });
    const other = sdk((await api.newTenant('intruder')).apiKey);
    for (const call of [
      other.eventType.get('private.type'),
      other.eventType.patch('private.type', { description: 'hacked' }),
      other.eventType.delete('private.type'),
      other.eventType.delete('private.type', { expunge: true }),
      other.eventType.get('never.existed'),
    ]) {
      const error = await svixError(call);
      expect(error.code).toBe(404);
      expect(error.body).toMatchObject({ code: 'event_type_not_found' });
    }
    expect((await other.eventType.list({ includeArchived: true, limit: 250 })).data).toEqual([]);

    // PUT and create in the other tenant make its own event type; ours stays as it was.
    await other.eventType.update('private.type', { description: 'theirs' });
    await expect(
      other.eventType.create({ name: 'shared.name', description: 'theirs' }),
    ).resolves.toMatchObject({
      name: 'shared.name',
    });
    expect(await svix.eventType.get('private.type')).toMatchObject({ description: 'mine', archived: false });
    expect((await svix.eventType.get('shared.name')).description).toBe('mine');
  });

  it('pages through more than one page in both orders and back', async () => {
    const t = sdk((await api.newTenant('pager')).apiKey);
    const names = ['e.one', 'e.two', 'e.three', 'e.four', 'e.five'];
    for (const name of names) await t.eventType.create({ name, description: name });
    const walk = async (order?: 'ascending' | 'descending') => {
      const seen: string[] = [];
      let iterator: string | null | undefined;
      for (let pages = 0; pages < 10; pages++) {
        const page = await t.eventType.list({ limit: 2, iterator, order: order as any });
        seen.push(...page.data.map((e) => e.name));
        if (page.done) return { seen, pages: pages + 1 };
        iterator = page.iterator;
      }
      throw new Error('did not finish');
    };
    expect(await walk()).toEqual({ seen: names, pages: 3 });
    expect(await walk('descending')).toEqual({ seen: [...names].reverse(), pages: 3 });

    const first = await t.eventType.list({ limit: 2 });
    const second = await t.eventType.list({ limit: 2, iterator: first.iterator });
    expect(second.data.map((e) => e.name)).toEqual(['e.three', 'e.four']);
    const back = await t.eventType.list({ limit: 2, iterator: second.prevIterator });
    expect(back.data.map((e) => e.name)).toEqual(['e.one', 'e.two']);
  });
});
