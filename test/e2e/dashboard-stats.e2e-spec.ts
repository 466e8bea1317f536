import { Svix } from 'svix';
import { PrismaService } from '@app/db';
import { newId } from '@app/domain';
import { testConfig } from '@app/testing';
import { RunningApi, startApi } from '../support/running-api';

/**
 * Delivery statistics and message search against the real API and PostgreSQL. The statistics are checked on
 * attempts written with known times and durations; no worker runs, so nothing else moves them.
 */
describe('dashboard statistics and message search (e2e)', () => {
  let api: RunningApi;
  let prisma: PrismaService;

  beforeAll(async () => {
    api = await startApi(testConfig());
    prisma = api.app.get(PrismaService);
  });

  afterAll(async () => {
    await api.close();
  });

  async function tenant(name: string) {
    const t = await api.newTenant(name);
    const svix = new Svix(t.apiKey, { serverUrl: api.url, retryScheduleInMs: [] });
    return { ...t, svix };
  }

  /** A delivery of a new message to the endpoint, with one attempt `durationMs` long that ended 1s + its
   * duration after the message was created (so its time to first attempt is 1000 ms). */
  async function attempt(
    tenantId: string,
    appId: string,
    endpointId: string,
    at: Date,
    durationMs: number,
    status: 'success' | 'fail',
  ) {
    const messageId = newId('message', at.getTime());
    const deliveryId = newId('delivery', at.getTime());
    await prisma.message.create({
      data: { id: messageId, tenantId, applicationId: appId, eventType: 'x', payload: '{}', createdAt: at },
    });
    await prisma.delivery.create({
      data: { id: deliveryId, tenantId, applicationId: appId, messageId, endpointId, status, createdAt: at },
    });
    await prisma.deliveryAttempt.create({
      data: {
        id: newId('attempt', at.getTime()),
        tenantId,
        deliveryId,
        messageId,
        endpointId,
        url: 'https://example.com/',
        responseStatusCode: status === 'success' ? 200 : 500,
        response: '',
        responseDurationMs: durationMs,
        status,
        trigger: 'scheduled',
        createdAt: new Date(at.getTime() + 1000 + durationMs),
      },
    });
  }

  it('counts attempts and computes latency percentiles per bucket, per tenant, application and endpoint', async () => {
    const t = await tenant('stats');
    const app1 = await t.svix.application.create({ name: 'one', uid: 'one' });
    const app2 = await t.svix.application.create({ name: 'two' });
    const e1 = await t.svix.endpoint.create(app1.id, { url: 'https://example.com/1', uid: 'e1' });
    const e1b = await t.svix.endpoint.create(app1.id, { url: 'https://example.com/1b' });
    const e2 = await t.svix.endpoint.create(app2.id, { url: 'https://example.com/2' });
    const hour = 3_600_000;
    const base = new Date(Math.floor(Date.now() / hour) * hour - 3 * hour);
    // Hour 0: durations 10, 20, … 100 ms to e1, the last two failed. Hour 1: one failure of 500 ms to e2.
    for (let i = 1; i <= 10; i++) {
      await attempt(
        t.id,
        app1.id,
        e1.id,
        new Date(base.getTime() + i * 60_000),
        i * 10,
        i > 8 ? 'fail' : 'success',
      );
    }
    await attempt(t.id, app2.id, e2.id, new Date(base.getTime() + hour + 60_000), 500, 'fail');
    // A delivery due a minute ago that no worker took: the queue lag.
    const late = newId('message');
    await prisma.message.create({
      data: { id: late, tenantId: t.id, applicationId: app1.id, eventType: 'x', payload: '{}' },
    });
    await prisma.delivery.create({
      data: {
        id: newId('delivery'),
        tenantId: t.id,
        applicationId: app1.id,
        messageId: late,
        endpointId: e1b.id,
        nextAttemptAt: new Date(Date.now() - 60_000),
      },
    });

    const range = `since=${base.toISOString()}&until=${new Date(base.getTime() + 3 * hour).toISOString()}`;
    const res = await t.client.get(`/api/v1/stats/delivery?${range}&interval=hour`);
    expect(res.status).toBe(200);
    const { buckets, totals, timeToFirstAttempt, queueLagMs } = res.body;
    expect(buckets.map((b: { start: string }) => b.start)).toEqual([
      base.toISOString(),
      new Date(base.getTime() + hour).toISOString(),
      new Date(base.getTime() + 2 * hour).toISOString(),
    ]);
    expect(buckets[0]).toMatchObject({ success: 8, fail: 2, p50: 55 });
    expect(buckets[0].p95).toBeCloseTo(95.5, 6);
    expect(buckets[0].p99).toBeCloseTo(99.1, 6);
    expect(buckets[1]).toMatchObject({ success: 0, fail: 1, p50: 500, p95: 500, p99: 500 });
    expect(buckets[2]).toMatchObject({ success: 0, fail: 0, p50: null, p95: null, p99: null });
    expect(totals).toMatchObject({ success: 8, fail: 3, p50: 60 });
    expect(timeToFirstAttempt).toMatchObject({ p50: 1000, p95: 1000 });
    expect(queueLagMs).toBeGreaterThanOrEqual(60_000);

    // One application: hour 1 belonged to the other one.
    const one = (await t.client.get(`/api/v1/stats/delivery?${range}&application=one`)).body;
    expect(one.buckets.map((b: { fail: number }) => b.fail)).toEqual([2, 0, 0]);
    expect(one.queueLagMs).toBeGreaterThanOrEqual(60_000);
    // One endpoint, and the lag of the endpoint with nothing due.
    const byEndpoint = (await t.client.get(`/api/v1/stats/delivery?${range}&application=one&endpoint=e1`))
      .body;
    expect(byEndpoint.totals).toMatchObject({ success: 8, fail: 2 });
    expect(byEndpoint.queueLagMs).toBe(0);
    const two = (await t.client.get(`/api/v1/stats/delivery?${range}&application=${app2.id}`)).body;
    expect(two.totals).toMatchObject({ success: 0, fail: 1, p99: 500 });

    // Day buckets over the same attempts: one bucket (the range is within one UTC day, or spans two).
    const days = (await t.client.get(`/api/v1/stats/delivery?${range}&interval=day`)).body;
    expect(days.buckets.reduce((n: number, b: { success: number }) => n + b.success, 0)).toBe(8);

    // Another tenant sees nothing of it.
    const other = await tenant('stats outsider');
    const empty = (await other.client.get(`/api/v1/stats/delivery?${range}`)).body;
    expect(empty.totals).toMatchObject({ success: 0, fail: 0, p50: null });
  });

  it('searches messages of every application by eventId, tag, event type and time', async () => {
    const t = await tenant('search');
    const a = await t.svix.application.create({ name: 'a', uid: 'a' });
    const b = await t.svix.application.create({ name: 'b' });
    const m1 = await t.svix.message.create(a.id, {
      eventType: 'order.created',
      eventId: 'ord-1',
      payload: {},
      tags: ['vip'],
    });
    const m2 = await t.svix.message.create(b.id, { eventType: 'order.paid', eventId: 'ord-1', payload: {} });
    const m3 = await t.svix.message.create(b.id, { eventType: 'order.created', payload: {}, tags: ['vip'] });
    const ids = async (query: string) => {
      const res = await t.client.get(`/api/v1/search/message${query}`);
      expect(res.status).toBe(200);
      return res.body.data.map((m: { id: string }) => m.id);
    };
    expect(await ids('')).toEqual([m3.id, m2.id, m1.id]);
    expect(await ids('?event_id=ord-1')).toEqual([m2.id, m1.id]);
    expect(await ids('?tag=vip')).toEqual([m3.id, m1.id]);
    expect(await ids('?event_types=order.created')).toEqual([m3.id, m1.id]);
    expect(await ids('?event_types=order.created&application=a')).toEqual([m1.id]);
    expect(await ids('?event_id=ord-1&tag=vip')).toEqual([m1.id]);
    expect(await ids(`?since=${new Date(m2.timestamp.getTime() + 1).toISOString()}`)).toEqual([m3.id]);
    expect(await ids(`?until=${m2.timestamp.toISOString()}`)).toEqual([m1.id]);
    const found = (await t.client.get('/api/v1/search/message?event_id=ord-1&application=a')).body.data[0];
    expect(found).toMatchObject({
      id: m1.id,
      appId: a.id,
      appUid: 'a',
      eventType: 'order.created',
      tags: ['vip'],
    });

    const page1 = (await t.client.get('/api/v1/search/message?limit=2')).body;
    expect([page1.data.length, page1.done]).toEqual([2, false]);
    const page2 = (await t.client.get(`/api/v1/search/message?limit=2&iterator=${page1.iterator}`)).body;
    expect(page2.data.map((m: { id: string }) => m.id)).toEqual([m1.id]);

    const other = await tenant('search outsider');
    expect((await other.client.get('/api/v1/search/message?event_id=ord-1')).body.data).toEqual([]);
  });

  it('answers 422 for unknown filter values, bad ranges and too many buckets', async () => {
    const t = await tenant('stats bad input');
    await t.svix.application.create({ name: 'a', uid: 'a' });
    const day = 86_400_000;
    const now = Date.now();
    const cases: [string, string, (string | number)[]][] = [
      ['/api/v1/stats/delivery?application=nope', 'unknown_filter_value', ['query', 'application']],
      ['/api/v1/stats/delivery?application=a&endpoint=nope', 'unknown_filter_value', ['query', 'endpoint']],
      ['/api/v1/stats/delivery?endpoint=ep_1', 'endpoint_needs_application', ['query', 'endpoint']],
      [
        `/api/v1/stats/delivery?since=${new Date(now - 31 * day).toISOString()}`,
        'invalid_time_range',
        ['query', 'since'],
      ],
      [
        `/api/v1/stats/delivery?since=${new Date(now - day).toISOString()}&until=${new Date(now - 2 * day).toISOString()}`,
        'invalid_time_range',
        ['query', 'since'],
      ],
      [
        `/api/v1/stats/delivery?since=${new Date(now - 29 * day).toISOString()}&interval=minute`,
        'validation_error',
        ['query', 'interval'],
      ],
      ['/api/v1/stats/delivery?interval=week', 'validation_error', ['query', 'interval']],
      ['/api/v1/search/message?application=nope', 'unknown_filter_value', ['query', 'application']],
      [
        `/api/v1/search/message?until=${new Date(now - 40 * day).toISOString()}`,
        'invalid_time_range',
        ['query', 'since'],
      ],
    ];
    for (const [path, code, loc] of cases) {
      const res = await t.client.get(path);
      expect([path, res.status, res.body.code, res.body.detail[0].loc]).toEqual([path, 422, code, loc]);
      expect(typeof res.body.detail[0].msg).toBe('string');
    }
    const unknownParam = await t.client.get('/api/v1/search/message?eventId=x');
    expect([unknownParam.status, unknownParam.body.code]).toEqual([422, 'unknown_field']);
  });
});
