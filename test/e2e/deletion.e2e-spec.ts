import { PrismaService } from '@app/db';
import { waitFor } from '@app/testing';
import { DeliveryWorld } from '../support/delivery-world';

/**
 * Deleting an endpoint or an application removes what was delivered to it: its deliveries and their attempt
 * logs (response bodies may hold the customer's data). The delivery tables have no foreign keys to cascade
 * (ADR 0005), so the repositories delete them explicitly; nothing of another endpoint or application goes.
 */
describe('deleting endpoints and applications (e2e)', () => {
  const world = new DeliveryWorld();
  let prisma: PrismaService;

  beforeAll(async () => {
    await world.start();
    prisma = world.worker.get(PrismaService);
  });

  afterAll(async () => {
    await world.stop();
  });

  /** An application with two endpoints, each with two delivered messages and their attempts. */
  async function deliveredTo(name: string) {
    const receiver = await world.receiver();
    const { tenant, svix, app } = await world.tenantWithApp(name);
    const gone = await svix.endpoint.create(app.id, { url: `${receiver.url}?gone` });
    const kept = await svix.endpoint.create(app.id, { url: `${receiver.url}?kept` });
    for (let i = 0; i < 2; i++) await svix.message.create(app.id, { eventType: 'x', payload: { i } });
    await waitFor(
      '4 attempts',
      async () => (await prisma.deliveryAttempt.count({ where: { tenantId: tenant.id } })) === 4,
    );
    return { tenant, svix, app, gone, kept };
  }

  const counts = async (endpointId: string) => ({
    deliveries: await prisma.delivery.count({ where: { endpointId } }),
    attempts: await prisma.deliveryAttempt.count({ where: { endpointId } }),
  });

  it('removes an endpoint’s deliveries and attempts, and only its own', async () => {
    const { svix, app, gone, kept } = await deliveredTo('endpoint delete');
    expect(await counts(gone.id)).toEqual({ deliveries: 2, attempts: 2 });

    await svix.endpoint.delete(app.id, gone.id);

    expect(await counts(gone.id)).toEqual({ deliveries: 0, attempts: 0 });
    expect(await counts(kept.id)).toEqual({ deliveries: 2, attempts: 2 });
  });

  it('removes an application’s messages, deliveries and attempts, and only its own', async () => {
    const doomed = await deliveredTo('application delete');
    const other = await deliveredTo('other application');

    await doomed.svix.application.delete(doomed.app.id);

    for (const endpoint of [doomed.gone, doomed.kept]) {
      expect(await counts(endpoint.id)).toEqual({ deliveries: 0, attempts: 0 });
    }
    expect(await prisma.delivery.count({ where: { applicationId: doomed.app.id } })).toBe(0);
    expect(await prisma.message.count({ where: { applicationId: doomed.app.id } })).toBe(0);
    expect(await prisma.endpoint.count({ where: { applicationId: doomed.app.id } })).toBe(0);
    expect(await prisma.delivery.count({ where: { applicationId: other.app.id } })).toBe(4);
    expect(await prisma.deliveryAttempt.count({ where: { tenantId: other.tenant.id } })).toBe(4);
  });
});
