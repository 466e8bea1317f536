import type { Svix } from 'svix';
import { testConfig, TestReceiver, waitFor } from '@app/testing';
import { DeliveryWorld } from '../support/delivery-world';

/**
 * Fencing end to end: an attempt overtaken while its request is out (by a resend, or by another worker
 * after its lease ran out) still gets its attempt row, but its late answer moves the delivery nowhere.
 * Everything is driven through the API and seen at a real receiver whose first request is held.
 *
 * The two worlds run one after the other, never side by side: a reconciler re-queues any delivery in the
 * database onto its own world's queue, and a worker of another world cannot open this world's secrets.
 */
describe('fenced deliveries (e2e)', () => {
  /** Requests for one message, in arrival order. */
  const requestsFor = (receiver: TestReceiver, msgId: string) =>
    receiver.received.filter((r) => r.headers['webhook-id'] === msgId);

  /**
   * Sends another message to the endpoint and awaits it. A delivery that the late answer had put back on
   * its schedule would be due at once (its retry counts from the start of the held attempt), so its
   * request would have gone out by then.
   */
  async function afterALaterMessage(svix: Svix, appId: string, receiver: TestReceiver) {
    const later = await svix.message.create(appId, { eventType: 'fence', payload: { fence: true } });
    await waitFor('the later message at the receiver', () => requestsFor(receiver, later.id).length > 0);
  }

  /** Awaits the held attempt's row (its answer came back and was recorded), then returns all the rows. */
  async function afterTheLateAnswer(world: DeliveryWorld, msgId: string, endpointId: string) {
    return waitFor('the held attempt to be recorded', async () => {
      const rows = await world.attemptsOf(msgId, endpointId);
      return rows.some((a) => a.responseStatusCode === 500) && rows;
    });
  }

  describe('a resend while an attempt is in flight', () => {
    const world = new DeliveryWorld();

    beforeAll(async () => {
      await world.start();
    });

    afterAll(async () => {
      await world.stop();
    });

    it('ends in the resend’s success, keeps both attempts, and the late 500 moves nothing', async () => {
      const receiver = await world.receiver((_, i) =>
        i === 0 ? { status: 500, delayMs: 1_000 } : { status: 200 },
      );
      const { svix, app } = await world.tenantWithApp('resend-in-flight');
      const endpoint = await svix.endpoint.create(app.id, { url: receiver.url });
      const msg = await svix.message.create(app.id, { eventType: 'invoice.paid', payload: { n: 1 } });
      const [held] = await receiver.waitForRequests(1);

      await svix.messageAttempt.resend(app.id, msg.id, endpoint.id);
      const [, resent] = await receiver.waitForRequests(2);
      expect(resent!.headers['webhook-id']).toBe(msg.id);
      // The race happened: the resent request went out while the first one was still held.
      expect(held!.respondedAt ?? Infinity).toBeGreaterThan(resent!.at);
      await waitFor(
        'the resend’s success',
        async () => (await world.deliveryOf(msg.id, endpoint.id)).status === 'success',
      );

      const attempts = await afterTheLateAnswer(world, msg.id, endpoint.id);
      const delivery = await world.deliveryOf(msg.id, endpoint.id);
      expect(delivery.status).toBe('success');
      expect(attempts.map((a) => [a.status, a.responseStatusCode, a.trigger]).sort()).toEqual([
        ['fail', 500, 'scheduled'],
        ['success', 200, 'manual'],
      ]);
      // History never rewinds: every attempt made is counted, the overtaken one too.
      expect(delivery.attemptCount).toBe(attempts.length);

      await afterALaterMessage(svix, app.id, receiver);
      expect(requestsFor(receiver, msg.id)).toHaveLength(2);
      expect((await world.deliveryOf(msg.id, endpoint.id)).status).toBe('success');
    });
  });

  describe('a worker whose lease ran out', () => {
    // The reconciler (every 200 ms here) hands a delivery out again once its 300 ms lease has expired.
    const world = new DeliveryWorld(testConfig({ DELIVERY_LEASE: '300ms', DELIVERY_TIMEOUT_MS: '2000' }));

    beforeAll(async () => {
      await world.start();
    });

    afterAll(async () => {
      await world.stop();
    });

    it('cannot move a delivery that was re-claimed and delivered meanwhile', async () => {
      const receiver = await world.receiver((_, i) =>
        i === 0 ? { status: 500, delayMs: 1_000 } : { status: 200 },
      );
      const { svix, app } = await world.tenantWithApp('stale-worker');
      const endpoint = await svix.endpoint.create(app.id, { url: receiver.url });
      const msg = await svix.message.create(app.id, { eventType: 'invoice.paid', payload: { n: 1 } });

      const [held, reclaimed] = await receiver.waitForRequests(2);
      expect(reclaimed!.headers['webhook-id']).toBe(msg.id);
      // Re-claimed while the first request was still held, not retried after its answer.
      expect(held!.respondedAt ?? Infinity).toBeGreaterThan(reclaimed!.at);
      await waitFor(
        'the re-claimed attempt’s success',
        async () => (await world.deliveryOf(msg.id, endpoint.id)).status === 'success',
      );

      const attempts = await afterTheLateAnswer(world, msg.id, endpoint.id);
      const delivery = await world.deliveryOf(msg.id, endpoint.id);
      expect(delivery.status).toBe('success');
      expect(attempts.map((a) => [a.status, a.responseStatusCode]).sort()).toEqual([
        ['fail', 500],
        ['success', 200],
      ]);
      expect(delivery.attemptCount).toBe(attempts.length);

      await afterALaterMessage(svix, app.id, receiver);
      expect(requestsFor(receiver, msg.id)).toHaveLength(2);
      expect((await world.deliveryOf(msg.id, endpoint.id)).status).toBe('success');
    });

    it('cannot move it either while the re-claimed attempt is still out', async () => {
      // The first request is answered 500 as soon as the re-claimed one arrives, and the re-claimed one only
      // once that late 500 is recorded: the late answer lands while the delivery is another claim's.
      const receiver = await world.receiver();
      let releaseReclaimed!: () => void;
      const reclaimedReleased = new Promise<void>((resolve) => (releaseReclaimed = resolve));
      receiver.respondWith((_, i) =>
        i === 0
          ? { status: 500, until: receiver.waitForRequests(2) }
          : i === 1
            ? { status: 200, until: reclaimedReleased }
            : { status: 200 },
      );
      const { svix, app } = await world.tenantWithApp('stale-worker-in-flight');
      const endpoint = await svix.endpoint.create(app.id, { url: receiver.url });
      const msg = await svix.message.create(app.id, { eventType: 'invoice.paid', payload: { n: 1 } });

      const [, reclaimed] = await receiver.waitForRequests(2);
      expect(reclaimed!.headers['webhook-id']).toBe(msg.id);
      try {
        await afterTheLateAnswer(world, msg.id, endpoint.id);
        // Recorded, yet the delivery is still the re-claimed attempt's: not rescheduled, not finished.
        expect((await world.deliveryOf(msg.id, endpoint.id)).status).toBe('sending');
      } finally {
        releaseReclaimed();
      }
      await waitFor(
        'the re-claimed attempt’s success',
        async () => (await world.deliveryOf(msg.id, endpoint.id)).status === 'success',
      );
      const attempts = await world.attemptsOf(msg.id, endpoint.id);
      expect(attempts.map((a) => [a.status, a.responseStatusCode]).sort()).toEqual([
        ['fail', 500],
        ['success', 200],
      ]);
      expect((await world.deliveryOf(msg.id, endpoint.id)).attemptCount).toBe(2);

      await afterALaterMessage(svix, app.id, receiver);
      expect(requestsFor(receiver, msg.id)).toHaveLength(2);
    });
  });
});
