import { EndpointRepository, PrismaService } from '@app/db';
import { testConfig, waitFor } from '@app/testing';
import { DeliveryWorld } from '../support/delivery-world';

/**
 * Fairness and throttling end to end: the real API and worker, flow control in the test's Redis, and
 * receivers that record when each request arrived and how many were open at once. Small caps (2 attempts per
 * endpoint, 4 worker slots) make a noisy neighbour cheap to build; the timeout is long enough that a held
 * request never times out while the test holds it.
 */
describe('flow control (e2e)', () => {
  const world = new DeliveryWorld(
    testConfig({ ENDPOINT_MAX_IN_FLIGHT: '2', WORKER_CONCURRENCY: '4', DELIVERY_TIMEOUT_MS: '20000' }),
  );
  let prisma: PrismaService;

  beforeAll(async () => {
    await world.start();
    prisma = world.worker.get(PrismaService);
  });

  afterAll(async () => {
    await world.stop();
  });

  const settled = (applicationId: string, count: number) =>
    waitFor(
      `${count} successful deliveries of application ${applicationId}`,
      async () =>
        (await prisma.delivery.count({ where: { applicationId, status: 'success' } })) === count || undefined,
      { timeoutMs: 30_000 },
    );

  it('delivers another tenant`s message while a hanging endpoint holds its cap, and loses nothing of either', async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    let released = false;
    const hanging = await world.receiver(() => (released ? { status: 204 } : { status: 204, until: gate }));
    const healthy = await world.receiver();
    const a = await world.tenantWithApp('noisy');
    const b = await world.tenantWithApp('quiet');
    await a.svix.endpoint.create(a.app.id, { url: hanging.url });
    await b.svix.endpoint.create(b.app.id, { url: healthy.url });

    for (let i = 0; i < 10; i++)
      await a.svix.message.create(a.app.id, { eventType: 'noise', payload: { i } });
    await hanging.waitForRequests(2);
    // Ten of A's jobs came before B's into one FIFO queue with 4 worker slots: without the cap, A's held
    // requests would take all four and B would wait for A's receiver.
    const msg = await b.svix.message.create(b.app.id, { eventType: 'signal', payload: { ok: true } });
    const [arrived] = await healthy.waitForRequests(1);
    expect(arrived!.headers['webhook-id']).toBe(msg.id);
    expect(hanging.received).toHaveLength(2);
    expect(hanging.inFlight).toBe(2);

    released = true;
    open();
    await settled(a.app.id, 10);
    expect(hanging.maxInFlight).toBe(2);
    const ids = hanging.received.map((r) => r.headers['webhook-id']);
    expect(ids).toHaveLength(10);
    expect(new Set(ids).size).toBe(10);
    // Deferrals are not attempts: each delivery has exactly its one successful attempt.
    expect(await prisma.deliveryAttempt.count({ where: { delivery: { applicationId: a.app.id } } })).toBe(10);
  });

  it('spaces a throttled endpoint`s deliveries 1/rate apart while an unthrottled one takes its burst at once', async () => {
    const throttled = await world.receiver();
    const free = await world.receiver();
    const { svix, app } = await world.tenantWithApp('throttled');
    const other = await svix.application.create({ name: 'unthrottled app' });
    // 1/s, so the throttled line lasts 3 s: the other endpoint's burst fits in it even on a loaded machine.
    await svix.endpoint.create(app.id, { url: throttled.url, throttleRate: 1 });
    await svix.endpoint.create(other.id, { url: free.url });

    const n = 4;
    for (let i = 0; i < n; i++) await svix.message.create(app.id, { eventType: 'slow', payload: { i } });
    for (let i = 0; i < 10; i++) await svix.message.create(other.id, { eventType: 'fast', payload: { i } });

    await free.waitForRequests(10);
    // The burst of the unthrottled endpoint arrived while the throttled one was still draining.
    expect(throttled.received.length).toBeLessThan(n);

    const arrivals = (await throttled.waitForRequests(n, 20_000)).map((r) => r.at);
    await settled(app.id, n);
    expect(throttled.received).toHaveLength(n);
    // Admissions are at least 1,000 ms less the 10 ms tolerance apart; what happens between admission and
    // arrival (claim, signing, the POST) may vary by a few tens of ms from one attempt to the next.
    const gaps = arrivals.slice(1).map((at, i) => at - arrivals[i]!);
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(1000 - 10 - 60);
    expect(arrivals[n - 1]! - arrivals[0]!).toBeGreaterThanOrEqual((n - 1) * 1000 - 10 - 60);
  });

  it('shows a delivery deferred by a cap as pending, with no attempt row, until it goes out', async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const hanging = await world.receiver(() => ({ status: 204, until: gate }));
    const { svix, app } = await world.tenantWithApp('waiting');
    const endpoint = await svix.endpoint.create(app.id, { url: hanging.url });
    const msgs = [];
    for (let i = 0; i < 4; i++)
      msgs.push(await svix.message.create(app.id, { eventType: 'wait', payload: { i } }));
    await hanging.waitForRequests(2);
    // A deferred delivery is still pending, with no attempt row: deferral is not a failed attempt.
    const waiting = await prisma.delivery.findMany({ where: { applicationId: app.id, status: 'pending' } });
    expect(waiting.length).toBeGreaterThanOrEqual(2);
    for (const d of waiting) {
      expect(
        await prisma.deliveryAttempt.count({ where: { messageId: d.messageId, endpointId: endpoint.id } }),
      ).toBe(0);
    }
    open();
    await settled(app.id, 4);
    expect(await prisma.deliveryAttempt.count({ where: { delivery: { applicationId: app.id } } })).toBe(4);
  });

  it('reads throttle rates from a cache that an endpoint or application update evicts in the worker', async () => {
    const rates = world.worker.get(EndpointRepository);
    const { tenant, svix, app } = await world.tenantWithApp('rates');
    const endpoint = await svix.endpoint.create(app.id, { url: 'https://example.com/hook', throttleRate: 3 });
    expect(await rates.findThrottleRates(tenant.id, app.id, endpoint.id)).toEqual({
      endpoint: 3,
      application: null,
    });

    await svix.endpoint.patch(app.id, endpoint.id, { throttleRate: 7 });
    await svix.application.patch(app.id, { throttleRate: 11 });
    // The cached entry lives 30 s; the API's writes evict it in the worker through PostgreSQL NOTIFY.
    await waitFor('the worker to read the new rates', async () => {
      const now = await rates.findThrottleRates(tenant.id, app.id, endpoint.id);
      return now.endpoint === 7 && now.application === 11;
    });
  });
});
