import { PrismaService } from '@app/db';
import { testConfig, waitFor } from '@app/testing';
import { DeliveryWorld } from '../support/delivery-world';

/**
 * A deleted tenant's deliveries stop at once: the claim of a delivery reads its tenant's `deleted_at` and
 * cancels instead of sending, and the purge outbox row (written in the same statement as the delete) removes
 * the rows. Here the tenant is deleted while its first attempt is in flight, so the retry that attempt
 * schedules is due only after the delete: it must never reach the receiver. A second tenant in the same
 * state shows the retry would otherwise have gone out.
 */
describe('tenant deletion stops pending deliveries (e2e)', () => {
  const world = new DeliveryWorld(testConfig({ DELIVERY_RETRY_SCHEDULE: '50ms,50ms,50ms' }));
  let prisma: PrismaService;

  beforeAll(async () => {
    await world.start();
    prisma = world.worker.get(PrismaService);
  });

  afterAll(async () => {
    await world.stop();
  });

  /** Two tenants whose first attempts are held by the receiver until `release()`, then fail with 500. */
  async function twoTenantsMidAttempt() {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const receiver = await world.receiver((_, index) =>
      index < 2 ? { status: 500, until: held } : { status: 500 },
    );
    const doomed = await world.tenantWithApp('deleted mid-attempt');
    const kept = await world.tenantWithApp('kept');
    await doomed.svix.endpoint.create(doomed.app.id, { url: `${receiver.url}?tenant=doomed` });
    await kept.svix.endpoint.create(kept.app.id, { url: `${receiver.url}?tenant=kept` });
    const msg = await doomed.svix.message.create(doomed.app.id, { eventType: 'x', payload: {} });
    await kept.svix.message.create(kept.app.id, { eventType: 'x', payload: {} });
    await receiver.waitForRequests(2);
    const hits = (tenant: string) =>
      receiver.received.filter((r) => r.path.endsWith(`tenant=${tenant}`)).length;
    return { doomed, kept, msgId: msg.id, release, hits };
  }

  it('cancels a deleted tenant’s due retry at claim time, before its purge reaches the deliveries', async () => {
    const { doomed, msgId, release, hits } = await twoTenantsMidAttempt();
    // Only the mark, not the purge row: a large tenant's purge takes many steps before it reaches its
    // deliveries, and meanwhile the claim is what must stop them.
    await prisma.tenant.update({ where: { id: doomed.tenant.id }, data: { deletedAt: new Date() } });
    release();

    await waitFor('the kept tenant’s 4 attempts (its retries were due and sent)', () => hits('kept') === 4);
    const delivery = await waitFor('the deleted tenant’s delivery to be canceled', async () => {
      const row = await prisma.delivery.findFirst({ where: { messageId: msgId } });
      return row?.status === 'canceled' ? row : undefined;
    });
    expect(delivery.attemptCount).toBe(1);
    expect(hits('doomed')).toBe(1);
  });

  it('sends nothing more once the tenant is deleted through the admin API, and purges it', async () => {
    const { doomed, release, hits } = await twoTenantsMidAttempt();
    expect((await world.api.admin.delete(`/admin/v1/tenants/${doomed.tenant.id}`)).status).toBe(204);
    release();

    await waitFor('the kept tenant’s 4 attempts', () => hits('kept') === 4);
    await waitFor(
      'the deleted tenant to be purged',
      async () => (await prisma.tenant.count({ where: { id: doomed.tenant.id } })) === 0,
    );
    expect(await prisma.delivery.count({ where: { tenantId: doomed.tenant.id } })).toBe(0);
    expect(hits('doomed')).toBe(1);
  });
});
