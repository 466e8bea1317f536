import { testConfig, waitFor } from '@app/testing';
import { DeliveryToQueue, JobProducer } from './job.producer';
import { deliveryJobId } from './jobs';

/** The producer on the Redis of `npm test`, under a queue prefix of its own. */
describe('JobProducer (Redis)', () => {
  let jobs: JobProducer;

  beforeAll(async () => {
    jobs = new JobProducer(testConfig());
    await waitFor('the producer`s Redis connection', () => jobs.ready);
  });

  afterAll(async () => {
    await jobs.onApplicationShutdown();
  });

  const delivery = (id: string, fence = 0): DeliveryToQueue => ({
    id,
    fence,
    tenantId: 'tnt_a',
    applicationId: 'app_a',
    endpointId: 'ep_a',
    dueAt: new Date(Date.now() + 60_000),
  });

  it('adds only the deliveries whose job is missing, leaving a queued job as it was', async () => {
    expect(await jobs.enqueueDeliveries([delivery('dlv_queued')], 'test')).toBe(true);
    const queue = jobs.queue('delivery');
    const before = await queue.getJob(deliveryJobId('dlv_queued', 0));
    expect(before).toBeDefined();

    // The same delivery at its fence, one lost from Redis, and one at a new fence (a claim happened).
    const added = await jobs.enqueueMissingDeliveries(
      [delivery('dlv_queued'), delivery('dlv_lost'), delivery('dlv_queued', 1)],
      'test',
    );
    expect(added).toBe(2);
    for (const [id, fence] of [
      ['dlv_queued', 0],
      ['dlv_lost', 0],
      ['dlv_queued', 1],
    ] as const) {
      expect(await queue.getJob(deliveryJobId(id, fence))).toBeDefined();
    }
    const after = await queue.getJob(deliveryJobId('dlv_queued', 0));
    expect(after!.timestamp).toBe(before!.timestamp);
    expect(await jobs.enqueueMissingDeliveries([delivery('dlv_lost')], 'test')).toBe(0);
  });
});
