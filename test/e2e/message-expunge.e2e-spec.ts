import { testConfig, svixError, waitFor } from '@app/testing';
import { DeliveryWorld } from '../support/delivery-world';

/**
 * Content expunge with the worker running: attempts already made keep their record, the retry still to come
 * is canceled (never sent), and the message cannot be resent. The retry waits an hour, so it cannot run
 * before the expunge.
 */
describe('message content expunge (e2e)', () => {
  const world = new DeliveryWorld(testConfig({ DELIVERY_RETRY_SCHEDULE: '1h' }));

  beforeAll(async () => {
    await world.start();
  });

  afterAll(async () => {
    await world.stop();
  });

  it('keeps the attempts, cancels the pending retry and refuses a resend', async () => {
    const receiver = await world.receiver(() => ({ status: 500, body: 'down for now' }));
    const { svix, tenant, app } = await world.tenantWithApp('expunge');
    const endpoint = await svix.endpoint.create(app.id, { url: receiver.url });
    const msg = await svix.message.create(app.id, { eventType: 'card.added', payload: { pan: '4242' } });
    await receiver.waitForRequests(1);
    await waitFor('the first attempt to be recorded with its retry due', async () => {
      const delivery = await world.deliveryOf(msg.id, endpoint.id);
      return delivery.attemptCount === 1 && delivery.status === 'pending';
    });

    expect((await tenant.client.delete(`/api/v1/app/${app.id}/msg/${msg.id}/content`)).status).toBe(204);

    expect(await world.deliveryOf(msg.id, endpoint.id)).toMatchObject({
      status: 'canceled',
      nextAttemptAt: null,
    });
    const attempts = await svix.messageAttempt.listByMsg(app.id, msg.id);
    expect(attempts.data).toHaveLength(1);
    expect(attempts.data[0]).toMatchObject({
      endpointId: endpoint.id,
      responseStatusCode: 500,
      response: 'down for now',
      status: 2,
    });
    const withMsg = await svix.messageAttempt.listByEndpoint(app.id, endpoint.id, { withMsg: true });
    expect(withMsg.data[0]!.msg).toMatchObject({ id: msg.id, payload: {} });
    expect((await svix.message.get(app.id, msg.id)).payload).toEqual({});

    const resend = await svixError(svix.messageAttempt.resend(app.id, msg.id, endpoint.id));
    expect(resend.code).toBe(409);
    expect(resend.body).toMatchObject({ code: 'message_expunged' });
    expect(await world.deliveryOf(msg.id, endpoint.id)).toMatchObject({
      status: 'canceled',
      attemptCount: 1,
    });
    expect(receiver.received).toHaveLength(1);
  });
});
