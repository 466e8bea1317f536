import type { Svix } from 'svix';
import { PrismaService } from '@app/db';
import { deliveryJobId, JobProducer } from '@app/queue';
import { ReceivedWebhook, testConfig, TestReceiver, waitFor } from '@app/testing';
import { DeliveryWorld } from '../support/delivery-world';

/**
 * The delivery engine end to end: the svix SDK against the real API, the real worker on BullMQ/Redis,
 * PostgreSQL, and real HTTP receivers that verify every request with the standardwebhooks library.
 * Retry schedule here: 100ms, 300ms, 600ms (4 attempts).
 */
describe('delivery engine (e2e)', () => {
  // Steps far apart, so "the gaps grow" holds however busy the machine is.
  const world = new DeliveryWorld(testConfig({ DELIVERY_RETRY_SCHEDULE: '100ms,300ms,600ms' }));
  let prisma: PrismaService;

  beforeAll(async () => {
    await world.start();
    prisma = world.worker.get(PrismaService);
  });

  afterAll(async () => {
    await world.stop();
  });

  const attemptsOf = (msgId: string, endpointId: string) => world.attemptsOf(msgId, endpointId);
  const deliveryOf = (msgId: string, endpointId: string) => world.deliveryOf(msgId, endpointId);

  it('delivers a signed POST that the reference verifier accepts, with svix-* twins', async () => {
    const receiver = await world.receiver();
    const { svix, app } = await world.tenantWithApp('happy');
    const endpoint = await svix.endpoint.create(app.id, {
      url: receiver.url,
      headers: { 'X-Team': 'billing', Authorization: 'Bearer for-the-receiver' },
    });
    const { key: secret } = await svix.endpoint.getSecret(app.id, endpoint.id);

    const msg = await svix.message.create(app.id, { eventType: 'invoice.paid', payload: { amount: 42 } });
    const [request] = await receiver.waitForRequests(1);

    expect(TestReceiver.verify(request!, secret)).toEqual({ amount: 42 });
    expect(request!.headers['webhook-id']).toBe(msg.id);
    expect(request!.headers['svix-id']).toBe(msg.id);
    expect(request!.headers['svix-timestamp']).toBe(request!.headers['webhook-timestamp']);
    expect(request!.headers['svix-signature']).toBe(request!.headers['webhook-signature']);
    expect(request!.headers['content-type']).toBe('application/json');
    expect(request!.headers['user-agent']).toMatch(/^Hookrelay\/\d+\.\d+\.\d+$/);
    // Custom headers go out too, sensitive ones included (the API only hides them from reads).
    expect(request!.headers['x-team']).toBe('billing');
    expect(request!.headers.authorization).toBe('Bearer for-the-receiver');

    await waitFor(
      'the delivery to be marked success',
      async () => (await deliveryOf(msg.id, endpoint.id)).status === 'success',
    );
    const attempts = await attemptsOf(msg.id, endpoint.id);
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({ status: 'success', responseStatusCode: 204, trigger: 'scheduled' });
  });

  it('fans out to every endpoint that wants the message, by event type and channel', async () => {
    const [all, invoices, euChannel] = await Promise.all([
      world.receiver(),
      world.receiver(),
      world.receiver(),
    ]);
    const { svix, app } = await world.tenantWithApp('fan-out');
    // As in Svix, an endpoint may only filter on event types that exist.
    await svix.eventType.create({ name: 'invoice.paid', description: 'An invoice was paid' });
    await svix.endpoint.create(app.id, { url: all.url });
    await svix.endpoint.create(app.id, { url: invoices.url, filterTypes: ['invoice.paid'] });
    await svix.endpoint.create(app.id, { url: euChannel.url, channels: ['eu'] });

    await svix.message.create(app.id, { eventType: 'invoice.paid', payload: { n: 1 } });
    await svix.message.create(app.id, { eventType: 'user.created', payload: { n: 2 }, channels: ['eu'] });
    await svix.message.create(app.id, { eventType: 'user.deleted', payload: { n: 3 }, channels: ['us'] });
    const last = await svix.message.create(app.id, {
      eventType: 'invoice.paid',
      payload: { n: 4 },
      channels: ['eu'],
    });

    await all.waitForRequests(4);
    await waitFor(
      'every delivery to settle',
      async () =>
        (await prisma.delivery.count({ where: { applicationId: app.id, status: { not: 'success' } } })) ===
          0 && (await prisma.delivery.count({ where: { messageId: last.id } })) === 3,
    );
    const payloads = (r: TestReceiver) => r.received.map((x) => JSON.parse(x.body).n).sort();
    expect(payloads(all)).toEqual([1, 2, 3, 4]);
    expect(payloads(invoices)).toEqual([1, 4]);
    expect(payloads(euChannel)).toEqual([2, 4]);
  });

  it('sends the payload byte for byte as the tenant wrote it: key order, escapes, unicode', async () => {
    const receiver = await world.receiver();
    const { tenant, svix, app } = await world.tenantWithApp('bytes');
    const endpoint = await svix.endpoint.create(app.id, { url: receiver.url });
    const { key: secret } = await svix.endpoint.getSecret(app.id, endpoint.id);
    const payload = '{"z":1,"10":"ten","a":{"é":"\\u00e9 — 😀","n":1.50,"e":1e3},"list":[3,2,1]}';

    const res = await tenant.client.post(
      `/api/v1/app/${app.id}/msg`,
      `{"eventType":"bytes.test","payload":${payload}}`,
    );
    expect(res.status).toBe(202);
    const [request] = await receiver.waitForRequests(1);
    expect(request!.body).toBe(payload);
    expect(() => TestReceiver.verify(request!, secret)).not.toThrow();
  });

  it('retries with growing gaps: fail, fail, then success', async () => {
    const receiver = await world.receiver((_, i) =>
      i < 2 ? { status: 500, body: 'boom' } : { status: 200 },
    );
    const { svix, app } = await world.tenantWithApp('flaky');
    const endpoint = await svix.endpoint.create(app.id, { url: receiver.url });
    const msg = await svix.message.create(app.id, { eventType: 'flaky', payload: {} });

    const requests = await receiver.waitForRequests(3);
    await waitFor('success', async () => (await deliveryOf(msg.id, endpoint.id)).status === 'success');
    const attempts = await attemptsOf(msg.id, endpoint.id);
    expect(attempts.map((a) => [a.status, a.responseStatusCode])).toEqual([
      ['fail', 500],
      ['fail', 500],
      ['success', 200],
    ]);
    expect(attempts[0]!.response).toBe('boom');
    const gaps = [requests[1]!.at - requests[0]!.at, requests[2]!.at - requests[1]!.at];
    // Schedule 100 ms then 300 ms, each ±20 %: the second wait is always the longer one.
    expect(gaps[1]!).toBeGreaterThan(gaps[0]!);
    expect(new Set(requests.map((r) => r.headers['webhook-id'])).size).toBe(1);
  });

  it('dead-letters after the last attempt: the delivery ends as fail', async () => {
    const receiver = await world.receiver(() => ({ status: 503 }));
    const { svix, app } = await world.tenantWithApp('dead');
    const endpoint = await svix.endpoint.create(app.id, { url: receiver.url });
    const msg = await svix.message.create(app.id, { eventType: 'dead', payload: {} });

    await waitFor(
      'the delivery to fail for good',
      async () => (await deliveryOf(msg.id, endpoint.id)).status === 'fail',
    );
    const delivery = await deliveryOf(msg.id, endpoint.id);
    expect(delivery).toMatchObject({ attemptCount: 4, nextAttemptAt: null });
    expect(receiver.received).toHaveLength(4);
    expect((await attemptsOf(msg.id, endpoint.id)).every((a) => a.status === 'fail')).toBe(true);
  });

  it('410 Gone disables the endpoint at once and stops retrying', async () => {
    const receiver = await world.receiver(() => ({ status: 410 }));
    const { svix, app } = await world.tenantWithApp('gone');
    const endpoint = await svix.endpoint.create(app.id, { url: receiver.url });
    const msg = await svix.message.create(app.id, { eventType: 'gone', payload: {} });

    await waitFor('fail', async () => (await deliveryOf(msg.id, endpoint.id)).status === 'fail');
    expect(receiver.received).toHaveLength(1);
    expect((await svix.endpoint.get(app.id, endpoint.id)).disabled).toBe(true);
  });

  it('does not follow redirects: a 3xx is a failed attempt', async () => {
    const target = await world.receiver();
    const receiver = await world.receiver(() => ({ status: 302, headers: { location: target.url } }));
    const { svix, app } = await world.tenantWithApp('redirect');
    const endpoint = await svix.endpoint.create(app.id, { url: receiver.url });
    const msg = await svix.message.create(app.id, { eventType: 'redirect', payload: {} });

    await waitFor('fail', async () => (await deliveryOf(msg.id, endpoint.id)).status === 'fail');
    expect(target.received).toHaveLength(0);
    const attempts = await attemptsOf(msg.id, endpoint.id);
    expect(attempts.map((a) => a.responseStatusCode)).toEqual([302, 302, 302, 302]);
  });

  it('gives up on a receiver that does not answer within the deadline', async () => {
    const receiver = await world.receiver((_, i) =>
      i === 0 ? { status: 200, delayMs: 5_000 } : { status: 200 },
    );
    const { svix, app } = await world.tenantWithApp('slow');
    const endpoint = await svix.endpoint.create(app.id, { url: receiver.url });
    const msg = await svix.message.create(app.id, { eventType: 'slow', payload: {} });

    await waitFor(
      'success after a timeout',
      async () => (await deliveryOf(msg.id, endpoint.id)).status === 'success',
    );
    const attempts = await attemptsOf(msg.id, endpoint.id);
    expect(attempts[0]).toMatchObject({ status: 'fail', responseStatusCode: 0, errorKind: 'timeout' });
    expect(attempts[0]!.responseDurationMs).toBeGreaterThanOrEqual(world.config.delivery.timeoutMs - 50);
    expect(attempts[1]).toMatchObject({ status: 'success' });
  });

  it('honours Retry-After on 429 up to twice the scheduled step, never sooner than the step', async () => {
    // Retry-After: 1 s is past the clamp [step, 2 × step] = [100, 200] ms of the first retry.
    const receiver = await world.receiver((_, i) =>
      i === 0 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 },
    );
    const { svix, app } = await world.tenantWithApp('throttled');
    const endpoint = await svix.endpoint.create(app.id, { url: receiver.url });
    const msg = await svix.message.create(app.id, { eventType: 'throttled', payload: {} });

    const [first, second] = await receiver.waitForRequests(2);
    await waitFor('success', async () => (await deliveryOf(msg.id, endpoint.id)).status === 'success');
    // Lower bounds the engine imposes, not speeds: the clamp's floor (the step, less a few ms of clock
    // granularity) between the two requests, and its ceiling (2 × step) from the start of the first attempt,
    // where the engine counts the delay from.
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(100 - 5);
    const [throttled] = await attemptsOf(msg.id, endpoint.id);
    expect(throttled).toMatchObject({ responseStatusCode: 429, status: 'fail' });
    expect(second!.at - throttled!.createdAt.getTime()).toBeGreaterThanOrEqual(2 * 100);
  });

  /** Sends a message and awaits its own request at the receiver, whatever else arrives meanwhile. */
  async function sendAndReceive(svix: Svix, appId: string, receiver: TestReceiver, payload: object) {
    const msg = await svix.message.create(appId, { eventType: 'rotated', payload });
    return waitFor(`message ${msg.id} at the receiver`, () =>
      receiver.received.find((r) => r.headers['webhook-id'] === msg.id),
    );
  }
  const signatures = (request: ReceivedWebhook) => String(request.headers['webhook-signature']).split(' ');

  it('signs with the old secret next to the new one for the grace period, then with the new one only', async () => {
    const receiver = await world.receiver();
    const { svix, app } = await world.tenantWithApp('rotation');
    const endpoint = await svix.endpoint.create(app.id, { url: receiver.url });
    const { key: oldSecret } = await svix.endpoint.getSecret(app.id, endpoint.id);
    const rotatedAt = Date.now();
    // 2 s rather than 1: room for the first message to go out inside the grace period on a busy machine.
    await svix.endpoint.rotateSecret(app.id, endpoint.id, { gracePeriodSeconds: 2 });
    const { key: newSecret } = await svix.endpoint.getSecret(app.id, endpoint.id);
    expect(newSecret).not.toBe(oldSecret);

    const during = await sendAndReceive(svix, app.id, receiver, { n: 0 });
    expect(signatures(during)).toHaveLength(2);
    expect(TestReceiver.verify(during, newSecret)).toEqual({ n: 0 });
    expect(TestReceiver.verify(during, oldSecret)).toEqual({ n: 0 });

    // Messages keep going out until one carries a single signature: the grace period is over.
    let sent = 0;
    const after = await waitFor(
      'a message signed with the new secret only',
      async () => {
        const request = await sendAndReceive(svix, app.id, receiver, { n: ++sent });
        return signatures(request).length === 1 && request;
      },
      { timeoutMs: 15_000, intervalMs: 100 },
    );
    expect(TestReceiver.verify(after, newSecret)).toEqual({ n: sent });
    expect(() => TestReceiver.verify(after, oldSecret)).toThrow();
    // The old secret signed for the whole grace period: it was not dropped early.
    expect(after.at).toBeGreaterThanOrEqual(rotatedAt + 2_000);
  });

  it('retires the old secret at once when rotated with gracePeriodSeconds 0', async () => {
    const receiver = await world.receiver();
    const { svix, app } = await world.tenantWithApp('rotation-0');
    const endpoint = await svix.endpoint.create(app.id, { url: receiver.url });
    const { key: oldSecret } = await svix.endpoint.getSecret(app.id, endpoint.id);
    await svix.endpoint.rotateSecret(app.id, endpoint.id, { gracePeriodSeconds: 0 });
    const { key: newSecret } = await svix.endpoint.getSecret(app.id, endpoint.id);

    const request = await sendAndReceive(svix, app.id, receiver, { retired: true });
    expect(signatures(request)).toHaveLength(1);
    expect(TestReceiver.verify(request, newSecret)).toEqual({ retired: true });
    expect(() => TestReceiver.verify(request, oldSecret)).toThrow();
  });

  it('signs with every secret that racing rotations replaced', async () => {
    const receiver = await world.receiver();
    const { svix, app } = await world.tenantWithApp('rotation-race');
    const endpoint = await svix.endpoint.create(app.id, { url: receiver.url });
    const { key: first } = await svix.endpoint.getSecret(app.id, endpoint.id);
    const keys = [1, 2, 3].map((fill) => 'whsec_' + Buffer.alloc(32, fill).toString('base64'));
    await Promise.all(keys.map((key) => svix.endpoint.rotateSecret(app.id, endpoint.id, { key })));

    const request = await sendAndReceive(svix, app.id, receiver, { raced: true });
    expect(signatures(request)).toHaveLength(4);
    for (const secret of [first, ...keys])
      expect(TestReceiver.verify(request, secret)).toEqual({ raced: true });
  });

  it('answers a duplicate eventId with 409 and the existing message id, and sends once', async () => {
    const receiver = await world.receiver();
    const { tenant, svix, app } = await world.tenantWithApp('dedup');
    await svix.endpoint.create(app.id, { url: receiver.url });
    const first = await svix.message.create(app.id, { eventType: 'dedup', eventId: 'evt-1', payload: {} });
    const res = await tenant.client.post(`/api/v1/app/${app.id}/msg`, {
      eventType: 'dedup',
      eventId: 'evt-1',
      payload: { other: true },
    });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: 'conflict', id: first.id });
    const [delivered] = await receiver.waitForRequests(1);
    expect(delivered!.headers['webhook-id']).toBe(first.id);
    // A later message, sent after the duplicate was refused, marks the end: once it has arrived, anything
    // the duplicate could have caused would have been sent too. Deliveries run in parallel, so the
    // requests are told apart by id, not by order.
    const later = await svix.message.create(app.id, { eventType: 'dedup', eventId: 'evt-2', payload: {} });
    await waitFor('the later message at the receiver', () =>
      receiver.received.some((r) => r.headers['webhook-id'] === later.id),
    );
    const ids = receiver.received.map((r) => String(r.headers['webhook-id']));
    expect([...ids].sort()).toEqual([first.id, later.id].sort());
    expect(ids.filter((id) => id === first.id)).toHaveLength(1);
    expect(await prisma.message.count({ where: { applicationId: app.id } })).toBe(2);
  });

  it('loses nothing when Redis loses the job: the sweeper queues the delivery again', async () => {
    const receiver = await world.receiver();
    const { svix, app } = await world.tenantWithApp('sweeper');
    const endpoint = await svix.endpoint.create(app.id, { url: receiver.url });
    // Pause consumption so the job is still queued when we delete it, as if Redis had been flushed.
    const queue = world.api.app.get(JobProducer).queue('delivery');
    await queue.pause();
    try {
      const msg = await svix.message.create(app.id, { eventType: 'swept', payload: { lost: false } });
      const delivery = await deliveryOf(msg.id, endpoint.id);
      const jobId = deliveryJobId(delivery.id, 0);
      await waitFor('the job to be queued', async () => (await queue.getJob(jobId)) !== undefined);
      await queue.remove(jobId);
      expect(await queue.getJob(jobId)).toBeUndefined();
    } finally {
      await queue.resume();
    }
    const [request] = await receiver.waitForRequests(1);
    expect(JSON.parse(request!.body)).toEqual({ lost: false });
  });
});
