import { randomBytes } from 'node:crypto';
import { EndpointRepository, PrismaService } from '@app/db';
import { testConfig, TestReceiver, waitFor, type HttpClient, type Reply } from '@app/testing';
import { DeliveryWorld } from '../support/delivery-world';

/** How the endpoint's owner answers the challenge; other webhooks get a 204. */
type Owner = 'right' | 'wrong' | 'never';

function owner(mode: () => Owner) {
  return (request: { body: string }): Reply => {
    const body = JSON.parse(request.body) as { type?: string; challenge?: string };
    if (body.type !== 'endpoint.verification') return { status: 204 };
    switch (mode()) {
      case 'right':
        return {
          status: 200,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ challenge: body.challenge }),
        };
      case 'wrong':
        return { status: 200, body: JSON.stringify({ challenge: 'not-the-challenge' }) };
      case 'never':
        return { status: 200, until: new Promise(() => undefined) };
    }
  };
}

const isChallenge = (r: { body: string }) => r.body.includes('"type":"endpoint.verification"');

describe('endpoint ownership verification (e2e)', () => {
  const world = new DeliveryWorld(
    testConfig({
      // Long enough for an answer on a busy machine, shorter than a request that is never answered.
      ENDPOINT_VERIFICATION_TTL: '5s',
      DELIVERY_TIMEOUT_MS: '6000',
    }),
  );
  const prisma = () => world.worker.get(PrismaService);

  beforeAll(async () => {
    await world.start();
  });

  afterAll(async () => {
    await world.stop();
  });

  async function createEndpoint(client: HttpClient, appId: string, body: Record<string, unknown>) {
    const res = await client.post(`/api/v1/app/${appId}/endpoint`, body);
    expect(res.status).toBe(201);
    return res.body as { id: string; verification?: string };
  }

  async function verificationOf(client: HttpClient, appId: string, endpointId: string) {
    const res = await client.get(`/api/v1/app/${appId}/endpoint/${endpointId}`);
    return (res.body as { verification?: string }).verification;
  }

  it('holds the messages until the owner echoes the signed challenge, then delivers them', async () => {
    const receiver = await world.receiver(owner(() => 'right'));
    const { tenant, svix, app } = await world.tenantWithApp('verify-right');
    const endpoint = await createEndpoint(tenant.client, app.id, { url: receiver.url, verify: true });
    expect(endpoint.verification).toBe('pending');
    const msg = await svix.message.create(app.id, { eventType: 'invoice.paid', payload: { n: 1 } });

    await waitFor(
      'verified',
      async () => (await verificationOf(tenant.client, app.id, endpoint.id)) === 'verified',
    );
    const [challenge, event] = await receiver.waitForRequests(2);
    // The challenge came first, signed with the endpoint's secret like any webhook, with the documented body.
    expect(isChallenge(challenge!)).toBe(true);
    const { key } = await svix.endpoint.getSecret(app.id, endpoint.id);
    expect(TestReceiver.verify(challenge!, key)).toEqual({
      type: 'endpoint.verification',
      challenge: expect.stringMatching(/^[A-Za-z0-9_-]{32}$/),
    });
    expect(event!.headers['webhook-id']).toBe(msg.id);

    // An endpoint that does not need verification shows no such field.
    const plain = await createEndpoint(tenant.client, app.id, { url: receiver.url });
    expect(plain).not.toHaveProperty('verification');
  });

  it('fails on a wrong answer, shows it in the attempts, and passes after a re-sent challenge', async () => {
    let mode: Owner = 'wrong';
    const receiver = await world.receiver(owner(() => mode));
    const { tenant, svix, app } = await world.tenantWithApp('verify-wrong');
    const endpoint = await createEndpoint(tenant.client, app.id, { url: receiver.url, verify: true });
    const msg = await svix.message.create(app.id, { eventType: 'invoice.paid', payload: { n: 2 } });

    await waitFor(
      'failed',
      async () => (await verificationOf(tenant.client, app.id, endpoint.id)) === 'failed',
    );
    // Every try of the schedule was a failed attempt in the endpoint's log, with the receiver's 200.
    const attempts = await svix.messageAttempt.listByEndpoint(app.id, endpoint.id);
    expect(attempts.data.length).toBe(4);
    for (const a of attempts.data) expect([a.status, a.responseStatusCode]).toEqual([2, 200]);
    const rows = await prisma().deliveryAttempt.findMany({ where: { endpointId: endpoint.id } });
    expect(new Set(rows.map((r) => r.errorKind))).toEqual(new Set(['verification_failed']));
    // The message waits, parked: never sent.
    expect(receiver.received.filter((r) => !isChallenge(r))).toHaveLength(0);
    const parked = await world.deliveryOf(msg.id, endpoint.id);
    expect([parked.status, parked.nextAttemptAt]).toEqual(['pending', null]);

    mode = 'right';
    const resent = await tenant.client.post(
      `/api/v1/app/${app.id}/endpoint/${endpoint.id}/verification/resend`,
      {},
    );
    expect(resent.status).toBe(202);
    expect(resent.body.verification).toBe('pending');
    await waitFor(
      'verified',
      async () => (await verificationOf(tenant.client, app.id, endpoint.id)) === 'verified',
    );
    await waitFor('the held message', () =>
      receiver.received.some((r) => r.headers['webhook-id'] === msg.id),
    );

    const again = await tenant.client.post(
      `/api/v1/app/${app.id}/endpoint/${endpoint.id}/verification/resend`,
      {},
    );
    expect([again.status, again.body.code]).toEqual([409, 'endpoint_verified']);
  });

  it('expires when the owner never answers, and the messages keep waiting', async () => {
    const receiver = await world.receiver(owner(() => 'never'));
    const { tenant, svix, app } = await world.tenantWithApp('verify-never');
    const endpoint = await createEndpoint(tenant.client, app.id, { url: receiver.url, verify: true });
    const msg = await svix.message.create(app.id, { eventType: 'invoice.paid', payload: { n: 3 } });
    await receiver.waitForRequests(1);

    const expired = await waitFor(
      'the unanswered challenge to be recorded',
      async () => {
        const rows = await prisma().deliveryAttempt.findMany({ where: { endpointId: endpoint.id } });
        return rows.length > 0 && rows;
      },
      { timeoutMs: 20_000 },
    );
    expect(expired.map((r) => r.errorKind)).toEqual(['verification_expired']);
    expect(await verificationOf(tenant.client, app.id, endpoint.id)).toBe('expired');
    expect(receiver.received).toHaveLength(1);
    const parked = await world.deliveryOf(msg.id, endpoint.id);
    expect([parked.status, parked.nextAttemptAt]).toEqual(['pending', null]);
  }, 30_000);

  it('applies to every new endpoint when the tenant requires it, and refuses bad input', async () => {
    const receiver = await world.receiver(owner(() => 'right'));
    const { tenant, svix, app } = await world.tenantWithApp('verify-tenant');
    const plain = await createEndpoint(tenant.client, app.id, { url: receiver.url });
    const refused = await tenant.client.post(
      `/api/v1/app/${app.id}/endpoint/${plain.id}/verification/resend`,
      {},
    );
    expect([refused.status, refused.body.code]).toEqual([409, 'verification_not_required']);
    const bad = await tenant.client.post(`/api/v1/app/${app.id}/endpoint`, {
      url: receiver.url,
      verify: 'yes',
    });
    expect(bad.status).toBe(422);
    expect(bad.body.detail.map((d: { loc: unknown }) => d.loc)).toContainEqual(['body', 'verify']);

    const settings = await world.api.admin.patch(`/admin/v1/tenants/${tenant.id}/settings`, {
      requireEndpointVerification: true,
    });
    expect([settings.status, settings.body.requireEndpointVerification]).toEqual([200, true]);
    // Through the svix SDK, which knows nothing of verification.
    const viaSdk = await svix.endpoint.create(app.id, { url: receiver.url });
    expect(await verificationOf(tenant.client, app.id, viaSdk.id)).toMatch(/^(pending|verified)$/);
    await waitFor(
      'verified',
      async () => (await verificationOf(tenant.client, app.id, viaSdk.id)) === 'verified',
    );
    // An explicit verify: false opts out.
    const optedOut = await createEndpoint(tenant.client, app.id, { url: receiver.url, verify: false });
    expect(optedOut).not.toHaveProperty('verification');
  });
  describe('crash windows: the reconciler moves a stranded challenge on', () => {
    async function verifiedThenDelivered(
      client: HttpClient,
      appId: string,
      endpointId: string,
      receiver: TestReceiver,
      msgId: string,
    ) {
      await waitFor('verified', async () => (await verificationOf(client, appId, endpointId)) === 'verified');
      await waitFor('the held message', () =>
        receiver.received.some((r) => r.headers['webhook-id'] === msgId),
      );
    }

    it('sends a challenge the API never sent (it died after committing the pending endpoint)', async () => {
      const receiver = await world.receiver(owner(() => 'right'));
      const { tenant, svix, app } = await world.tenantWithApp('verify-api-crash');
      const endpoint = await createEndpoint(tenant.client, app.id, { url: receiver.url });
      // The row exactly as EndpointsService.create commits it before sending the challenge: the API dies here.
      const challenge = randomBytes(24).toString('base64url');
      await prisma().endpoint.update({
        where: { id: endpoint.id },
        data: {
          verification: 'pending',
          verificationChallenge: challenge,
          verificationExpiresAt: new Date(Date.now() + 3_600_000),
        },
      });
      const msg = await svix.message.create(app.id, { eventType: 'invoice.paid', payload: { n: 5 } });

      await verifiedThenDelivered(tenant.client, app.id, endpoint.id, receiver, msg.id);
      // The reconciler sent the stored challenge, once, before the message.
      const challenges = receiver.received.filter(isChallenge);
      expect(challenges.map((r) => JSON.parse(r.body) as unknown)).toEqual([
        { type: 'endpoint.verification', challenge },
      ]);
      expect(receiver.received.indexOf(challenges[0]!)).toBeLessThan(
        receiver.received.findIndex((r) => r.headers['webhook-id'] === msg.id),
      );
    });

    it('settles a challenge whose success was recorded by a worker that died before marking the endpoint', async () => {
      const receiver = await world.receiver(owner(() => 'right'));
      const { tenant, svix, app } = await world.tenantWithApp('verify-worker-crash');
      // The worker "dies" right after the challenge's successful record: its first settle never happens.
      const endpoints = world.worker.get(EndpointRepository);
      const settle = endpoints.settleVerification.bind(endpoints);
      let crashed = false;
      const spy = jest.spyOn(endpoints, 'settleVerification').mockImplementation(async (...args) => {
        if (!crashed) {
          crashed = true;
          throw new Error('worker died between the record and settling the endpoint');
        }
        return settle(...args);
      });
      try {
        const endpoint = await createEndpoint(tenant.client, app.id, { url: receiver.url, verify: true });
        const msg = await svix.message.create(app.id, { eventType: 'invoice.paid', payload: { n: 6 } });
        await verifiedThenDelivered(tenant.client, app.id, endpoint.id, receiver, msg.id);
        expect(crashed).toBe(true);
        // One challenge, answered once: the reconciler settled it from the recorded success, not a new try.
        expect(receiver.received.filter(isChallenge)).toHaveLength(1);
        // The message's attempt is recorded after the receiver answered it: wait for the record, then count.
        await waitFor('the message attempt recorded', async () =>
          (await world.attemptsOf(msg.id, endpoint.id)).some((a) => a.status === 'success'),
        );
        const attempts = await prisma().deliveryAttempt.findMany({ where: { endpointId: endpoint.id } });
        expect(attempts.map((a) => a.status)).toEqual(['success', 'success']);
      } finally {
        spy.mockRestore();
      }
    });

    it('expires a challenge never sent once its deadline has passed, instead of sending it late', async () => {
      const receiver = await world.receiver(owner(() => 'right'));
      const { tenant, app } = await world.tenantWithApp('verify-api-crash-late');
      const endpoint = await createEndpoint(tenant.client, app.id, { url: receiver.url });
      await prisma().endpoint.update({
        where: { id: endpoint.id },
        data: {
          verification: 'pending',
          verificationChallenge: randomBytes(24).toString('base64url'),
          verificationExpiresAt: new Date(Date.now() - 1_000),
        },
      });
      await waitFor(
        'stored as expired',
        async () =>
          (await prisma().endpoint.findUniqueOrThrow({ where: { id: endpoint.id } })).verification ===
          'expired',
      );
      expect(receiver.received.filter(isChallenge)).toHaveLength(0);
    });
  });
});
