import { Cluster } from 'ioredis';
import {
  startRedisCluster,
  testConfig,
  TestReceiver,
  waitFor,
  type LocalRedisCluster,
  type ReceivedWebhook,
} from '@app/testing';
import { BullConnection } from '@app/queue';
import { DeliveryWorld } from '../support/delivery-world';
import { startWorker } from '../support/running-worker';

/**
 * The scale-out story's Redis half: the API and the worker on a real three-master Redis Cluster. Every key
 * lives under the queue prefix's hash tag, so a queue, its delayed retries and the flow-control scripts'
 * keys share one slot (BullMQ's rule for clusters) and multi-key commands never cross slots.
 */
describe('Redis Cluster (e2e)', () => {
  let cluster: LocalRedisCluster;
  let world: DeliveryWorld;

  beforeAll(async () => {
    cluster = await startRedisCluster();
    world = new DeliveryWorld(testConfig({ REDIS_URL: cluster.url, REDIS_CLUSTER: 'true' }));
    await world.start();
  });

  afterAll(async () => {
    await world?.stop();
    await cluster?.close();
  });

  it('accepts, retries and delivers through a cluster, every key in the prefix`s one slot', async () => {
    // The first request to each message fails, so every delivery also goes through a delayed retry.
    const seen = new Set<string>();
    const delivered: ReceivedWebhook[] = [];
    const receiver = await world.receiver((request) => {
      const id = String(request.headers['webhook-id']);
      if (!seen.has(id)) {
        seen.add(id);
        return { status: 503 };
      }
      delivered.push(request);
      return { status: 204 };
    });
    const { svix, app } = await world.tenantWithApp('clustered');
    const endpoint = await svix.endpoint.create(app.id, { url: receiver.url });
    const secret = (await svix.endpoint.getSecret(app.id, endpoint.id)).key;
    const sent: { id: string }[] = [];
    for (let i = 0; i < 20; i++)
      sent.push(await svix.message.create(app.id, { eventType: 'cluster.test', payload: { i } }));

    await receiver.waitForRequests(40, 30_000);
    const ids = new Set(delivered.map((request) => String(request.headers['webhook-id'])));
    expect([...ids].sort()).toEqual(sent.map((m) => m.id).sort());
    for (const request of delivered) expect(() => TestReceiver.verify(request, secret)).not.toThrow();
    await waitFor('every delivery recorded as a success', async () => {
      const rows = await Promise.all(sent.map((m) => world.deliveryOf(m.id, endpoint.id)));
      return rows.every((row) => row.status === 'success') || undefined;
    });

    const ready = await world.api.anonymous.get('/api/v1/health/ready');
    expect(ready.body).toMatchObject({ status: 'ok', redis: 'ok' });

    const client = new Cluster([{ host: '127.0.0.1', port: cluster.ports[0]! }]);
    try {
      await client.ping(); // connected: it knows every master now
      const prefix = world.config.redis.prefix;
      const keysPerNode = await Promise.all(client.nodes('master').map((node) => node.keys(`${prefix}*`)));
      const keys = keysPerNode.flat();
      expect(keys.some((key) => key.includes(':delivery:'))).toBe(true);
      expect(keys.some((key) => key.includes(':flow:'))).toBe(true);
      expect(keysPerNode.filter((nodeKeys) => nodeKeys.length > 0)).toHaveLength(1);
      const slots = new Set(await Promise.all(keys.map((key) => client.cluster('KEYSLOT', key))));
      expect(slots.size).toBe(1);
    } finally {
      client.disconnect();
    }
  });

  it('closes the cluster connection BullMQ shares when a worker stops, so the process can exit', async () => {
    const worker = await startWorker(world.config);
    const { connection } = worker.get(BullConnection);
    expect(connection).toBeInstanceOf(Cluster);
    await worker.close();
    expect((connection as Cluster).status).toBe('end');
  });
});
