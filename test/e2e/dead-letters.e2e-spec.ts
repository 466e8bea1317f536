import { BackgroundTaskStatus, Svix } from 'svix';
import { PrismaService } from '@app/db';
import { HttpClient, testConfig, TestReceiver, waitFor } from '@app/testing';
import { DeliveryWorld } from '../support/delivery-world';
import { startWorker } from '../support/running-worker';

/**
 * The dashboard's dead letters and background tasks end to end: the real API and worker, PostgreSQL, Redis and
 * real HTTP receivers. A receiver answering 500 four times in a row (the test retry schedule: 50ms, 100ms,
 * 200ms) makes a dead letter; a redrive is a background task the worker runs and that delivers again.
 */
describe('dead letters, bulk redrive and background tasks (e2e)', () => {
  const world = new DeliveryWorld();
  let prisma: PrismaService;

  beforeAll(async () => {
    await world.start();
    prisma = world.worker.get(PrismaService);
  });

  afterAll(async () => {
    await world.stop();
  });

  const failed = (msgId: string, endpointId: string) =>
    waitFor(`delivery of ${msgId} to ${endpointId} to be dead-lettered`, async () => {
      const d = await prisma.delivery.findFirst({ where: { messageId: msgId, endpointId } });
      return d?.status === 'fail';
    });

  const finished = (client: HttpClient, taskId: string) =>
    waitFor(`task ${taskId} to finish`, async () => {
      const res = await client.get(`/api/v1/background-task/${taskId}`);
      return res.body.status === 'finished' && res.body;
    });

  /**
   * A tenant with two applications: app A has endpoint a1 (answers 500 while down) and a2 (answers 404
   * while down), app B has b1 (500 while down). Messages: 2 × order.created to A, 1 × order.paid to A, 1 ×
   * order.created to B; every delivery dead-lettered.
   */
  async function deadLetterWorld(name: string) {
    const state = { up: false };
    const r500 = await world.receiver(() => (state.up ? { status: 200 } : { status: 500 }));
    const r404 = await world.receiver(() => (state.up ? { status: 200 } : { status: 404 }));
    const tenant = await world.api.newTenant(name);
    const svix = new Svix(tenant.apiKey, { serverUrl: world.api.url, retryScheduleInMs: [] });
    await svix.eventType.create({ name: 'order.created', description: 'created' });
    await svix.eventType.create({ name: 'order.paid', description: 'paid' });
    const appA = await svix.application.create({ name: 'A', uid: 'app-a' });
    const appB = await svix.application.create({ name: 'B', uid: 'app-b' });
    const a1 = await svix.endpoint.create(appA.id, {
      url: r500.url,
      uid: 'a1',
      filterTypes: ['order.created'],
    });
    const a2 = await svix.endpoint.create(appA.id, { url: r404.url, uid: 'a2', filterTypes: ['order.paid'] });
    const b1 = await svix.endpoint.create(appB.id, { url: r500.url, uid: 'b1' });
    const m1 = await svix.message.create(appA.id, { eventType: 'order.created', payload: { n: 1 } });
    const m2 = await svix.message.create(appA.id, { eventType: 'order.created', payload: { n: 2 } });
    const m3 = await svix.message.create(appA.id, { eventType: 'order.paid', payload: { n: 3 } });
    const m4 = await svix.message.create(appB.id, { eventType: 'order.created', payload: { n: 4 } });
    await failed(m1.id, a1.id);
    await failed(m2.id, a1.id);
    await failed(m3.id, a2.id);
    await failed(m4.id, b1.id);
    return { state, r500, r404, tenant, svix, appA, appB, a1, a2, b1, m1, m2, m3, m4 };
  }

  it('lists dead letters across applications, filtered and paged newest first', async () => {
    const w = await deadLetterWorld('dead letter list');
    const list = async (query = '') => {
      const res = await w.tenant.client.get(`/api/v1/dead-letter${query}`);
      expect(res.status).toBe(200);
      return res.body as { data: { msgId: string }[]; done: boolean; iterator: string | null };
    };
    const msgIds = async (query = '') => (await list(query)).data.map((d) => d.msgId);

    const all = await list();
    expect(all.data.map((d) => d.msgId)).toEqual([w.m4.id, w.m3.id, w.m2.id, w.m1.id]);
    expect(all.done).toBe(true);
    expect(all.data[0]).toMatchObject({
      appId: w.appB.id,
      appUid: 'app-b',
      endpointId: w.b1.id,
      endpointUrl: w.r500.url,
      eventType: 'order.created',
      attempts: 4,
      lastResponseStatusCode: 500,
    });

    expect(await msgIds(`?application=app-a`)).toEqual([w.m3.id, w.m2.id, w.m1.id]);
    expect(await msgIds(`?application=${w.appA.id}&endpoint=a2`)).toEqual([w.m3.id]);
    expect(await msgIds(`?event_types=order.paid`)).toEqual([w.m3.id]);
    expect(await msgIds(`?event_types=order.paid,order.created&application=app-b`)).toEqual([w.m4.id]);
    expect(await msgIds(`?status_code_class=400`)).toEqual([w.m3.id]);
    expect(await msgIds(`?status_code_class=500`)).toEqual([w.m4.id, w.m2.id, w.m1.id]);
    expect(await msgIds(`?status_code_class=200`)).toEqual([]);

    // Time range on when each failed: [since, until) around the last failure.
    const byFailure = [...(all.data as unknown as { msgId: string; failedAt: string }[])].sort((x, y) =>
      x.failedAt.localeCompare(y.failedAt),
    );
    const last = byFailure[3]!.failedAt;
    const lastOnes = byFailure.filter((d) => d.failedAt === last).map((d) => d.msgId);
    const earlier = byFailure.filter((d) => d.failedAt !== last).map((d) => d.msgId);
    expect((await msgIds(`?since=${last}`)).sort()).toEqual(lastOnes.sort());
    expect((await msgIds(`?until=${last}`)).sort()).toEqual(earlier.sort());

    // Pages of 3 then 1, and back.
    const first = await list('?limit=3');
    expect(first.data.map((d) => d.msgId)).toEqual([w.m4.id, w.m3.id, w.m2.id]);
    expect(first.done).toBe(false);
    const second = await list(`?limit=3&iterator=${first.iterator}`);
    expect(second.data.map((d) => d.msgId)).toEqual([w.m1.id]);
    expect(second.done).toBe(true);

    // Another tenant sees none of them.
    const other = await world.api.newTenant('dead letter outsider');
    expect((await other.client.get('/api/v1/dead-letter')).body.data).toEqual([]);
  });

  it('redrives a filtered set as a background task that delivers again to the real receiver', async () => {
    const w = await deadLetterWorld('redrive');
    w.state.up = true;
    const before = w.r500.received.length;

    const res = await w.tenant.client.post('/api/v1/dead-letter/redrive', {
      application: 'app-a',
      eventTypes: ['order.created'],
    });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      id: expect.stringMatching(/^qtask_/),
      status: 'running',
      task: 'dead-letter.redrive',
      data: { total: 2, processed: 0, redriven: 0 },
    });
    const done = await finished(w.tenant.client, res.body.id);
    expect(done.data).toEqual({ total: 2, processed: 2, redriven: 2 });

    await w.r500.waitForRequests(before + 2);
    const redelivered = w.r500.received.slice(before).map((r) => String(r.headers['webhook-id']));
    expect(redelivered.sort()).toEqual([w.m1.id, w.m2.id].sort());
    await waitFor('m1 and m2 to be delivered', async () => {
      const rows = await prisma.delivery.findMany({ where: { endpointId: w.a1.id } });
      return rows.every((d) => d.status === 'success');
    });
    // Only those: m3 (order.paid) and m4 (application B) are still dead letters.
    const left = await w.tenant.client.get('/api/v1/dead-letter');
    expect(left.body.data.map((d: { msgId: string }) => d.msgId)).toEqual([w.m4.id, w.m3.id]);

    // The task is listed (Svix's list, with its filters) and readable through the svix SDK.
    const task = await w.svix.backgroundTask.get(res.body.id);
    expect(task).toMatchObject({ id: res.body.id, status: BackgroundTaskStatus.Finished });
    const listed = await w.tenant.client.get(
      '/api/v1/background-task?status=finished&task=dead-letter.redrive',
    );
    expect(listed.body.data.map((t: { id: string }) => t.id)).toEqual([res.body.id]);
    expect((await w.tenant.client.get('/api/v1/background-task?status=running')).body.data).toEqual([]);

    // Nothing left to redrive in that set: 200 with a finished task of zero, not an error.
    const empty = await w.tenant.client.post('/api/v1/dead-letter/redrive', {
      application: 'app-a',
      eventTypes: ['order.created'],
    });
    expect(empty.status).toBe(200);
    expect(empty.body).toMatchObject({ status: 'finished', data: { total: 0, processed: 0, redriven: 0 } });
  });

  it('redrives to another endpoint of the same application', async () => {
    const w = await deadLetterWorld('redrive elsewhere');
    const spare = await world.receiver();
    const spareEndpoint = await w.svix.endpoint.create(w.appA.id, { url: spare.url, uid: 'spare' });

    const res = await w.tenant.client.post('/api/v1/dead-letter/redrive', {
      application: 'app-a',
      endpoint: 'a2',
      toEndpoint: 'spare',
    });
    expect(res.status).toBe(202);
    expect((await finished(w.tenant.client, res.body.id)).data).toEqual({
      total: 1,
      processed: 1,
      redriven: 1,
    });
    const [request] = await spare.waitForRequests(1);
    expect(request!.headers['webhook-id']).toBe(w.m3.id);
    const attempts = await w.svix.messageAttempt.listByMsg(w.appA.id, w.m3.id, {
      endpointId: spareEndpoint.id,
    });
    expect(attempts.data.map((a) => a.responseStatusCode)).toEqual([204]);
    // The dead letter itself stays, the record of what failed at a2.
    expect(
      (await prisma.delivery.findFirstOrThrow({ where: { messageId: w.m3.id, endpointId: w.a2.id } })).status,
    ).toBe('fail');
  });

  it('answers 422 naming unknown filter values, and for bad ranges', async () => {
    const w = await deadLetterWorld('dead letter bad input');
    const day = 86_400_000;
    const get = (q: string) => w.tenant.client.get(`/api/v1/dead-letter${q}`);
    const post = (body: object) => w.tenant.client.post('/api/v1/dead-letter/redrive', body);

    const unknownApp = await get('?application=nope');
    expect([unknownApp.status, unknownApp.body.code]).toEqual([422, 'unknown_filter_value']);
    expect(unknownApp.body.detail[0]).toMatchObject({ loc: ['query', 'application'] });
    expect(unknownApp.body.detail[0].msg).toContain('"nope"');

    const unknownEndpoint = await get('?application=app-a&endpoint=b1');
    expect([unknownEndpoint.status, unknownEndpoint.body.code]).toEqual([422, 'unknown_filter_value']);
    expect(unknownEndpoint.body.detail[0].loc).toEqual(['query', 'endpoint']);

    const unknownTypes = await get('?event_types=order.created,order.lost,order.stolen');
    expect([unknownTypes.status, unknownTypes.body.code]).toEqual([422, 'unknown_filter_value']);
    expect(unknownTypes.body.detail[0].msg).toBe('unknown event types: "order.lost", "order.stolen".');

    const endpointAlone = await get('?endpoint=a1');
    expect([endpointAlone.status, endpointAlone.body.code]).toEqual([422, 'endpoint_needs_application']);

    const unknownParam = await get('?colour=red');
    expect(unknownParam.status).toBe(422);
    expect(JSON.stringify(unknownParam.body.detail)).toContain('colour');

    const badClass = await get('?status_code_class=250');
    expect([badClass.status, badClass.body.detail[0].loc]).toEqual([422, ['query', 'status_code_class']]);

    const now = Date.now();
    const inverted = await get(
      `?since=${new Date(now - day).toISOString()}&until=${new Date(now - 2 * day).toISOString()}`,
    );
    expect([inverted.status, inverted.body.code]).toEqual([422, 'invalid_time_range']);
    const tooOld = await get(`?since=${new Date(now - 31 * day).toISOString()}`);
    expect([tooOld.status, tooOld.body.code]).toEqual([422, 'invalid_time_range']);
    expect(tooOld.body.detail[0].msg).toContain('30 days');

    // The same checks on the redrive, in the body; and nothing was redriven by any of them.
    for (const [body, code, loc] of [
      [{ application: 'nope' }, 'unknown_filter_value', ['body', 'application']],
      [{ eventTypes: ['order.lost'] }, 'unknown_filter_value', ['body', 'eventTypes']],
      [{ since: new Date(now - 31 * day).toISOString() }, 'invalid_time_range', ['body', 'since']],
      [
        { since: new Date(now).toISOString(), until: new Date(now - day).toISOString() },
        'invalid_time_range',
        ['body', 'since'],
      ],
      [{ toEndpoint: 'a2' }, 'redrive_target_needs_application', ['body', 'toEndpoint']],
      [{ application: 'app-a', toEndpoint: 'b1' }, 'unknown_filter_value', ['body', 'toEndpoint']],
      [{ application: 'app-a', everything: true }, 'unknown_field', ['body', 'everything']],
    ] as const) {
      const res = await post(body);
      expect([res.status, res.body.code, res.body.detail[0].loc]).toEqual([422, code, loc]);
    }
    expect((await w.tenant.client.get('/api/v1/background-task')).body.data).toEqual([]);
    expect((await get('')).body.data).toHaveLength(4);

    // Tasks: an unknown id, another tenant's id, and a bad filter.
    const missing = await w.tenant.client.get('/api/v1/background-task/qtask_nope');
    expect([missing.status, missing.body.code]).toEqual([404, 'background_task_not_found']);
    const badStatus = await w.tenant.client.get('/api/v1/background-task?status=done');
    expect([badStatus.status, badStatus.body.detail[0].loc]).toEqual([422, ['query', 'status']]);
  });
});

/**
 * A redrive survives a worker restart: one dead letter per step and one step per pass, so the task is
 * still running when the first worker stops; a second worker finishes it without sending any twice. While no
 * worker runs, a second identical submit answers the same task.
 */
describe('a redrive across a worker restart (e2e)', () => {
  const world = new DeliveryWorld(
    testConfig({ BACKGROUND_TASK_BATCH: '1', BACKGROUND_TASK_STEPS_PER_PASS: '1' }),
  );
  let receiver: TestReceiver;

  beforeAll(async () => {
    await world.start();
  });

  afterAll(async () => {
    await world.stop();
  });

  it('resumes where the stopped worker left off and sends each dead letter once', async () => {
    const state = { up: false };
    receiver = await world.receiver(() => (state.up ? { status: 200 } : { status: 503 }));
    const { tenant, svix, app } = await world.tenantWithApp('restart');
    const endpoint = await svix.endpoint.create(app.id, { url: receiver.url });
    const prisma = world.worker.get(PrismaService);
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      ids.push((await svix.message.create(app.id, { eventType: 'x', payload: { i } })).id);
    }
    await waitFor('six dead letters', async () => {
      const n = await prisma.delivery.count({ where: { endpointId: endpoint.id, status: 'fail' } });
      return n === 6;
    });
    state.up = true;
    const before = receiver.received.length;

    await world.worker.close();
    const submit = () => tenant.client.post('/api/v1/dead-letter/redrive', { application: app.id });
    const first = await submit();
    const second = await submit();
    expect([first.status, second.status]).toEqual([202, 202]);
    expect(second.body.id).toBe(first.body.id);
    expect(first.body.data).toEqual({ total: 6, processed: 0, redriven: 0 });

    world.worker = await startWorker(world.config);
    const progressed = await waitFor('the first step', async () => {
      const res = await tenant.client.get(`/api/v1/background-task/${first.body.id}`);
      return res.body.data.processed > 0 && res.body;
    });
    await world.worker.close();
    const atStop = (await tenant.client.get(`/api/v1/background-task/${first.body.id}`)).body;
    expect(atStop.status).toBe('running');
    expect(atStop.data.processed).toBeGreaterThanOrEqual(progressed.data.processed);
    expect(atStop.data.processed).toBeLessThan(6);

    world.worker = await startWorker(world.config);
    const done = await waitFor(
      'the redrive to finish',
      async () => {
        const res = await tenant.client.get(`/api/v1/background-task/${first.body.id}`);
        return res.body.status === 'finished' && res.body;
      },
      { timeoutMs: 20_000 },
    );
    expect(done.data).toEqual({ total: 6, processed: 6, redriven: 6 });
    await receiver.waitForRequests(before + 6);
    await waitFor('all six delivered', async () => {
      const n = await world.worker
        .get(PrismaService)
        .delivery.count({ where: { endpointId: endpoint.id, status: 'success' } });
      return n === 6;
    });
    const redelivered = receiver.received.slice(before).map((r) => String(r.headers['webhook-id']));
    expect(redelivered.sort()).toEqual([...ids].sort());
  });
});
