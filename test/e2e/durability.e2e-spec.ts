import { Redis } from 'ioredis';
import { DeliveryRepository, PrismaService } from '@app/db';
import { JobProducer, redisOptions } from '@app/queue';
import { testConfig, waitFor } from '@app/testing';
import { startApi } from '../support/running-api';
import { DeliveryWorld } from '../support/delivery-world';

/**
 * What must not be lost, loop or be sent twice when parts fail (issue 6): Redis losing its data with no
 * process restarted, receivers answering bytes PostgreSQL cannot store, faults inside Hookrelay between
 * claim and record, a delivery whose workers keep dying, and a tenant deleted while Redis is down.
 * Process kills, restarts and PostgreSQL outages are in the chaos suite (`npm run test:chaos`).
 */
describe('durability (e2e)', () => {
  const world = new DeliveryWorld(
    testConfig({ DELIVERY_RETRY_SCHEDULE: '800ms,50ms', DELIVERY_MAX_OPEN_CLAIMS: '2' }),
  );
  let prisma: PrismaService;

  beforeAll(async () => {
    await world.start();
    prisma = world.worker.get(PrismaService);
  });

  afterAll(async () => {
    await world.stop();
  });

  /** Deletes every key of this world's queues: what FLUSHALL or a failover to an empty replica does to them. */
  async function loseRedisData(): Promise<number> {
    const redis = new Redis(redisOptions(world.config.redis.url));
    try {
      const keys = await redis.keys(`${world.config.redis.prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      return keys.length;
    } finally {
      redis.disconnect();
    }
  }

  it('still sends a delayed retry after Redis lost its data, with no process restarted', async () => {
    const receiver = await world.receiver((_, i) => ({ status: i === 0 ? 500 : 200 }));
    const { svix, app } = await world.tenantWithApp('redis lost');
    const endpoint = await svix.endpoint.create(app.id, { url: receiver.url });
    const msg = await svix.message.create(app.id, { eventType: 'lost', payload: {} });
    await receiver.waitForRequests(1);
    // The retry is now a delayed job in Redis (due in ~800 ms) and pending in PostgreSQL.
    await waitFor('the retry to be scheduled', async () => {
      const d = await world.deliveryOf(msg.id, endpoint.id);
      return d.status === 'pending' && d.attemptCount === 1;
    });
    expect(await loseRedisData()).toBeGreaterThan(0);

    const [, retry] = await receiver.waitForRequests(2);
    expect(retry!.headers['webhook-id']).toBe(msg.id);
    await waitFor('success', async () => (await world.deliveryOf(msg.id, endpoint.id)).status === 'success');
  });

  it('records a response with NUL bytes and invalid UTF-8, and moves on instead of looping', async () => {
    const poison = Buffer.concat([
      Buffer.from('bad\u0000body '),
      Buffer.from([0xff, 0xfe]),
      Buffer.from(' end'),
    ]);
    const receiver = await world.receiver((_, i) =>
      i === 0 ? { status: 500, body: poison } : { status: 200 },
    );
    const { svix, app } = await world.tenantWithApp('nul');
    const endpoint = await svix.endpoint.create(app.id, { url: receiver.url });
    const msg = await svix.message.create(app.id, { eventType: 'nul', payload: {} });

    await waitFor('success', async () => (await world.deliveryOf(msg.id, endpoint.id)).status === 'success');
    const attempts = await world.attemptsOf(msg.id, endpoint.id);
    expect(attempts.map((a) => [a.status, a.responseStatusCode])).toEqual([
      ['fail', 500],
      ['success', 200],
    ]);
    expect(attempts[0]!.response).toBe('bad\uFFFDbody \uFFFD\uFFFD end');
    // Through the API too: the stored text serialises.
    const listed = await svix.messageAttempt.listByMsg(app.id, msg.id);
    expect(listed.data.map((a) => a.response)).toContain('bad\uFFFDbody \uFFFD\uFFFD end');
  });

  it('turns a fault of ours between claim and record into internal_error attempts, then a dead letter', async () => {
    const receiver = await world.receiver();
    const { svix, app } = await world.tenantWithApp('internal');
    const endpoint = await svix.endpoint.create(app.id, { url: receiver.url });
    // A sealed secret that no longer opens (a wrong ENCRYPTION_KEY after a bad deploy, say).
    await prisma.endpoint.update({ where: { id: endpoint.id }, data: { secret: 'v1.not-a-sealed-secret' } });
    const msg = await svix.message.create(app.id, { eventType: 'internal', payload: {} });

    await waitFor(
      'the dead letter',
      async () => (await world.deliveryOf(msg.id, endpoint.id)).status === 'fail',
    );
    const attempts = await world.attemptsOf(msg.id, endpoint.id);
    expect(attempts).toHaveLength(3);
    expect(attempts.every((a) => a.errorKind === 'internal_error' && a.responseStatusCode === 0)).toBe(true);
    expect(receiver.received).toHaveLength(0);
    // Our fault says nothing about the receiver: its endpoint is not marked failing.
    expect((await prisma.endpoint.findUniqueOrThrow({ where: { id: endpoint.id } })).failingSince).toBeNull();
  });

  it('dead-letters a delivery whose workers keep dying before they record, with an attempt that says why', async () => {
    const receiver = await world.receiver();
    const { svix, app } = await world.tenantWithApp('crash loop');
    const endpoint = await svix.endpoint.create(app.id, { url: receiver.url });
    const queue = world.api.app.get(JobProducer).queue('delivery');
    const deliveries = world.worker.get(DeliveryRepository);
    await queue.pause();
    let msgId: string;
    try {
      msgId = (await svix.message.create(app.id, { eventType: 'crash', payload: {} })).id;
      // Two workers took it and died (a lease of 0 ms: expired at once), never recording anything.
      let delivery = await world.deliveryOf(msgId, endpoint.id);
      for (let i = 0; i < 2; i++) {
        expect(await deliveries.claim(delivery.id, delivery.fence, 0)).toBeDefined();
        delivery = await world.deliveryOf(msgId, endpoint.id);
      }
    } finally {
      await queue.resume();
    }
    // The reconciler hands the expired lease out again; the third claim is one too many (max 2).
    await waitFor(
      'the dead letter',
      async () => (await world.deliveryOf(msgId, endpoint.id)).status === 'fail',
    );
    const [attempt, ...others] = await world.attemptsOf(msgId, endpoint.id);
    expect(others).toHaveLength(0);
    expect(attempt).toMatchObject({ status: 'fail', errorKind: 'internal_error', responseStatusCode: 0 });
    expect(attempt!.response).toContain('dead-lettered');
    expect(receiver.received).toHaveLength(0);
  });

  it('purges a tenant deleted while Redis was down, leaving other tenants alone', async () => {
    const receiver = await world.receiver();
    const { tenant, svix, app } = await world.tenantWithApp('deleted without redis');
    const keeper = await world.tenantWithApp('kept');
    await svix.endpoint.create(app.id, { url: receiver.url });
    for (let i = 0; i < 3; i++) await svix.message.create(app.id, { eventType: 'x', payload: { i } });
    await receiver.waitForRequests(3);

    const degraded = await startApi({
      ...testConfig({ REDIS_URL: 'redis://127.0.0.1:1' }),
      adminToken: world.config.adminToken,
    });
    try {
      expect((await degraded.admin.delete(`/admin/v1/tenants/${tenant.id}`)).status).toBe(204);
    } finally {
      await degraded.close();
    }

    await waitFor(
      'the tenant to be purged',
      async () => (await prisma.tenant.count({ where: { id: tenant.id } })) === 0,
    );
    for (const count of [
      prisma.message.count({ where: { tenantId: tenant.id } }),
      prisma.delivery.count({ where: { tenantId: tenant.id } }),
      prisma.deliveryAttempt.count({ where: { tenantId: tenant.id } }),
      prisma.endpoint.count({ where: { tenantId: tenant.id } }),
      prisma.apiKey.count({ where: { tenantId: tenant.id } }),
      prisma.outboxEvent.count({ where: { tenantId: tenant.id } }),
    ]) {
      expect(await count).toBe(0);
    }
    expect(await prisma.tenant.count({ where: { id: keeper.tenant.id } })).toBe(1);
  });
});
