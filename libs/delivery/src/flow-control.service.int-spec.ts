import { Redis } from 'ioredis';
import type { AppConfig } from '@app/config';
import type { EndpointRepository, ThrottleRates } from '@app/db';
import { capPlace, holdEstimate, throttleSlot, throttleSpacing, ThrottleState } from '@app/domain';
import { deliveryJobId, JobProducer, redisOptions } from '@app/queue';
import { testConfig } from '@app/testing';
import { Admission, FlowControlService, FlowLease, FlowRequest } from './flow-control.service';

/** The service on the Redis of `npm test`, with the scripts' clock fixed by the test (ms). */
class FixedClockFlowControl extends FlowControlService {
  now = 1_000_000;
  protected override clock(): string {
    return String(this.now);
  }
}

/** The scripts against real Redis: each test has its own queue prefix, so its own keys. */
describe('FlowControlService (Lua scripts on Redis)', () => {
  const services: FlowControlService[] = [];
  const producers: JobProducer[] = [];
  let redis: Redis;

  beforeAll(() => {
    redis = new Redis(redisOptions(testConfig().redis.url));
  });

  afterAll(async () => {
    await Promise.all(services.map((s) => s.onApplicationShutdown()));
    await Promise.all(producers.map((p) => p.onApplicationShutdown()));
    redis.disconnect();
  });

  function flow(
    overrides: Record<string, string>,
    rates: Record<string, ThrottleRates> = {},
  ): { flow: FixedClockFlowControl; config: AppConfig; jobs: JobProducer } {
    const config = testConfig({ DELIVERY_TIMEOUT_MS: '2000', ...overrides });
    const endpoints = {
      findThrottleRates: (_t: string, _a: string, endpointId: string) =>
        Promise.resolve(rates[endpointId] ?? { endpoint: null, application: null }),
    } as unknown as EndpointRepository;
    const jobs = new JobProducer(config);
    producers.push(jobs);
    const service = new FixedClockFlowControl(config, endpoints, jobs);
    services.push(service);
    return { flow: service, config, jobs };
  }

  let n = 0;
  const job = (endpointId: string, extra: Partial<FlowRequest> = {}): FlowRequest => {
    const jobId = `job-${++n}`;
    return {
      tenantId: 'tnt_a',
      applicationId: 'app_a',
      endpointId,
      attemptKey: `${jobId}:1`,
      jobId,
      returning: false,
      ...extra,
    };
  };
  const lease = (a: Admission): FlowLease => {
    if (!a.admitted) throw new Error(`expected an admission, got a deferral (${a.reason})`);
    return a.lease;
  };

  it('admits an endpoint`s cap, defers the next, and admits again once a slot is released', async () => {
    const { flow: f } = flow({ ENDPOINT_MAX_IN_FLIGHT: '2', TENANT_MAX_IN_FLIGHT: '0' });
    const first = lease(await f.admit(job('ep_1')));
    lease(await f.admit(job('ep_1')));
    const third = await f.admit(job('ep_1'));
    expect(third).toMatchObject({ admitted: false, reason: 'endpoint_in_flight' });
    // Another endpoint is not affected.
    expect((await f.admit(job('ep_2'))).admitted).toBe(true);

    // Released without reaching the receiver: the endpoint has no history, so its cap stays 2.
    await f.release(first, null);
    expect((await f.admit(job('ep_1'))).admitted).toBe(true);
    expect((await f.admit(job('ep_1'))).admitted).toBe(false);
  });

  it('lets a fast endpoint have more in flight than the cap, and holds a slow one to it', async () => {
    const { flow: f } = flow({ ENDPOINT_MAX_IN_FLIGHT: '2', TENANT_MAX_IN_FLIGHT: '0' });
    const heldFor = async (endpointId: string, ms: number) => {
      const admitted = lease(await f.admit(job(endpointId)));
      await f.release(admitted, ms);
    };
    // History: ep_fast's attempts take 25 ms (cap 2 × 250 / 25 = 20), ep_slow's 500 ms (cap 2).
    for (let i = 0; i < 10; i++) await heldFor('ep_fast', 25);
    for (let i = 0; i < 10; i++) await heldFor('ep_slow', 500);
    const admittedOf = async (endpointId: string, tries: number) => {
      let admitted = 0;
      for (let i = 0; i < tries; i++) if ((await f.admit(job(endpointId))).admitted) admitted++;
      return admitted;
    };
    expect(await admittedOf('ep_fast', 30)).toBe(20);
    expect(await admittedOf('ep_slow', 30)).toBe(2);
    // The fast endpoint starts to hang: once an attempt has been in flight for a second with no answer, the
    // cap is 2 again.
    f.now += 1_000;
    expect((await f.admit(job('ep_fast'))).admitted).toBe(false);
  });

  it('does not take our own slowness for a hang while the receiver keeps answering', async () => {
    // Several worker processes on a busy machine: attempts take a second and more of our time (claims,
    // records, CPU) while the receiver answers each in 5 ms. The cap stays grown, and a full cap paces its
    // line by how long slots are really held, not by the age of the oldest attempt.
    const { flow: f } = flow({ ENDPOINT_MAX_IN_FLIGHT: '2', TENANT_MAX_IN_FLIGHT: '0' });
    const stuck = lease(await f.admit(job('ep_1')));
    for (let i = 0; i < 10; i++) {
      const admitted = lease(await f.admit(job('ep_1')));
      f.now += 100;
      await f.release(admitted, 5);
    }
    // `stuck` has been in flight for a second; the last answer came just now.
    const admittedOf = async (tries: number) => {
      let admitted = 0;
      for (let i = 0; i < tries; i++) if ((await f.admit(job('ep_1'))).admitted) admitted++;
      return admitted;
    };
    expect(await admittedOf(120)).toBe(100 - 1); // 2 × 250 / 5, less the stuck one
    const deferred = await f.admit(job('ep_1'));
    // Slots were held 100 ms each (admission to release): the line moves 100 / 100 = 1 ms per place, while
    // the stuck attempt's age (1,000 ms) would have made it 10 ms. The 21 refused above hold the first places.
    expect(deferred).toMatchObject({ admitted: false, reason: 'endpoint_in_flight', delayMs: 120 - 99 + 1 });
    await f.release(stuck, null);
  });

  it('caps a tenant across its endpoints', async () => {
    const { flow: f } = flow({ ENDPOINT_MAX_IN_FLIGHT: '10', TENANT_MAX_IN_FLIGHT: '3' });
    for (const endpointId of ['ep_1', 'ep_2', 'ep_3'])
      expect((await f.admit(job(endpointId))).admitted).toBe(true);
    expect(await f.admit(job('ep_4'))).toMatchObject({ admitted: false, reason: 'tenant_in_flight' });
    expect((await f.admit(job('ep_4', { tenantId: 'tnt_b' }))).admitted).toBe(true);
  });

  it('frees the slot of a lease that expired (its worker died) without a release', async () => {
    const { flow: f, config } = flow({ ENDPOINT_MAX_IN_FLIGHT: '1', TENANT_MAX_IN_FLIGHT: '0' });
    lease(await f.admit(job('ep_1')));
    f.now += config.delivery.leaseMs - 1;
    expect((await f.admit(job('ep_1'))).admitted).toBe(false);
    f.now += 1;
    expect((await f.admit(job('ep_1'))).admitted).toBe(true);
  });

  it('spaces refused jobs by hold time / cap, learning the hold time from released attempts', async () => {
    const { flow: f, config } = flow({ ENDPOINT_MAX_IN_FLIGHT: '2', TENANT_MAX_IN_FLIGHT: '0' });
    const start = f.now;
    const a = lease(await f.admit(job('ep_1')));
    lease(await f.admit(job('ep_1')));
    f.now += 400;
    await f.release(a, 400); // the receiver took 400 ms: the average starts there
    lease(await f.admit(job('ep_1')));
    // Full again. The slot was held 400 ms and the receiver answers (no hang): a slot frees every 200 ms.
    const hold = holdEstimate(400, 0, config.delivery.timeoutMs);
    let tail = 0;
    for (let i = 0; i < 3; i++) {
      const deferred = await f.admit(job('ep_1'));
      tail = capPlace(tail, f.now, hold, 2).startAt;
      expect(deferred).toEqual({
        admitted: false,
        reason: 'endpoint_in_flight',
        delayMs: Math.ceil(tail - f.now),
      });
    }
    expect(tail - start).toBe(400 + 3 * 200);
  });

  it('wakes a job waiting in a cap`s line when a slot frees, before the place it was given', async () => {
    // The line's places are estimates (how long slots were held so far). When slots free sooner, a job
    // waiting in the queue's delayed set for its place is promoted at the release, so the cap never idles
    // while a line waits.
    const { flow: f, jobs, config } = flow({ ENDPOINT_MAX_IN_FLIGHT: '0', TENANT_MAX_IN_FLIGHT: '1' });
    const first = lease(await f.admit(job('ep_1')));
    f.now += 400;
    await f.release(first, 400); // a slot is held 400 ms: the line moves 400 ms per place
    const holder = lease(await f.admit(job('ep_1')));
    // A real delayed job in the queue, refused by the full cap: it takes a place 400 ms ahead.
    await jobs.enqueueDeliveries(
      [
        {
          id: 'dlv_waiting',
          fence: 0,
          tenantId: 'tnt_a',
          applicationId: 'app_a',
          endpointId: 'ep_1',
          dueAt: new Date(Date.now() + 60_000),
        },
      ],
      'test',
    );
    const jobId = deliveryJobId('dlv_waiting', 0);
    const waiting = await f.admit({ ...job('ep_1'), jobId });
    expect(waiting).toMatchObject({ admitted: false, reason: 'tenant_in_flight', delayMs: 400 });
    const queued = await jobs.queue('delivery').getJob(jobId);
    expect(await queued!.getState()).toBe('delayed');

    f.now += 10; // the slot frees long before the place
    expect(await f.release(holder, 10)).toEqual([jobId]);
    expect(await queued!.getState()).toBe('waiting');
    // Woken once: a second release has nobody left to wake, and the job, admitted, has left the line.
    expect((await f.admit({ ...job('ep_1'), jobId, returning: true })).admitted).toBe(true);
    expect(await redis.zcard(`${config.redis.prefix}:flow:tenant:tnt_a:waiting`)).toBe(0);
  });

  it('gives throttled jobs slots exactly 1/rate apart, as the GCRA model does, and keeps each one`s place', async () => {
    const { flow: f } = flow(
      { ENDPOINT_MAX_IN_FLIGHT: '0', TENANT_MAX_IN_FLIGHT: '0' },
      { ep_1: { endpoint: 5, application: null } },
    );
    let model: ThrottleState = { tat: 0, tail: 0 };
    const spacing = throttleSpacing(5);
    const delays: number[] = [];
    const requests = [job('ep_1'), job('ep_1'), job('ep_1'), job('ep_1')];
    for (const request of requests) {
      const admission = await f.admit(request);
      const expected = throttleSlot(model, f.now, spacing, false);
      model = expected.state;
      expect(admission.admitted).toBe(expected.admitted);
      delays.push(admission.admitted ? 0 : admission.delayMs);
    }
    expect(delays).toEqual([0, 200, 400, 600]);

    // The second job comes back a little early (within the tolerance): it starts. The third comes back far
    // too early: it loses its place and goes to the end of the line (a clock that fast is a fault; a job late
    // in a crowd must not ping-pong with the others). A first-timer queues behind the line.
    const again = async (request: FlowRequest, returning: boolean) => {
      const admission = await f.admit({ ...request, returning });
      const expected = throttleSlot(model, f.now, spacing, returning);
      model = expected.state;
      expect(admission).toMatchObject(
        expected.admitted
          ? { admitted: true }
          : { admitted: false, delayMs: Math.ceil(expected.startAt - f.now) },
      );
      return admission;
    };
    f.now += 195;
    expect((await again(requests[1]!, true)).admitted).toBe(true);
    f.now += 100;
    expect(await again(requests[2]!, true)).toMatchObject({ admitted: false, delayMs: 800 - 295 });
    expect(await again(job('ep_1'), false)).toMatchObject({ admitted: false, delayMs: 1000 - 295 });
    // At 400 the slot the third job gave up is free: the fourth, back early from its slot (600), takes it.
    f.now += 400 - 295;
    expect((await again(requests[3]!, true)).admitted).toBe(true);
  });

  it('throttles an application across its endpoints', async () => {
    const { flow: f } = flow(
      { ENDPOINT_MAX_IN_FLIGHT: '0', TENANT_MAX_IN_FLIGHT: '0' },
      { ep_1: { endpoint: null, application: 10 }, ep_2: { endpoint: null, application: 10 } },
    );
    expect((await f.admit(job('ep_1'))).admitted).toBe(true);
    expect(await f.admit(job('ep_2'))).toEqual({
      admitted: false,
      reason: 'application_throttle',
      delayMs: 100,
    });
    // An application without a throttle is not held back.
    expect((await f.admit(job('ep_3', { applicationId: 'app_b' }))).admitted).toBe(true);
  });

  it('defers a job over a cap without taking a throttle slot', async () => {
    const { flow: f } = flow(
      { ENDPOINT_MAX_IN_FLIGHT: '1', TENANT_MAX_IN_FLIGHT: '0' },
      { ep_1: { endpoint: 5, application: null } },
    );
    const first = lease(await f.admit(job('ep_1')));
    expect(await f.admit(job('ep_1'))).toMatchObject({ reason: 'endpoint_in_flight' });
    await f.release(first, null);
    f.now += 200;
    expect((await f.admit(job('ep_1'))).admitted).toBe(true);
  });

  it('uses the Redis clock, and leaves no key without an expiry, all under the queue prefix', async () => {
    const config = testConfig({ ENDPOINT_MAX_IN_FLIGHT: '4', TENANT_MAX_IN_FLIGHT: '8' });
    const endpoints = {
      findThrottleRates: () => Promise.resolve({ endpoint: 5, application: 50 }),
    } as unknown as EndpointRepository;
    const jobs = new JobProducer(config);
    producers.push(jobs);
    const f = new FlowControlService(config, endpoints, jobs);
    services.push(f);
    const first = await f.admit(job('ep_1'));
    const second = await f.admit(job('ep_1'));
    expect(first.admitted).toBe(true);
    expect(second).toMatchObject({ admitted: false, reason: 'endpoint_throttle' });
    if (second.admitted) return;
    // 200 ms after the first admission, less the few ms between the two calls.
    expect(second.delayMs).toBeLessThanOrEqual(200);
    expect(second.delayMs).toBeGreaterThan(150);
    await f.release(lease(first), 10);

    const keys = await redis.keys(`${config.redis.prefix}:flow:*`);
    expect(keys.sort()).toEqual(
      [`ep:ep_1`, `tenant:tnt_a`, `app:app_a`].map((k) => `${config.redis.prefix}:flow:${k}`).sort(),
    );
    for (const key of keys) expect(await redis.pttl(key)).toBeGreaterThan(0);
  });
});
