import { connect } from 'node:net';
import { randomUUID } from 'node:crypto';
import {
  IdempotencyRepository,
  isDatabaseUnavailable,
  LIST_CONTENT_BYTES,
  poolTimeouts,
  PrismaService,
} from '@app/db';
import { MAX_JSON_DEPTH } from '@app/domain';
import { testConfig, waitFor } from '@app/testing';
import { DeliveryWorld } from '../support/delivery-world';
import { startApi } from '../support/running-api';

type Client = Awaited<ReturnType<DeliveryWorld['api']['newTenant']>>['client'];

/**
 * Every input bounded (issue 9, "bounded everything"): JSON depth at parse time, payload bytes per list
 * page, string and list fields, path parameters up to the documented id lengths, reserved uids, the request
 * read deadline, the statement timeout, and an idempotency store that is purged and holds no payload copy.
 */
describe('bounded inputs (e2e)', () => {
  const world = new DeliveryWorld(testConfig({ HTTP_REQUEST_TIMEOUT_MS: '2000' }));
  let client: Client;
  let appId: string;

  beforeAll(async () => {
    await world.start();
    client = (await world.api.newTenant('bounded')).client;
    appId = (await client.post('/api/v1/app', { name: 'bounded' })).body.id;
  });

  afterAll(async () => {
    await world.stop();
  });

  const nested = (depth: number) => JSON.parse('{"a":'.repeat(depth) + '1' + '}'.repeat(depth)) as object;
  const messageCount = () =>
    world.api.app.get(PrismaService).message.count({ where: { applicationId: appId } });

  describe('JSON depth', () => {
    it('refuses a body nested past the limit with 422 json_too_deep, storing nothing', async () => {
      const before = await messageCount();
      const deep = '{"eventType":"a.b","payload":' + '['.repeat(4200) + ']'.repeat(4200) + '}';
      const res = await client.post(`/api/v1/app/${appId}/msg`, deep);
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('json_too_deep');
      expect(res.body.detail[0]).toMatchObject({ loc: ['body'], type: 'json_too_deep' });
      const justOver = await client.post(`/api/v1/app/${appId}/msg`, {
        eventType: 'a.b',
        payload: nested(MAX_JSON_DEPTH),
      });
      expect(justOver).toMatchObject({ status: 422, body: { code: 'json_too_deep' } });
      expect(await messageCount()).toBe(before);
    });

    it('accepts, stores and lists a payload at the limit', async () => {
      // The message body adds one level around the payload.
      const res = await client.post(`/api/v1/app/${appId}/msg`, {
        eventType: 'a.b',
        payload: nested(MAX_JSON_DEPTH - 1),
      });
      expect(res.status).toBe(202);
      expect((await client.get(`/api/v1/app/${appId}/msg/${res.body.id}`)).status).toBe(200);
      expect((await client.get(`/api/v1/app/${appId}/msg?limit=250`)).status).toBe(200);
    });
  });

  describe('list pages carry a bounded number of payload bytes', () => {
    it('ends a page with content early once its payloads pass the budget, and pages on from there', async () => {
      const bigApp = (await client.post('/api/v1/app', { name: 'big payloads' })).body.id;
      const payloadBytes = 1_000_000;
      const count = Math.floor(LIST_CONTENT_BYTES / payloadBytes) + 1;
      for (let i = 0; i < count; i++) {
        const res = await client.post(`/api/v1/app/${bigApp}/msg`, {
          eventType: 'big',
          payload: { i, blob: 'x'.repeat(payloadBytes - 20) },
        });
        expect(res.status).toBe(202);
      }
      const first = await client.get(`/api/v1/app/${bigApp}/msg?limit=250`);
      expect(first.status).toBe(200);
      expect(first.body.data).toHaveLength(count - 1);
      expect(first.body.done).toBe(false);
      const second = await client.get(`/api/v1/app/${bigApp}/msg?limit=250&iterator=${first.body.iterator}`);
      expect(second.body.data).toHaveLength(1);
      expect(second.body.done).toBe(true);
      const ids = [...first.body.data, ...second.body.data].map(
        (m: { payload: { i: number } }) => m.payload.i,
      );
      expect(ids.sort()).toEqual([...Array(count).keys()]);

      const withoutContent = await client.get(`/api/v1/app/${bigApp}/msg?limit=250&with_content=false`);
      expect(withoutContent.body.data).toHaveLength(count);
      expect(withoutContent.body.done).toBe(true);
      expect(withoutContent.body.data[0].payload).toEqual({});
    });
  });

  describe('string and list fields', () => {
    it.each([
      [
        'endpoint description',
        () => `/api/v1/app/${appId}/endpoint`,
        { url: 'https://example.com/', description: 'd'.repeat(4097) },
      ],
      [
        'endpoint filterTypes',
        () => `/api/v1/app/${appId}/endpoint`,
        { url: 'https://example.com/', filterTypes: Array.from({ length: 1001 }, (_, i) => `t${i}`) },
      ],
      [
        'event type description',
        () => '/api/v1/event-type',
        { name: 'long.description', description: 'd'.repeat(4097) },
      ],
      [
        'event type featureFlags',
        () => '/api/v1/event-type',
        { name: 'many.flags', description: '', featureFlags: Array.from({ length: 51 }, (_, i) => `f${i}`) },
      ],
      [
        'event type schemas (bytes)',
        () => '/api/v1/event-type',
        { name: 'big.schema', description: '', schemas: { '1': { description: 'x'.repeat(300 * 1024) } } },
      ],
      [
        'event type schemas (versions)',
        () => '/api/v1/event-type',
        {
          name: 'many.schemas',
          description: '',
          schemas: Object.fromEntries(
            Array.from({ length: 21 }, (_, i) => [String(i + 1), { type: 'object' }]),
          ),
        },
      ],
    ])('refuses an over-long %s with 422', async (_, path, body) => {
      const res = await client.post(path(), body);
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('validation_error');
    });

    it('refuses more deleteHeaders than an endpoint may have headers', async () => {
      const endpoint = (await client.post(`/api/v1/app/${appId}/endpoint`, { url: 'https://example.com/h' }))
        .body;
      const res = await client.patch(`/api/v1/app/${appId}/endpoint/${endpoint.id}/headers`, {
        headers: {},
        deleteHeaders: Array.from({ length: 51 }, (_, i) => `x-h${i}`),
      });
      expect(res).toMatchObject({ status: 422, body: { code: 'validation_error' } });
    });
  });

  describe('path parameters and uids', () => {
    it('takes uids of the documented 256 characters in the path', async () => {
      const uid = 'u'.repeat(256);
      expect((await client.post('/api/v1/app', { name: 'long uid', uid })).status).toBe(201);
      const got = await client.get(`/api/v1/app/${uid}`);
      expect(got.status).toBe(200);
      expect(got.body.uid).toBe(uid);
      const name = `e.${'v'.repeat(254)}`;
      expect((await client.post('/api/v1/event-type', { name, description: '' })).status).toBe(201);
      expect((await client.get(`/api/v1/event-type/${name}`)).status).toBe(200);
    });

    it('refuses reserved uids (body and path) with 422, and operational endpoints still work', async () => {
      const tenant = await world.api.newTenant('reserved uid');
      const byBody = await tenant.client.post('/api/v1/app', { name: 'x', uid: '__operational_webhooks__' });
      expect(byBody.status).toBe(422);
      expect(byBody.body.detail[0]).toMatchObject({ loc: ['body', 'uid'], type: 'reserved_uid' });
      const byPath = await tenant.client.put('/api/v1/app/__operational_webhooks__', { name: 'x' });
      expect(byPath.status).toBe(422);
      expect(byPath.body.detail[0]).toMatchObject({ loc: ['path', 'app_id'], type: 'reserved_uid' });
      const operational = await tenant.client.post('/api/v1/operational-webhook/endpoint', {
        url: 'https://example.com/ops',
      });
      expect(operational.status).toBe(201);
    });
  });

  describe('deadlines', () => {
    it('cuts off a client that drips its body (408, connection closed)', async () => {
      const { port } = new URL(world.api.url);
      const socket = connect(Number(port), '127.0.0.1');
      let answer = '';
      socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
      const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
      socket.write(
        `POST /api/v1/app HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"name":`,
      );
      await closed;
      expect(answer).toMatch(/^HTTP\/1\.1 408/);
    });

    it('cancels a statement that runs past DATABASE_STATEMENT_TIMEOUT_MS, as a 503-class failure', async () => {
      const config = testConfig({
        DATABASE_STATEMENT_TIMEOUT_MS: '100',
        DATABASE_CONNECT_TIMEOUT_MS: '1500',
      });
      // Both pools (Prisma's adapter and SqlService's pg pool) are built from these options.
      expect(poolTimeouts(config)).toEqual({ connectionTimeoutMillis: 1500, statement_timeout: 100 });
      expect(poolTimeouts(testConfig({ DATABASE_STATEMENT_TIMEOUT_MS: '0' }))).not.toHaveProperty(
        'statement_timeout',
      );
      const api = await startApi(config);
      try {
        const error = await api.app.get(PrismaService).$queryRaw`SELECT pg_sleep(5)`.then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(JSON.stringify(error)).toContain('57014');
        expect(isDatabaseUnavailable(error)).toBe(true);
      } finally {
        await api.close();
      }
    });
  });

  describe('idempotency store', () => {
    it('keeps no copy of the payload, and still replays it', async () => {
      const key = `k_${randomUUID()}`;
      const payload = { secret: 'customer-data', n: 1 };
      const first = await client.post(
        `/api/v1/app/${appId}/msg`,
        { eventType: 'a.b', payload },
        { 'idempotency-key': key },
      );
      expect(first.status).toBe(202);
      const row = await world.api.app.get(PrismaService).idempotencyKey.findFirstOrThrow({ where: { key } });
      expect(row.responseBody).not.toContain('customer-data');
      const replay = await client.post(
        `/api/v1/app/${appId}/msg`,
        { eventType: 'a.b', payload },
        { 'idempotency-key': key },
      );
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(replay.body).toEqual(first.body);
    });

    it('is purged of expired keys by the workers on schedule', async () => {
      const tenant = await world.api.newTenant('idempotency purge');
      const repository = world.api.app.get(IdempotencyRepository);
      const prisma = world.api.app.get(PrismaService);
      const key = `expiring_${randomUUID()}`;
      await repository.claim(tenant.id, key, { route: 'POST /x', requestHash: 'h' }, 1);
      await waitFor(
        'the expired key to be purged',
        async () => (await prisma.idempotencyKey.count({ where: { tenantId: tenant.id, key } })) === 0,
      );
    });
  });
});
