import { PrismaService } from '@app/db';
import { RetentionService } from '@app/delivery';
import { testConfig, waitFor } from '@app/testing';
import { DeliveryWorld } from '../support/delivery-world';
import { GONE, Place, remaining, seedMessage } from '../support/retention-seed';

/** Retention as the worker runs it: real API, worker, PostgreSQL; old rows seeded with old ids and times. */
describe('retention (e2e)', () => {
  describe("the worker's retention loop", () => {
    const world = new DeliveryWorld(testConfig({ RETENTION_INTERVAL: '100ms' }));
    let prisma: PrismaService;

    beforeAll(async () => {
      await world.start();
      prisma = world.worker.get(PrismaService);
    });

    afterAll(async () => {
      await world.stop();
    });

    async function place(name: string): Promise<Place & { tenant: { id: string } }> {
      const { tenant, svix, app } = await world.tenantWithApp(name);
      const endpoint = await svix.endpoint.create(app.id, { url: 'http://127.0.0.1:9/never-called' });
      return { tenant, tenantId: tenant.id, appId: app.id, endpointId: endpoint.id };
    }

    it("deletes what outlived its tenant's retention, and keeps young, pending and recently moved messages", async () => {
      const a = await place('retention default');
      const b = await place('retention 60 days');
      await world.api.admin.patch(`/admin/v1/tenants/${b.tenantId}/settings`, { retentionDays: 60 });

      const expired = await seedMessage(prisma, a, { ageDays: 40 });
      const expiredFailed = await seedMessage(prisma, a, { ageDays: 31, status: 'fail', attempts: 3 });
      const young = await seedMessage(prisma, a, { ageDays: 10 });
      const pending = await seedMessage(prisma, a, { ageDays: 45, status: 'pending' });
      const sending = await seedMessage(prisma, a, { ageDays: 45, status: 'sending' });
      const resentYesterday = await seedMessage(prisma, a, { ageDays: 50, movedDaysAgo: 1 });
      const withinLongerRetention = await seedMessage(prisma, b, { ageDays: 40 });
      const pastLongerRetention = await seedMessage(prisma, b, { ageDays: 70 });

      await waitFor('the loop to delete the expired messages', async () => {
        const left = await Promise.all(
          [expired, expiredFailed, pastLongerRetention].map((s) => remaining(prisma, s)),
        );
        return left.every((l) => l.message + l.deliveries + l.attempts === 0);
      });

      for (const gone of [expired, expiredFailed, pastLongerRetention]) {
        expect(await remaining(prisma, gone)).toEqual(GONE);
      }
      for (const kept of [young, pending, sending, resentYesterday, withinLongerRetention]) {
        expect(await remaining(prisma, kept)).toEqual({
          message: 1,
          deliveries: 1,
          attempts: kept.attemptIds.length,
        });
      }
      // The tenant's API agrees: the deleted message is gone, a kept one is still there.
      const client = (await world.api.admin.post(`/admin/v1/tenants/${a.tenantId}/api-keys`, {})).body
        .key as string;
      const tenantApi = world.api.anonymous.withToken(client);
      expect((await tenantApi.get(`/api/v1/app/${a.appId}/msg/${expired.msgId}`)).status).toBe(404);
      expect((await tenantApi.get(`/api/v1/app/${a.appId}/msg/${young.msgId}`)).status).toBe(200);
    });

    it('leaves a message delivered through the API today alone', async () => {
      const receiver = await world.receiver();
      const { tenant, svix, app } = await world.tenantWithApp('live');
      // The shortest retention there is: a message of today is still within it.
      await world.api.admin.patch(`/admin/v1/tenants/${tenant.id}/settings`, { retentionDays: 1 });
      const endpoint = await svix.endpoint.create(app.id, { url: receiver.url });
      const msg = await svix.message.create(app.id, { eventType: 'invoice.paid', payload: { n: 1 } });
      await receiver.waitForRequests(1);
      await waitFor(
        'the delivery to succeed',
        async () => (await world.deliveryOf(msg.id, endpoint.id)).status === 'success',
      );
      // The loop may hold the lock right now: wait for a tick of our own, which must delete nothing.
      const report = await waitFor('a retention tick', async () => {
        const tick = await world.worker.get(RetentionService).tick();
        return tick.ran && tick;
      });
      expect(report.messages).toBe(0);
      expect((await svix.message.get(app.id, msg.id)).id).toBe(msg.id);
    });
  });
});
