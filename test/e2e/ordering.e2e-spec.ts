import { DeliveryRepository, PrismaService } from '@app/db';
import { ReconcilerService } from '@app/delivery';
import { testConfig, waitFor, type HttpClient, type ReceivedWebhook } from '@app/testing';
import { DeliveryWorld } from '../support/delivery-world';
import { startWorker } from '../support/running-worker';

/** A small seeded generator (mulberry32), so a failing run can be replayed with its seed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Message ids in the order the API accepted them, per ordering key. */
type AcceptOrder = Map<string, string[]>;

/**
 * Posts `perKey` messages for each key: the messages of one key one after the other (each after the
 * previous one's 202, which defines their accept order), the keys side by side.
 */
async function postOrdered(client: HttpClient, appId: string, keys: string[], perKey: number) {
  const order: AcceptOrder = new Map();
  await Promise.all(
    keys.map(async (key) => {
      const ids: string[] = [];
      order.set(key, ids);
      for (let n = 0; n < perKey; n++) {
        const res = await client.post(`/api/v1/app/${appId}/msg`, {
          eventType: 'order.updated',
          payload: { key, n },
          orderingKey: key,
        });
        expect(res.status).toBe(202);
        expect(res.body.orderingKey).toBe(key);
        ids.push(res.body.id);
      }
    }),
  );
  return order;
}

/**
 * The ordering guarantee at the receiver, for every key: requests arrive in accept order (retries of a
 * message repeat it, never an earlier one after a later one), and each request of the key arrives only after
 * the previous one was answered (one at a time).
 */
function expectDeliveredInOrder(received: ReceivedWebhook[], order: AcceptOrder) {
  const place = new Map<string, { key: string; n: number }>();
  for (const [key, ids] of order) ids.forEach((id, n) => place.set(id, { key, n }));
  const perKey = new Map<string, ReceivedWebhook[]>();
  for (const r of received) {
    const p = place.get(String(r.headers['webhook-id']));
    if (!p) continue;
    perKey.set(p.key, [...(perKey.get(p.key) ?? []), r]);
  }
  for (const [key, requests] of perKey) {
    const sequence = requests.map((r) => place.get(String(r.headers['webhook-id']))!.n);
    const sorted = [...sequence].sort((a, b) => a - b);
    expect({ key, sequence }).toEqual({ key, sequence: sorted });
    for (let i = 1; i < requests.length; i++) {
      expect(requests[i]!.at).toBeGreaterThanOrEqual(requests[i - 1]!.respondedAt ?? Infinity);
    }
  }
}

/** Resolves when `count` requests are in flight at once at the receiver; holds each until then. */
function holdUntilConcurrent(count: number) {
  let release!: () => void;
  const all = new Promise<void>((resolve) => (release = resolve));
  let arrived = 0;
  return (): { status: number; until: Promise<unknown> } => {
    if (++arrived >= count) release();
    return { status: 200, until: all };
  };
}

describe('ordering per key (e2e)', () => {
  const world = new DeliveryWorld(
    // Four attempts close together: with one request in three failing at random, some messages are
    // dead-lettered and their key must move on past them.
    testConfig({ DELIVERY_RETRY_SCHEDULE: '10ms,10ms,10ms' }),
  );
  const prisma = () => world.worker.get(PrismaService);

  beforeAll(async () => {
    await world.start();
  });

  afterAll(async () => {
    await world.stop();
  });

  it('rejects an orderingKey that is not a string of at most 128 characters with a 422', async () => {
    const { tenant, app } = await world.tenantWithApp('ordering-bad-input');
    for (const orderingKey of ['k'.repeat(129), 42, '']) {
      const res = await tenant.client.post(`/api/v1/app/${app.id}/msg`, {
        eventType: 'a',
        payload: {},
        orderingKey,
      });
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('validation_error');
      expect(res.body.detail.map((d: { loc: unknown }) => d.loc)).toContainEqual(['body', 'orderingKey']);
    }
    const ok = await tenant.client.post(`/api/v1/app/${app.id}/msg`, {
      eventType: 'a',
      payload: {},
      orderingKey: 'k'.repeat(128),
    });
    expect(ok.status).toBe(202);
  });

  it('delivers each key in accept order through random failures and a worker restart, and skips past dead letters', async () => {
    const seed = Number(process.env.ORDERING_SEED ?? 20261202);
    const random = seeded(seed);
    const receiver = await world.receiver(() => ({ status: random() < 0.35 ? 500 : 200 }));
    const { tenant, svix, app } = await world.tenantWithApp('ordering-random');
    const endpoint = await svix.endpoint.create(app.id, { url: receiver.url });
    const keys = Array.from({ length: 24 }, (_, i) => `customer-${i}`);

    const first = postOrdered(tenant.client, app.id, keys, 8);
    // Stop the worker mid-run (its attempts in flight finish and are recorded), then start another one.
    await receiver.waitForRequests(40, 30_000);
    await world.worker.close();
    world.worker = await startWorker(world.config);
    const order = await first;
    const second = await postOrdered(tenant.client, app.id, keys, 8);
    for (const key of keys) order.get(key)!.push(...second.get(key)!);
    const total = keys.length * 16;

    const deliveries = await waitFor(
      `all ${total} ordered deliveries to end (seed ${seed})`,
      async () => {
        const rows = await prisma().delivery.findMany({ where: { endpointId: endpoint.id } });
        return rows.length === total && rows.every((d) => d.status === 'success' || d.status === 'fail')
          ? rows
          : undefined;
      },
      { timeoutMs: 120_000 },
    );
    expectDeliveredInOrder(receiver.received, order);
    // Every message reached the receiver; the dead letters say their key moved on past them, and no line
    // is left behind.
    const seen = new Set(receiver.received.map((r) => String(r.headers['webhook-id'])));
    for (const ids of order.values()) for (const id of ids) expect(seen.has(id)).toBe(true);
    const failed = deliveries.filter((d) => d.status === 'fail');
    expect(failed.length).toBeGreaterThan(0);
    for (const d of failed) expect(d.orderingSkippedAt).not.toBeNull();
    for (const d of deliveries) expect(d.orderingLine).toBeNull();
    for (const d of deliveries.filter((d) => d.status === 'success')) expect(d.orderingSkippedAt).toBeNull();
  }, 180_000);

  it('keeps keyless messages, and messages of different keys, in parallel', async () => {
    const keyless = await world.receiver(holdUntilConcurrent(5));
    const keyed = await world.receiver(holdUntilConcurrent(5));
    const { tenant, svix, app } = await world.tenantWithApp('ordering-parallel');
    const other = await svix.application.create({ name: 'keyed' });
    await svix.endpoint.create(app.id, { url: keyless.url });
    await svix.endpoint.create(other.id, { url: keyed.url });
    for (let n = 0; n < 5; n++) {
      await svix.message.create(app.id, { eventType: 'plain', payload: { n } });
      const res = await tenant.client.post(`/api/v1/app/${other.id}/msg`, {
        eventType: 'keyed',
        payload: { n },
        orderingKey: `key-${n}`,
      });
      expect(res.status).toBe(202);
    }
    // Each receiver answers nothing until five requests are open at once: only parallel delivery gets there.
    await keyless.waitForRequests(5);
    await keyed.waitForRequests(5);
    expect(keyless.maxInFlight).toBe(5);
    expect(keyed.maxInFlight).toBe(5);
  });

  describe('the reconciler and manual attempts', () => {
    /** The line's deliveries of these messages, in accept order. */
    async function lineOf(endpointId: string, msgIds: string[]) {
      const rows = await prisma().delivery.findMany({ where: { endpointId, messageId: { in: msgIds } } });
      return msgIds.map((id) => rows.find((d) => d.messageId === id)!);
    }

    async function orderedMessages(client: HttpClient, appId: string, key: string, count: number) {
      const ids: string[] = [];
      for (let n = 0; n < count; n++) {
        const res = await client.post(`/api/v1/app/${appId}/msg`, {
          eventType: 'e',
          payload: { n },
          orderingKey: key,
        });
        ids.push(res.body.id);
      }
      return ids;
    }

    it('never queues a waiting delivery, and moves a line on whose head was canceled by an expunge', async () => {
      let firstHeld: (() => void) | undefined;
      const receiver = await world.receiver((request, index) =>
        index === 0
          ? { status: 500, until: new Promise<void>((resolve) => (firstHeld = resolve)) }
          : { status: 200 },
      );
      const { tenant, svix, app } = await world.tenantWithApp('ordering-reconciler');
      const endpoint = await svix.endpoint.create(app.id, { url: receiver.url });
      const ids = await orderedMessages(tenant.client, app.id, 'k', 3);
      await receiver.waitForRequests(1);

      // The head is out; its successors wait with no due time, untouched by any reconciler pass.
      const before = await lineOf(endpoint.id, ids);
      expect(before.map((d) => d.orderingLine)).toEqual(['head', 'waiting', 'waiting']);
      expect(before.slice(1).map((d) => d.nextAttemptAt)).toEqual([null, null]);
      const reconciler = world.worker.get(ReconcilerService);
      await reconciler.tick();
      await reconciler.tick();
      const after = await lineOf(endpoint.id, ids);
      expect(after.slice(1).map((d) => [d.orderingLine, d.fence, d.nextAttemptAt])).toEqual(
        before.slice(1).map((d) => [d.orderingLine, d.fence, d.nextAttemptAt]),
      );

      // The head's message is expunged while its attempt is out: it is canceled without releasing the line;
      // the reconciler moves the line on, in order.
      const expunged = await tenant.client.delete(`/api/v1/app/${app.id}/msg/${ids[0]}/content`);
      expect(expunged.status).toBe(204);
      firstHeld!();
      const [, second, third] = await receiver.waitForRequests(3);
      expect([second!.headers['webhook-id'], third!.headers['webhook-id']]).toEqual([ids[1], ids[2]]);
      expect(third!.at).toBeGreaterThanOrEqual(second!.respondedAt!);
      await waitFor('the line to end', async () =>
        (await lineOf(endpoint.id, ids)).every((d) => d.orderingLine === null && d.status !== 'pending'),
      );
      expect((await lineOf(endpoint.id, ids)).map((d) => d.status)).toEqual([
        'canceled',
        'success',
        'success',
      ]);
    });

    it('resends a waiting delivery in its turn, and an old one at once without blocking the key', async () => {
      let release: (() => void) | undefined;
      const receiver = await world.receiver((request, index) =>
        index === 0
          ? { status: 200, until: new Promise<void>((resolve) => (release = resolve)) }
          : { status: 200 },
      );
      const { tenant, svix, app } = await world.tenantWithApp('ordering-resend');
      const endpoint = await svix.endpoint.create(app.id, { url: receiver.url });
      const ids = await orderedMessages(tenant.client, app.id, 'r', 3);
      await receiver.waitForRequests(1);

      // A resend of the last one keeps its place in the line: still waiting, nothing sent.
      await svix.messageAttempt.resend(app.id, ids[2]!, endpoint.id);
      const waiting = (await lineOf(endpoint.id, ids))[2]!;
      expect([waiting.orderingLine, waiting.nextAttemptAt, waiting.nextTrigger]).toEqual([
        'waiting',
        null,
        'manual',
      ]);
      release!();
      const requests = await receiver.waitForRequests(3);
      expect(requests.map((r) => r.headers['webhook-id'])).toEqual(ids);
      await waitFor('the line to end', async () =>
        (await lineOf(endpoint.id, ids)).every((d) => d.status === 'success'),
      );

      // A new message of the key, then a resend of the first, which has left the line: it goes out at once,
      // and the new message does not wait for it.
      let newHeld: (() => void) | undefined;
      receiver.respondWith((request) =>
        request.headers['webhook-id'] === ids[0]
          ? { status: 200, until: new Promise<void>((resolve) => (newHeld = resolve)) }
          : { status: 200 },
      );
      await svix.messageAttempt.resend(app.id, ids[0]!, endpoint.id);
      await receiver.waitForRequests(4);
      const [later] = await orderedMessages(tenant.client, app.id, 'r', 1);
      const [, , , resent, fifth] = await receiver.waitForRequests(5);
      expect(resent!.headers['webhook-id']).toBe(ids[0]);
      expect(fifth!.headers['webhook-id']).toBe(later);
      expect(resent!.respondedAt).toBeUndefined();
      newHeld!();
    });
  });

  it('keeps the successor waiting while a dead worker holds the head, until its lease runs out', async () => {
    const receiver = await world.receiver(() => ({ status: 200 }));
    const { tenant, svix, app } = await world.tenantWithApp('ordering-crash');
    const endpoint = await svix.endpoint.create(app.id, { url: receiver.url });
    // No worker while the messages are accepted; then one "claims" the head and dies without a record.
    await world.worker.close();
    const ids: string[] = [];
    for (let n = 0; n < 3; n++) {
      const res = await tenant.client.post(`/api/v1/app/${app.id}/msg`, {
        eventType: 'e',
        payload: { n },
        orderingKey: 'crash',
      });
      ids.push(res.body.id);
    }
    const head = await world.deliveryOf(ids[0]!, endpoint.id);
    const claimed = await world.api.app.get(DeliveryRepository).claim(head.id, head.fence, 1_000);
    expect(claimed?.orderingKey).toBe('crash');
    const { leaseUntil } = await world.deliveryOf(ids[0]!, endpoint.id);

    world.worker = await startWorker(world.config);
    const requests = await receiver.waitForRequests(3);
    expect(requests.map((r) => r.headers['webhook-id'])).toEqual(ids);
    // The head went out again only once its lease had run out, and nothing of its key overtook it.
    expect(requests[0]!.at).toBeGreaterThanOrEqual(leaseUntil!.getTime());
    await waitFor('the line to end', async () => {
      const rows = await Promise.all(ids.map((id) => world.deliveryOf(id, endpoint.id)));
      return rows.every((d) => d.status === 'success' && d.orderingLine === null);
    });
  });
});
