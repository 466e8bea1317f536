import { PrismaService } from '@app/db';
import { RetentionService } from '@app/delivery';
import { testConfig } from '@app/testing';
import { DeliveryWorld } from '../support/delivery-world';
import { GONE, remaining, Seeded, seedMessage } from '../support/retention-seed';

/** Retention's batches are bounded: the worker's retention service driven tick by tick on seeded old rows. */
describe('retention batches (e2e)', () => {
  // A long interval: the loop runs once at start (nothing to do), then the test drives the ticks.
  const world = new DeliveryWorld(
    testConfig({ RETENTION_INTERVAL: '1h', RETENTION_BATCH_SIZE: '3', RETENTION_MAX_BATCHES: '2' }),
  );
  let prisma: PrismaService;

  beforeAll(async () => {
    await world.start();
    prisma = world.worker.get(PrismaService);
  });

  afterAll(async () => {
    await world.stop();
  });

  it('deletes at most RETENTION_BATCH_SIZE messages per batch and RETENTION_MAX_BATCHES per tick', async () => {
    const { tenant, svix, app } = await world.tenantWithApp('batches');
    const endpoint = await svix.endpoint.create(app.id, { url: 'http://127.0.0.1:9/never-called' });
    const place = { tenantId: tenant.id, appId: app.id, endpointId: endpoint.id };
    const seeded: Seeded[] = [];
    for (let i = 0; i < 14; i++) seeded.push(await seedMessage(prisma, place, { ageDays: 90 - i }));
    const keptPending = await seedMessage(prisma, place, { ageDays: 95, status: 'pending' });
    const retention = world.worker.get(RetentionService);

    const reports = [];
    for (let tick = 0; tick < 10; tick++) {
      const report = await retention.tick();
      reports.push(report);
      if (report.walkedAll) break;
    }

    // 15 old messages, 3 per batch, 2 batches per tick: 6 looked at per tick, the pending one kept.
    expect(reports.map((r) => r.messages)).toEqual([5, 6, 3]);
    expect(reports.map((r) => r.batches)).toEqual([2, 2, 2]);
    expect(reports.map((r) => r.walkedAll)).toEqual([false, false, true]);
    expect(reports.reduce((sum, r) => sum + r.attempts, 0)).toBe(28);
    expect(reports.reduce((sum, r) => sum + r.deliveries, 0)).toBe(14);
    for (const s of seeded) expect(await remaining(prisma, s)).toEqual(GONE);
    expect(await remaining(prisma, keptPending)).toEqual({ message: 1, deliveries: 1, attempts: 2 });

    // Nothing left to delete: the next tick looks at the one kept message and deletes nothing.
    expect(await retention.tick()).toMatchObject({ messages: 0, batches: 1, walkedAll: true });
  });
});
