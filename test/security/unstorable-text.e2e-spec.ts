import { startApi, type RunningApi } from '../support/running-api';

/**
 * Found by the fuzz suite: PostgreSQL cannot store the NUL character (U+0000) in text or jsonb, and every
 * field, path parameter or filter that reached it with one answered 500. It is the client's input: 422
 * `invalid_text`, whichever field carried it. A message payload keeps it (payloads are stored as sent).
 */
describe('the NUL character in requests (e2e)', () => {
  let api: RunningApi;
  let client: RunningApi['anonymous'];
  let appId: string;

  beforeAll(async () => {
    api = await startApi();
    const tenant = await api.newTenant('nul');
    client = tenant.client;
    appId = (await client.post('/api/v1/app', { name: 'nul' })).body.id;
    await client.post('/api/v1/event-type', { name: 'nul.event', description: 'nul' });
    // With one operational endpoint, its ids are looked up in the database.
    await client.post('/api/v1/operational-webhook/endpoint', { url: 'https://example.com/operational' });
  });

  afterAll(async () => {
    await api.close();
  });

  it.each<[string, string, () => string, unknown?]>([
    ['an application name', 'POST', () => '/api/v1/app', { name: 'a\u0000b' }],
    ['application metadata', 'POST', () => '/api/v1/app', { name: 'm', metadata: { k: 'v\u0000' } }],
    [
      'an endpoint description',
      'POST',
      () => `/api/v1/app/${appId}/endpoint`,
      { url: 'https://example.com/nul', description: 'd\u0000' },
    ],
    [
      'an event-type description',
      'POST',
      () => '/api/v1/event-type',
      { name: 'nul.two', description: '\u0000' },
    ],
    ['a path id', 'GET', () => '/api/v1/app/%00', undefined],
    [
      'an operational endpoint id',
      'POST',
      () => '/api/v1/operational-webhook/endpoint/%00/secret/rotate',
      {},
    ],
    ['a list iterator', 'GET', () => `/api/v1/app/${appId}/msg?iterator=%00`, undefined],
    ['a tag filter', 'GET', () => `/api/v1/app/${appId}/msg?tag=%00`, undefined],
    ['an event id filter', 'GET', () => '/api/v1/search/message?event_id=%00', undefined],
  ])('in %s is a 422 invalid_text, not a 500', async (_, method, path, body) => {
    const res = await client.request(method, path(), body);
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 422, code: 'invalid_text' });
    expect(res.body.detail).toMatch(/NUL character/);
  });

  it('is kept in a message payload, which is stored as sent', async () => {
    const res = await client.post(`/api/v1/app/${appId}/msg`, {
      eventType: 'nul.event',
      payload: { a: 'x\u0000y' },
    });
    expect(res.status).toBe(202);
    const read = await client.get(`/api/v1/app/${appId}/msg/${res.body.id}`);
    expect(read.body.payload).toEqual({ a: 'x\u0000y' });
  });
});
