import type { Svix } from 'svix';
import { PrismaService } from '@app/db';
import { JobProducer } from '@app/queue';
import { Reply, testConfig, TestReceiver, waitFor } from '@app/testing';
import { DeliveryWorld } from '../support/delivery-world';

interface OperationalEvent {
  type: string;
  data: Record<string, any>;
}

/**
 * Operational webhooks end to end: the tenant's own endpoint, created through the svix SDK's
 * `operationalWebhook.endpoint`, is told about its deliveries' trouble (`message.attempt.failing`,
 * `…exhausted`, `…recovered`, `endpoint.disabled`), signed with its own secret; and a disabled endpoint
 * resumes its parked deliveries once enabled again.
 */
describe('operational webhooks (e2e)', () => {
  /** Failing, exhausted and recovered need more than 4 attempts: 5 quick retries, 6 attempts. */
  const world = new DeliveryWorld(testConfig({ DELIVERY_RETRY_SCHEDULE: '20ms,20ms,20ms,20ms,20ms' }));
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

  const operationalAppOf = (tenantId: string) =>
    prisma.application.findFirstOrThrow({ where: { tenantId, operational: true } });

  /** A tenant with one application and an operational endpoint whose requests must verify with its secret. */
  async function tenantWithOps(
    w: DeliveryWorld,
    name: string,
    options: { filterTypes?: string[]; respond?: () => Reply } = {},
  ) {
    const { tenant, svix, app } = await w.tenantWithApp(name);
    const opReceiver = await w.receiver(options.respond);
    const opEndpoint = await svix.operationalWebhook.endpoint.create({
      url: opReceiver.url,
      filterTypes: options.filterTypes,
    });
    const { key: opSecret } = await svix.operationalWebhook.endpoint.getSecret(opEndpoint.id);
    const events = () =>
      opReceiver.received.map((request) => TestReceiver.verify(request, opSecret) as OperationalEvent);
    const event = (type: string) =>
      waitFor(`operational webhook ${type} for ${name}`, () => events().find((e) => e.type === type));
    return { tenant, svix, app, opReceiver, opEndpoint, opSecret, events, event };
  }

  it('sends message.attempt.failing after the 4th failure and …exhausted after the last, signed', async () => {
    const receiver = await world.receiver(() => ({ status: 500 }));
    const t = await tenantWithOps(world, 'failing');
    const endpoint = await t.svix.endpoint.create(t.app.id, { url: receiver.url });
    const msg = await t.svix.message.create(t.app.id, {
      eventType: 'invoice.paid',
      eventId: 'evt-failing',
      payload: {},
    });

    const exhausted = await t.event('message.attempt.exhausted');
    const failing = await t.event('message.attempt.failing');
    const attempts = await attemptsOf(msg.id, endpoint.id);
    expect(attempts).toHaveLength(6);
    const about = (attempt: (typeof attempts)[number]) => ({
      appId: t.app.id,
      appUid: null,
      msgId: msg.id,
      msgEventId: 'evt-failing',
      endpointId: endpoint.id,
      lastAttempt: {
        id: attempt.id,
        timestamp: attempt.createdAt.toISOString(),
        responseStatusCode: 500,
      },
    });
    expect(failing).toEqual({ type: 'message.attempt.failing', data: about(attempts[3]!) });
    expect(exhausted).toEqual({ type: 'message.attempt.exhausted', data: about(attempts[5]!) });

    // Each is a message of the operational application: its own webhook-id, sent once.
    const opApp = await operationalAppOf(t.tenant.id);
    const opMessages = await prisma.message.findMany({ where: { applicationId: opApp.id } });
    expect(opMessages.map((m) => m.eventType).sort()).toEqual([
      'message.attempt.exhausted',
      'message.attempt.failing',
    ]);
    expect(t.opReceiver.received.map((r) => r.headers['webhook-id']).sort()).toEqual(
      opMessages.map((m) => m.id).sort(),
    );
    // A secret of another endpoint does not verify them.
    const { key: customerSecret } = await t.svix.endpoint.getSecret(t.app.id, endpoint.id);
    expect(() => TestReceiver.verify(t.opReceiver.received[0]!, customerSecret)).toThrow();
  });

  it('410 Gone disables the endpoint and sends endpoint.disabled, honouring filterTypes', async () => {
    const receiver = await world.receiver(() => ({ status: 410 }));
    const t = await tenantWithOps(world, 'gone', { filterTypes: ['endpoint.disabled'] });
    const endpoint = await t.svix.endpoint.create(t.app.id, { url: receiver.url, uid: 'gone-ep' });
    const msg = await t.svix.message.create(t.app.id, { eventType: 'invoice.paid', payload: {} });

    const disabled = await t.event('endpoint.disabled');
    const [attempt] = await attemptsOf(msg.id, endpoint.id);
    expect(disabled).toEqual({
      type: 'endpoint.disabled',
      data: {
        appId: t.app.id,
        appUid: null,
        endpointId: endpoint.id,
        endpointUid: 'gone-ep',
        failSince: attempt!.createdAt.toISOString(),
        trigger: 'automatic',
      },
    });
    expect((await t.svix.endpoint.get(t.app.id, endpoint.id)).disabled).toBe(true);

    // The delivery is final, so message.attempt.exhausted was raised as well, but the filter kept it away.
    const opApp = await operationalAppOf(t.tenant.id);
    const opMessages = await prisma.message.findMany({ where: { applicationId: opApp.id } });
    expect(opMessages.map((m) => m.eventType).sort()).toEqual([
      'endpoint.disabled',
      'message.attempt.exhausted',
    ]);
    expect(await prisma.delivery.count({ where: { applicationId: opApp.id } })).toBe(1);
    expect(t.opReceiver.received).toHaveLength(1);
  });

  it('announces a disable even when a resend moved the delivery on while the 410 was in flight', async () => {
    // The first request is held long enough for the resend to be accepted before its 410 disables the
    // endpoint (a resend to a disabled endpoint is refused); the resent one succeeds at once.
    const receiver = await world.receiver((_, i) =>
      i === 0 ? { status: 410, delayMs: 1_000 } : { status: 200 },
    );
    const t = await tenantWithOps(world, 'moved-on', { filterTypes: ['endpoint.disabled'] });
    const endpoint = await t.svix.endpoint.create(t.app.id, { url: receiver.url });
    const msg = await t.svix.message.create(t.app.id, { eventType: 'invoice.paid', payload: {} });
    const [held] = await receiver.waitForRequests(1);

    const resend = await t.tenant.client.post(
      `/api/v1/app/${t.app.id}/msg/${msg.id}/endpoint/${endpoint.id}/resend`,
    );
    expect(resend.status).toBe(202);
    const [, resent] = await receiver.waitForRequests(2);
    expect(resent!.headers['webhook-id']).toBe(msg.id);
    // The race happened: the resend went out while the 410 was still held.
    expect(held!.respondedAt ?? Infinity).toBeGreaterThan(resent!.at);

    expect((await t.event('endpoint.disabled')).data.endpointId).toBe(endpoint.id);
    expect((await t.svix.endpoint.get(t.app.id, endpoint.id)).disabled).toBe(true);
    const attempts = await waitFor('both attempts to be recorded', async () => {
      const rows = await attemptsOf(msg.id, endpoint.id);
      return rows.length === 2 && rows;
    });
    // The held attempt's row exists: it was recorded, though after the resend's.
    expect(attempts.map((a) => [a.responseStatusCode, a.trigger]).sort()).toEqual([
      [200, 'manual'],
      [410, 'scheduled'],
    ]);
    // The late 410 did not move the delivery the resend had taken over.
    expect((await deliveryOf(msg.id, endpoint.id)).status).toBe('success');
    // Announced once: one operational message, one request.
    const opApp = await operationalAppOf(t.tenant.id);
    expect(
      await prisma.message.count({ where: { applicationId: opApp.id, eventType: 'endpoint.disabled' } }),
    ).toBe(1);
    expect(t.events().filter((e) => e.type === 'endpoint.disabled')).toHaveLength(1);
  });

  it('signs with the secrets its rotations left and sends its hidden headers', async () => {
    const receiver = await world.receiver(() => ({ status: 410 }));
    const t = await tenantWithOps(world, 'op-rotation', { filterTypes: ['endpoint.disabled'] });
    const ops = t.svix.operationalWebhook.endpoint;
    // Grace 0, sent as svix 2.x sends it: the first secret stops signing at once.
    const rotate = `/api/v1/operational-webhook/endpoint/${t.opEndpoint.id}/secret/rotate`;
    expect((await t.tenant.client.post(rotate, { gracePeriodSeconds: 0 })).status).toBe(204);
    const second = (await ops.getSecret(t.opEndpoint.id)).key;
    // The default grace: the second keeps signing next to the custom one.
    const custom = 'whsec_' + Buffer.alloc(32, 9).toString('base64');
    await ops.rotateSecret(t.opEndpoint.id, { key: custom });
    await ops.updateHeaders(t.opEndpoint.id, { headers: { 'X-Team': 'sre', Authorization: 'Bearer t' } });

    const endpoint = await t.svix.endpoint.create(t.app.id, { url: receiver.url });
    await t.svix.message.create(t.app.id, { eventType: 'invoice.paid', payload: {} });
    const [request] = await t.opReceiver.waitForRequests(1);
    expect(String(request!.headers['webhook-signature']).split(' ')).toHaveLength(2);
    const expected = {
      type: 'endpoint.disabled',
      data: expect.objectContaining({ endpointId: endpoint.id }),
    };
    expect(TestReceiver.verify(request!, custom)).toEqual(expected);
    expect(TestReceiver.verify(request!, second)).toEqual(expected);
    expect(() => TestReceiver.verify(request!, t.opSecret)).toThrow();
    // Hidden from GET (see the API's tests), but sent.
    expect(request!.headers['x-team']).toBe('sre');
    expect(request!.headers.authorization).toBe('Bearer t');
  });

  it('sends message.attempt.recovered when a message succeeds after failing 4 times', async () => {
    const receiver = await world.receiver((_, i) => (i < 4 ? { status: 503 } : { status: 200 }));
    const t = await tenantWithOps(world, 'recovered');
    const endpoint = await t.svix.endpoint.create(t.app.id, { url: receiver.url });
    const msg = await t.svix.message.create(t.app.id, { eventType: 'invoice.paid', payload: {} });

    const recovered = await t.event('message.attempt.recovered');
    await t.event('message.attempt.failing');
    expect((await deliveryOf(msg.id, endpoint.id)).status).toBe('success');
    const attempts = await attemptsOf(msg.id, endpoint.id);
    expect(attempts.map((a) => a.responseStatusCode)).toEqual([503, 503, 503, 503, 200]);
    expect(recovered.data).toMatchObject({
      appId: t.app.id,
      msgId: msg.id,
      endpointId: endpoint.id,
      lastAttempt: { id: attempts[4]!.id, responseStatusCode: 200 },
    });
    expect(
      t
        .events()
        .map((e) => e.type)
        .sort(),
    ).toEqual(['message.attempt.failing', 'message.attempt.recovered']);
  });

  it('keeps operational endpoints and events to their tenant, out of the application list', async () => {
    const owner = await tenantWithOps(world, 'owner');
    expect((await owner.svix.application.list()).data.map((a) => a.id)).toEqual([owner.app.id]);

    // Another tenant sees none of it, and its own trouble goes to its own operational endpoint only.
    const other = await tenantWithOps(world, 'other');
    const otherOps = other.svix.operationalWebhook.endpoint;
    expect((await otherOps.list()).data.map((e) => e.id)).toEqual([other.opEndpoint.id]);
    expect((await other.svix.application.list()).data.map((a) => a.id)).toEqual([other.app.id]);
    for (const call of [otherOps.get(owner.opEndpoint.id), otherOps.getSecret(owner.opEndpoint.id)]) {
      await expect(call).rejects.toMatchObject({ code: 404 });
    }
    const stranger = await world.tenantWithApp('stranger');
    expect((await stranger.svix.operationalWebhook.endpoint.list()).data).toEqual([]);

    const receiver = await world.receiver(() => ({ status: 410 }));
    const endpoint = await other.svix.endpoint.create(other.app.id, { url: receiver.url });
    await other.svix.message.create(other.app.id, { eventType: 'invoice.paid', payload: {} });
    expect((await other.event('endpoint.disabled')).data.endpointId).toBe(endpoint.id);
    await other.event('message.attempt.exhausted');
    expect(owner.opReceiver.received).toHaveLength(0);
    expect(await prisma.message.count({ where: { application: { tenantId: owner.tenant.id } } })).toBe(0);
  });

  it('never raises operational webhooks about failed operational webhooks', async () => {
    const receiver = await world.receiver(() => ({ status: 500 }));
    const t = await tenantWithOps(world, 'no-loop', { respond: () => ({ status: 500 }) });
    const endpoint = await t.svix.endpoint.create(t.app.id, { url: receiver.url });
    await t.svix.message.create(t.app.id, { eventType: 'invoice.paid', payload: {} });
    const opApp = await operationalAppOf(t.tenant.id);

    await waitFor(
      'both operational deliveries (failing, exhausted) to be exhausted themselves',
      async () => (await prisma.delivery.count({ where: { applicationId: opApp.id, status: 'fail' } })) === 2,
    );
    const queue = world.api.app.get(JobProducer).queue('delivery');
    await waitFor('the delivery queue to drain', async () => {
      const counts = await queue.getJobCounts('active', 'wait', 'delayed', 'prioritized');
      return Object.values(counts).every((n) => n === 0);
    });
    const opMessages = await prisma.message.findMany({ where: { applicationId: opApp.id } });
    expect(opMessages.map((m) => m.eventType).sort()).toEqual([
      'message.attempt.exhausted',
      'message.attempt.failing',
    ]);
    expect(t.opReceiver.received).toHaveLength(12);
    expect((await deliveryOf(opMessages[0]!.id, t.opEndpoint.id)).attemptCount).toBe(6);
    expect((await t.svix.endpoint.get(t.app.id, endpoint.id)).disabled).toBe(false);
  });

  describe('with ENDPOINT_DISABLE_AFTER=300ms', () => {
    const slow = new DeliveryWorld(
      testConfig({
        DELIVERY_RETRY_SCHEDULE: '100ms,100ms,100ms,100ms,100ms',
        ENDPOINT_DISABLE_AFTER: '300ms',
      }),
    );

    beforeAll(async () => {
      await slow.start();
    });

    afterAll(async () => {
      await slow.stop();
    });

    it('disables an endpoint failing for that long, parks its delivery and resumes it when enabled', async () => {
      const receiver = await slow.receiver(() => ({ status: 500 }));
      const t = await tenantWithOps(slow, 'auto-disable', { filterTypes: ['endpoint.disabled'] });
      const endpoint = await t.svix.endpoint.create(t.app.id, { url: receiver.url });
      const msg = await t.svix.message.create(t.app.id, { eventType: 'invoice.paid', payload: {} });

      const disabled = await t.event('endpoint.disabled');
      const attempts = await attemptsOf(msg.id, endpoint.id);
      const first = attempts[0]!.createdAt.getTime();
      expect(disabled.data).toMatchObject({
        appId: t.app.id,
        endpointId: endpoint.id,
        failSince: attempts[0]!.createdAt.toISOString(),
        trigger: 'automatic',
      });
      // Disabled by the first failure at least 300 ms into the streak, not before.
      expect(attempts.at(-1)!.createdAt.getTime() - first).toBeGreaterThanOrEqual(300);
      expect(attempts.at(-2)!.createdAt.getTime() - first).toBeLessThan(300);
      expect((await t.svix.endpoint.get(t.app.id, endpoint.id)).disabled).toBe(true);

      // The attempts left are not sent to the disabled endpoint: the delivery is parked.
      const parked = await waitFor('the delivery to be parked', async () => {
        const d = await deliveryOf(msg.id, endpoint.id);
        return d.status === 'pending' && d.nextAttemptAt === null && d;
      });
      expect(parked.attemptCount).toBe(attempts.length);
      expect(receiver.received).toHaveLength(attempts.length);

      // Enabled again, it resumes where it left off. Its first failure starts a new streak instead of
      // disabling it again at once.
      receiver.respondWith((_, i) => (i === attempts.length ? { status: 500 } : { status: 200 }));
      await t.svix.endpoint.patch(t.app.id, endpoint.id, { disabled: false });
      await waitFor(
        'the resumed attempt',
        async () => (await attemptsOf(msg.id, endpoint.id)).length === attempts.length + 1,
      );
      expect((await t.svix.endpoint.get(t.app.id, endpoint.id)).disabled).toBe(false);
      // Its remaining attempt, if any, goes out as scheduled.
      await waitFor('the resumed delivery to settle', async () =>
        ['success', 'fail'].includes((await deliveryOf(msg.id, endpoint.id)).status),
      );
      const next = await t.svix.message.create(t.app.id, { eventType: 'invoice.paid', payload: { n: 2 } });
      await waitFor(
        'the next message',
        async () => (await deliveryOf(next.id, endpoint.id)).status === 'success',
      );
      expect(t.events().filter((e) => e.type === 'endpoint.disabled')).toHaveLength(1);
    });
  });

  describe('disabled by the tenant', () => {
    const paced = new DeliveryWorld(testConfig({ DELIVERY_RETRY_SCHEDULE: '400ms,400ms,400ms' }));

    beforeAll(async () => {
      await paced.start();
    });

    afterAll(async () => {
      await paced.stop();
    });

    async function parkedDelivery(svix: Svix, appId: string, receiver: TestReceiver) {
      const endpoint = await svix.endpoint.create(appId, { url: receiver.url });
      const msg = await svix.message.create(appId, { eventType: 'invoice.paid', payload: { parked: true } });
      await receiver.waitForRequests(1);
      // The retry is due in 400 ms ±20 %: the endpoint is disabled before it.
      await svix.endpoint.patch(appId, endpoint.id, { disabled: true });
      const parked = await waitFor('the retry to be parked', async () => {
        const d = await deliveryOf(msg.id, endpoint.id);
        return d.status === 'pending' && d.nextAttemptAt === null && d;
      });
      expect(parked.attemptCount).toBe(1);
      expect(receiver.received).toHaveLength(1);
      return { endpoint, msg };
    }

    it('resumes the parked delivery when re-enabled with PATCH; messages sent meanwhile are skipped', async () => {
      const receiver = await paced.receiver(() => ({ status: 500 }));
      const { svix, app } = await paced.tenantWithApp('paused');
      const { endpoint, msg } = await parkedDelivery(svix, app.id, receiver);

      const skipped = await svix.message.create(app.id, {
        eventType: 'invoice.paid',
        payload: { skipped: true },
      });
      expect(await prisma.delivery.count({ where: { messageId: skipped.id } })).toBe(0);

      receiver.respondWith(() => ({ status: 200 }));
      expect((await svix.endpoint.patch(app.id, endpoint.id, { disabled: false })).disabled).toBe(false);
      const [, resumed] = await receiver.waitForRequests(2);
      expect(resumed!.headers['webhook-id']).toBe(msg.id);
      expect(JSON.parse(resumed!.body)).toEqual({ parked: true });
      await waitFor('success', async () => (await deliveryOf(msg.id, endpoint.id)).status === 'success');
      const attempts = await attemptsOf(msg.id, endpoint.id);
      expect(attempts.map((a) => [a.status, a.responseStatusCode])).toEqual([
        ['fail', 500],
        ['success', 200],
      ]);
    });

    it('resumes it when re-enabled with PUT too', async () => {
      const receiver = await paced.receiver(() => ({ status: 500 }));
      const { svix, app } = await paced.tenantWithApp('paused-put');
      const { endpoint, msg } = await parkedDelivery(svix, app.id, receiver);

      receiver.respondWith(() => ({ status: 200 }));
      await svix.endpoint.update(app.id, endpoint.id, { url: receiver.url, disabled: false });
      await waitFor('success', async () => (await deliveryOf(msg.id, endpoint.id)).status === 'success');
      expect(receiver.received).toHaveLength(2);
    });
  });
});
