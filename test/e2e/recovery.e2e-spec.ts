import {
  BackgroundTaskStatus,
  BackgroundTaskType,
  MessageAttemptTriggerType,
  MessageStatus,
  StatusCodeClass,
  Svix,
} from 'svix';
import { PrismaService } from '@app/db';
import { TestReceiver, waitFor, svixError } from '@app/testing';
import { DeliveryWorld } from '../support/delivery-world';

/**
 * Message attempts and endpoint recovery end to end: the svix SDK against the real API, the real worker,
 * PostgreSQL, Redis and real HTTP receivers. Retry schedule for tests: 50ms, 100ms, 200ms (4 attempts).
 */
describe('message attempts and endpoint recovery (e2e)', () => {
  const world = new DeliveryWorld();
  let prisma: PrismaService;

  beforeAll(async () => {
    await world.start();
    prisma = world.worker.get(PrismaService);
  });

  afterAll(async () => {
    await world.stop();
  });

  const statusOf = async (msgId: string, endpointId: string) =>
    (await prisma.delivery.findFirst({ where: { messageId: msgId, endpointId } }))?.status;

  const settled = (msgId: string, endpointId: string, status: 'success' | 'fail') =>
    waitFor(
      `delivery of ${msgId} to ${endpointId} to be ${status}`,
      async () => (await statusOf(msgId, endpointId)) === status,
    );

  const webhookIds = (requests: { headers: Record<string, unknown> }[]) =>
    requests.map((r) => String(r.headers['webhook-id']));

  /** Recover and replay-missing answer a running task; the worker finishes it. */
  const finishedTask = (svix: Svix, taskId: string) =>
    waitFor(`background task ${taskId} to finish`, async () => {
      const task = await svix.backgroundTask.get(taskId);
      return task.status === BackgroundTaskStatus.Finished && task;
    });

  it('lists attempts by endpoint and by message, newest first: fail, fail, then success', async () => {
    const receiver = await world.receiver((_, i) =>
      i < 2 ? { status: 500, body: 'boom' } : { status: 200, body: 'ok' },
    );
    const { svix, app } = await world.tenantWithApp('attempt lists');
    const endpoint = await svix.endpoint.create(app.id, { url: receiver.url, uid: 'primary' });
    const msg = await svix.message.create(app.id, {
      eventType: 'invoice.paid',
      eventId: 'evt-attempts',
      payload: { n: 1 },
      channels: ['eu'],
      tags: ['vip'],
    });
    await settled(msg.id, endpoint.id, 'success');

    const byEndpoint = await svix.messageAttempt.listByEndpoint(app.id, endpoint.id);
    expect(byEndpoint.data.map((a) => [a.status, a.statusText, a.responseStatusCode])).toEqual([
      [MessageStatus.Success, 'success', 200],
      [MessageStatus.Fail, 'fail', 500],
      [MessageStatus.Fail, 'fail', 500],
    ]);
    expect(byEndpoint.done).toBe(true);
    const ids = byEndpoint.data.map((a) => a.id);
    expect([...ids].sort().reverse()).toEqual(ids);
    const first = byEndpoint.data[2]!;
    expect(first).toMatchObject({
      msgId: msg.id,
      endpointId: endpoint.id,
      url: receiver.url,
      response: 'boom',
      triggerType: MessageAttemptTriggerType.Scheduled,
    });
    expect(first.id).toMatch(/^atmpt_/);
    expect(first.timestamp).toBeInstanceOf(Date);
    expect(first.responseDurationMs).toBeGreaterThanOrEqual(0);
    expect(first.msg).toBeUndefined();

    // By message (id or eventId, endpoint id or uid), the same attempts.
    const byMsg = await svix.messageAttempt.listByMsg(app.id, msg.id);
    expect(byMsg.data.map((a) => a.id)).toEqual(ids);
    const byEventId = await svix.messageAttempt.listByMsg(app.id, 'evt-attempts', { endpointId: 'primary' });
    expect(byEventId.data.map((a) => a.id)).toEqual(ids);

    // The filters the SDK sends.
    const count = async (options: Parameters<typeof svix.messageAttempt.listByEndpoint>[2]) =>
      (await svix.messageAttempt.listByEndpoint(app.id, 'primary', options)).data.length;
    expect(await count({ status: MessageStatus.Fail })).toBe(2);
    expect(await count({ status: MessageStatus.Success })).toBe(1);
    expect(await count({ statusCodeClass: StatusCodeClass.Code5xx })).toBe(2);
    expect(await count({ statusCodeClass: StatusCodeClass.Code2xx })).toBe(1);
    expect(await count({ statusCodeClass: StatusCodeClass.CodeNone })).toBe(0);
    expect(await count({ eventTypes: ['invoice.paid', 'other'] })).toBe(3);
    expect(await count({ eventTypes: ['other'] })).toBe(0);
    expect(await count({ channel: 'eu' })).toBe(3);
    expect(await count({ channel: 'us' })).toBe(0);
    expect(await count({ tag: 'vip' })).toBe(3);
    expect(await count({ tag: 'nobody' })).toBe(0);
    expect(await count({ after: byEndpoint.data[1]!.timestamp })).toBe(1);
    expect(await count({ before: byEndpoint.data[1]!.timestamp })).toBe(1);
    expect(
      (await svix.messageAttempt.listByMsg(app.id, msg.id, { status: MessageStatus.Fail })).data,
    ).toHaveLength(2);

    const withoutContent = await svix.messageAttempt.listByEndpoint(app.id, endpoint.id, {
      withContent: false,
    });
    expect(withoutContent.data.map((a) => a.response)).toEqual(['{}', '{}', '{}']);
    const withMsg = await svix.messageAttempt.listByEndpoint(app.id, endpoint.id, { withMsg: true });
    expect(withMsg.data[0]!.msg).toMatchObject({
      id: msg.id,
      eventType: 'invoice.paid',
      eventId: 'evt-attempts',
      channels: ['eu'],
      tags: ['vip'],
      payload: {},
    });

    // One attempt, by message id or eventId.
    expect(await svix.messageAttempt.get(app.id, msg.id, first.id)).toEqual(first);
    expect((await svix.messageAttempt.get(app.id, 'evt-attempts', first.id)).id).toBe(first.id);

    // Expunging the response body keeps the attempt.
    await svix.messageAttempt.expungeContent(app.id, msg.id, first.id);
    expect(await svix.messageAttempt.get(app.id, msg.id, first.id)).toEqual({
      ...first,
      response: 'EXPUNGED',
    });
  });

  it('lists the destinations of a message and the messages of an endpoint, with delivery status', async () => {
    const ok = await world.receiver();
    const down = await world.receiver(() => ({ status: 503 }));
    const { svix, app } = await world.tenantWithApp('destinations');
    const okEndpoint = await svix.endpoint.create(app.id, { url: ok.url });
    const downEndpoint = await svix.endpoint.create(app.id, { url: down.url, uid: 'down' });
    const m1 = await svix.message.create(app.id, { eventType: 'a', payload: { n: 1 } });
    const m2 = await svix.message.create(app.id, { eventType: 'a', payload: { n: 2 } });
    const deliverAt = new Date(Date.now() + 3_600_000);
    const later = await svix.message.create(app.id, { eventType: 'a', payload: { n: 3 }, deliverAt });
    for (const m of [m1, m2]) {
      await settled(m.id, okEndpoint.id, 'success');
      await settled(m.id, downEndpoint.id, 'fail');
    }

    const destinations = await svix.messageAttempt.listAttemptedDestinations(app.id, m1.id);
    expect(destinations.data.map((d) => [d.id, d.status, d.statusText])).toEqual([
      [downEndpoint.id, MessageStatus.Fail, 'fail'],
      [okEndpoint.id, MessageStatus.Success, 'success'],
    ]);
    expect(destinations.data[0]).toMatchObject({
      uid: 'down',
      url: down.url,
      disabled: false,
      nextAttempt: null,
    });
    expect(destinations.data[0]!.createdAt).toEqual(downEndpoint.createdAt);

    const firstPage = await svix.messageAttempt.listAttemptedDestinations(app.id, m1.id, { limit: 1 });
    expect(firstPage).toMatchObject({ done: false });
    const secondPage = await svix.messageAttempt.listAttemptedDestinations(app.id, m1.id, {
      limit: 1,
      iterator: firstPage.iterator,
    });
    expect([firstPage.data[0]!.id, secondPage.data[0]!.id, secondPage.done]).toEqual([
      downEndpoint.id,
      okEndpoint.id,
      true,
    ]);

    // A delivery still waiting for its time shows as pending with its next attempt.
    const waiting = await svix.messageAttempt.listAttemptedDestinations(app.id, later.id);
    expect(waiting.data.map((d) => [d.status, d.nextAttempt?.getTime()])).toEqual([
      [MessageStatus.Pending, deliverAt.getTime()],
      [MessageStatus.Pending, deliverAt.getTime()],
    ]);

    const messages = await svix.messageAttempt.listAttemptedMessages(app.id, okEndpoint.id);
    expect(messages.data.map((m) => [m.id, m.status, m.payload])).toEqual([
      [later.id, MessageStatus.Pending, { n: 3 }],
      [m2.id, MessageStatus.Success, { n: 2 }],
      [m1.id, MessageStatus.Success, { n: 1 }],
    ]);
    expect(messages.data[0]!.nextAttempt).toEqual(deliverAt);
    const failed = await svix.messageAttempt.listAttemptedMessages(app.id, 'down', {
      status: MessageStatus.Fail,
      withContent: false,
    });
    expect(failed.data.map((m) => [m.id, m.payload])).toEqual([
      [m2.id, {}],
      [m1.id, {}],
    ]);
  });

  it('resends a delivered message: the same webhook-id arrives again, signed, as a manual attempt', async () => {
    const receiver = await world.receiver();
    const { svix, app } = await world.tenantWithApp('resend');
    const endpoint = await svix.endpoint.create(app.id, { url: receiver.url });
    const { key: secret } = await svix.endpoint.getSecret(app.id, endpoint.id);
    const msg = await svix.message.create(app.id, { eventType: 'resent', payload: { again: true } });
    await settled(msg.id, endpoint.id, 'success');

    expect(await svix.messageAttempt.resend(app.id, msg.id, endpoint.id)).toEqual({});
    const [first, second] = await receiver.waitForRequests(2);
    expect(webhookIds([first!, second!])).toEqual([msg.id, msg.id]);
    expect(TestReceiver.verify(second!, secret)).toEqual({ again: true });

    const attempts = await waitFor('the manual attempt to be recorded', async () => {
      const page = await svix.messageAttempt.listByMsg(app.id, msg.id);
      return page.data.length === 2 && page.data;
    });
    expect(attempts.map((a) => [a.triggerType, a.status])).toEqual([
      [MessageAttemptTriggerType.Manual, MessageStatus.Success],
      [MessageAttemptTriggerType.Scheduled, MessageStatus.Success],
    ]);
    expect(await statusOf(msg.id, endpoint.id)).toBe('success');
  });

  it('resends to an endpoint the message was never routed to: filtered out, or created after it', async () => {
    const filtered = await world.receiver();
    const late = await world.receiver();
    const { svix, app } = await world.tenantWithApp('resend anywhere');
    await svix.eventType.create({ name: 'invoice.paid', description: 'paid' });
    const filteredEndpoint = await svix.endpoint.create(app.id, {
      url: filtered.url,
      filterTypes: ['invoice.paid'],
    });
    const msg = await svix.message.create(app.id, { eventType: 'user.created', payload: { n: 1 } });
    await svix.endpoint.create(app.id, { url: late.url, uid: 'late' });
    expect((await svix.messageAttempt.listAttemptedDestinations(app.id, msg.id)).data).toEqual([]);

    await svix.messageAttempt.resend(app.id, msg.id, filteredEndpoint.id);
    await svix.messageAttempt.resend(app.id, msg.id, 'late');
    expect(webhookIds(await filtered.waitForRequests(1))).toEqual([msg.id]);
    expect(webhookIds(await late.waitForRequests(1))).toEqual([msg.id]);
    await waitFor('both deliveries to succeed', async () => {
      const page = await svix.messageAttempt.listAttemptedDestinations(app.id, msg.id);
      return page.data.length === 2 && page.data.every((d) => d.status === MessageStatus.Success);
    });
  });

  it('refuses manual sending to a disabled endpoint with 409 endpoint_disabled', async () => {
    const receiver = await world.receiver();
    const { svix, app } = await world.tenantWithApp('disabled');
    const endpoint = await svix.endpoint.create(app.id, { url: receiver.url });
    const msg = await svix.message.create(app.id, { eventType: 'x', payload: {} });
    await settled(msg.id, endpoint.id, 'success');
    await svix.endpoint.patch(app.id, endpoint.id, { disabled: true });

    const since = new Date(Date.now() - 60_000);
    // Lazily, one at a time: an eager call would reject before anything awaits it.
    for (const call of [
      () => svix.messageAttempt.resend(app.id, msg.id, endpoint.id),
      () => svix.endpoint.recover(app.id, endpoint.id, { since }),
      () => svix.endpoint.replayMissing(app.id, endpoint.id, { since }),
      () => svix.endpoint.sendExample(app.id, endpoint.id, { eventType: 'svix.ping' }),
    ]) {
      const error = await svixError(call());
      expect([error.code, error.body.code]).toEqual([409, 'endpoint_disabled']);
    }
    expect(receiver.received).toHaveLength(1);
  });

  it('recovers the failed deliveries of [since, until) once the receiver is back', async () => {
    let up = false;
    const receiver = await world.receiver(() => (up ? { status: 200 } : { status: 500 }));
    const { tenant, svix, app } = await world.tenantWithApp('recover');
    const endpoint = await svix.endpoint.create(app.id, { url: receiver.url });
    const old = await svix.message.create(app.id, { eventType: 'r', payload: { m: 'old' } });
    await settled(old.id, endpoint.id, 'fail');
    const since = new Date();
    const m1 = await svix.message.create(app.id, { eventType: 'r', payload: { m: 1 } });
    const m2 = await svix.message.create(app.id, { eventType: 'r', payload: { m: 2 } });
    await settled(m1.id, endpoint.id, 'fail');
    await settled(m2.id, endpoint.id, 'fail');
    up = true;
    const failedSoFar = receiver.received.length;

    // Only m1 was created in [since, m2's time).
    const firstRun = await tenant.client.post(`/api/v1/app/${app.id}/endpoint/${endpoint.id}/recover`, {
      since: since.toISOString(),
      until: m2.timestamp.toISOString(),
    });
    expect(firstRun.status).toBe(202);
    expect(firstRun.body).toMatchObject({
      id: expect.stringMatching(/^qtask_/),
      status: 'running',
      task: 'endpoint.recover',
      data: { messagesSent: 0 },
    });
    expect((await finishedTask(svix, firstRun.body.id)).data).toEqual({ messagesSent: 1 });
    await settled(m1.id, endpoint.id, 'success');
    expect(await statusOf(m2.id, endpoint.id)).toBe('fail');

    const secondRun = await svix.endpoint.recover(app.id, endpoint.id, { since });
    expect(secondRun).toMatchObject({
      status: BackgroundTaskStatus.Running,
      task: BackgroundTaskType.EndpointRecover,
    });
    expect(secondRun.updatedAt).toBeInstanceOf(Date);
    await finishedTask(svix, secondRun.id);
    await settled(m2.id, endpoint.id, 'success');

    expect(webhookIds(receiver.received.slice(failedSoFar))).toEqual([m1.id, m2.id]);
    expect(await statusOf(old.id, endpoint.id)).toBe('fail');
    const recovered = await svix.messageAttempt.listByMsg(app.id, m1.id);
    expect(recovered.data[0]).toMatchObject({
      triggerType: MessageAttemptTriggerType.Manual,
      status: MessageStatus.Success,
    });
    expect(recovered.data).toHaveLength(5);

    // Nothing failed is left in the window.
    const again = await tenant.client.post(`/api/v1/app/${app.id}/endpoint/${endpoint.id}/recover`, {
      since: since.toISOString(),
    });
    expect((await finishedTask(svix, again.body.id)).data).toEqual({ messagesSent: 0 });
  });

  it('replays to an endpoint created later the messages it never got, through its filters', async () => {
    const first = await world.receiver();
    const { tenant, svix, app } = await world.tenantWithApp('replay');
    await svix.eventType.create({ name: 'order.created', description: 'created' });
    const since = new Date();
    const firstEndpoint = await svix.endpoint.create(app.id, { url: first.url });
    const m1 = await svix.message.create(app.id, { eventType: 'order.created', payload: { n: 1 } });
    const m2 = await svix.message.create(app.id, { eventType: 'order.deleted', payload: { n: 2 } });
    const m3 = await svix.message.create(app.id, { eventType: 'order.created', payload: { n: 3 } });
    await first.waitForRequests(3);

    const late = await world.receiver();
    const lateEndpoint = await svix.endpoint.create(app.id, {
      url: late.url,
      filterTypes: ['order.created'],
    });
    const task = await svix.endpoint.replayMissing(app.id, lateEndpoint.id, { since });
    expect(task).toMatchObject({
      status: BackgroundTaskStatus.Running,
      task: BackgroundTaskType.EndpointReplay,
    });
    const replayed = await finishedTask(svix, task.id);
    expect(replayed).toMatchObject({ task: BackgroundTaskType.EndpointReplay, data: { messagesSent: 2 } });

    expect(webhookIds(await late.waitForRequests(2)).sort()).toEqual([m1.id, m3.id].sort());
    await settled(m1.id, lateEndpoint.id, 'success');
    await settled(m3.id, lateEndpoint.id, 'success');
    expect(await statusOf(m2.id, lateEndpoint.id)).toBeUndefined();
    const attempt = (await svix.messageAttempt.listByMsg(app.id, m1.id, { endpointId: lateEndpoint.id }))
      .data;
    expect(attempt.map((a) => a.triggerType)).toEqual([MessageAttemptTriggerType.Manual]);

    // A second replay finds nothing missing; the first endpoint was never touched.
    const again = await tenant.client.post(
      `/api/v1/app/${app.id}/endpoint/${lateEndpoint.id}/replay-missing`,
      {
        since: since.toISOString(),
      },
    );
    expect([again.status, again.body.status]).toEqual([202, 'running']);
    expect((await finishedTask(svix, again.body.id)).data).toEqual({ messagesSent: 0 });
    expect(first.received).toHaveLength(3);
    expect(await prisma.delivery.count({ where: { endpointId: firstEndpoint.id } })).toBe(3);
  });

  it('counts an endpoint’s deliveries by status', async () => {
    const ok = await world.receiver();
    const down = await world.receiver(() => ({ status: 500 }));
    const { svix, app } = await world.tenantWithApp('stats');
    const okEndpoint = await svix.endpoint.create(app.id, { url: ok.url });
    const downEndpoint = await svix.endpoint.create(app.id, { url: down.url });
    const sent = [
      await svix.message.create(app.id, { eventType: 's', payload: {} }),
      await svix.message.create(app.id, { eventType: 's', payload: {} }),
    ];
    await svix.message.create(app.id, {
      eventType: 's',
      payload: {},
      deliverAt: new Date(Date.now() + 3_600_000),
    });
    for (const m of sent) {
      await settled(m.id, okEndpoint.id, 'success');
      await settled(m.id, downEndpoint.id, 'fail');
    }

    expect(await svix.endpoint.getStats(app.id, okEndpoint.id)).toEqual({
      success: 2,
      pending: 1,
      sending: 0,
      fail: 0,
      canceled: 0,
    });
    expect(await svix.endpoint.getStats(app.id, downEndpoint.id)).toMatchObject({
      success: 0,
      pending: 1,
      fail: 2,
    });
    const since = new Date();
    expect(await svix.endpoint.getStats(app.id, okEndpoint.id, { since })).toMatchObject({
      success: 0,
      pending: 0,
    });

    const future = await svixError(
      svix.endpoint.getStats(app.id, okEndpoint.id, { until: new Date(Date.now() + 3_600_000) }),
    );
    expect([future.code, future.body.code]).toEqual([400, 'invalid_range']);
    const tooLong = await svixError(
      svix.endpoint.getStats(app.id, okEndpoint.id, { since: new Date(Date.now() - 40 * 86_400_000) }),
    );
    expect([tooLong.code, tooLong.body.code]).toEqual([400, 'invalid_range']);
  });

  it('sends an example message to that endpoint only, signed', async () => {
    const target = await world.receiver();
    const bystander = await world.receiver();
    const { svix, app } = await world.tenantWithApp('send example');
    const examples = [{ invoice: 'in_1', amount: 100 }, { invoice: 'in_2' }];
    await svix.eventType.create({
      name: 'invoice.paid',
      description: 'paid',
      schemas: { '1': { type: 'object', examples } },
    });
    await svix.eventType.create({ name: 'invoice.voided', description: 'no schema' });
    const endpoint = await svix.endpoint.create(app.id, { url: target.url });
    const other = await svix.endpoint.create(app.id, { url: bystander.url });
    const { key: secret } = await svix.endpoint.getSecret(app.id, endpoint.id);

    const msg = await svix.endpoint.sendExample(app.id, endpoint.id, { eventType: 'invoice.paid' });
    expect(msg).toMatchObject({ eventType: 'invoice.paid', payload: examples[0] });
    expect(msg.id).toMatch(/^msg_/);
    const [request] = await target.waitForRequests(1);
    expect(request!.headers['webhook-id']).toBe(msg.id);
    expect(TestReceiver.verify(request!, secret)).toEqual(examples[0]);

    const second = await svix.endpoint.sendExample(app.id, endpoint.id, {
      eventType: 'invoice.paid',
      exampleIndex: 1,
    });
    const ping = await svix.endpoint.sendExample(app.id, endpoint.id, { eventType: 'svix.ping' });
    const bare = await svix.endpoint.sendExample(app.id, endpoint.id, { eventType: 'invoice.voided' });
    expect([second.payload, ping.payload, bare.payload]).toEqual([
      examples[1],
      { success: true },
      { data: {} },
    ]);
    const requests = await target.waitForRequests(4);
    expect(requests.slice(1).map((r) => TestReceiver.verify(r, secret))).toEqual([
      examples[1],
      { success: true },
      { data: {} },
    ]);

    const unknown = await svixError(svix.endpoint.sendExample(app.id, endpoint.id, { eventType: 'nope' }));
    expect([unknown.code, unknown.body.code]).toEqual([404, 'event_type_not_found']);
    const outOfRange = await svixError(
      svix.endpoint.sendExample(app.id, endpoint.id, { eventType: 'invoice.paid', exampleIndex: 2 }),
    );
    expect([outOfRange.code, outOfRange.body.detail[0].loc]).toEqual([422, ['body', 'exampleIndex']]);

    for (const m of [msg, second, ping, bare]) await settled(m.id, endpoint.id, 'success');
    expect(await prisma.delivery.count({ where: { endpointId: other.id } })).toBe(0);
    expect(bystander.received).toHaveLength(0);
  });

  it('pages through attempts with iterator and prevIterator', async () => {
    const receiver = await world.receiver(() => ({ status: 500 }));
    const { svix, app } = await world.tenantWithApp('paging');
    const endpoint = await svix.endpoint.create(app.id, { url: receiver.url });
    const m1 = await svix.message.create(app.id, { eventType: 'p', payload: {} });
    const m2 = await svix.message.create(app.id, { eventType: 'p', payload: {} });
    await settled(m1.id, endpoint.id, 'fail');
    await settled(m2.id, endpoint.id, 'fail');
    const stored = await prisma.deliveryAttempt.findMany({
      where: { endpointId: endpoint.id },
      orderBy: { id: 'desc' },
      select: { id: true },
    });
    expect(stored).toHaveLength(8);

    const pages = [];
    let iterator: string | null | undefined;
    for (;;) {
      const page = await svix.messageAttempt.listByEndpoint(app.id, endpoint.id, { limit: 3, iterator });
      pages.push(page);
      if (page.done) break;
      iterator = page.iterator;
    }
    expect(pages.map((p) => [p.data.length, p.done])).toEqual([
      [3, false],
      [3, false],
      [2, true],
    ]);
    expect(pages.flatMap((p) => p.data.map((a) => a.id))).toEqual(stored.map((a) => a.id));

    const back = await svix.messageAttempt.listByEndpoint(app.id, endpoint.id, {
      limit: 3,
      iterator: pages[1]!.prevIterator,
    });
    expect(back.data.map((a) => a.id)).toEqual(pages[0]!.data.map((a) => a.id));

    const firstOfMsg = await svix.messageAttempt.listByMsg(app.id, m1.id, { limit: 3 });
    const restOfMsg = await svix.messageAttempt.listByMsg(app.id, m1.id, {
      limit: 3,
      iterator: firstOfMsg.iterator,
    });
    expect([firstOfMsg.data.length, firstOfMsg.done, restOfMsg.data.length, restOfMsg.done]).toEqual([
      3,
      false,
      1,
      true,
    ]);
  });

  it('answers 404 for another tenant’s application, endpoint, message and attempt, as for unknown ones', async () => {
    const receiver = await world.receiver();
    const owner = await world.tenantWithApp('owner');
    const endpoint = await owner.svix.endpoint.create(owner.app.id, { url: receiver.url });
    const msg = await owner.svix.message.create(owner.app.id, { eventType: 'secret', payload: { s: 1 } });
    await settled(msg.id, endpoint.id, 'success');
    const [attempt] = (await owner.svix.messageAttempt.listByMsg(owner.app.id, msg.id)).data;

    const intruder = await world.tenantWithApp('intruder');
    const ownMsg = await intruder.svix.message.create(intruder.app.id, { eventType: 'mine', payload: {} });
    const since = new Date(Date.now() - 60_000).toISOString();
    type Route = [
      method: string,
      path: (app: string, ep: string, msg: string, atmpt: string) => string,
      body?: object,
    ];
    const routes: Route[] = [
      ['GET', (a, e) => `/api/v1/app/${a}/attempt/endpoint/${e}`],
      ['GET', (a, _, m) => `/api/v1/app/${a}/attempt/msg/${m}`],
      ['GET', (a, _, m, t) => `/api/v1/app/${a}/msg/${m}/attempt/${t}`],
      ['DELETE', (a, _, m, t) => `/api/v1/app/${a}/msg/${m}/attempt/${t}/content`],
      ['GET', (a, _, m) => `/api/v1/app/${a}/msg/${m}/endpoint`],
      ['GET', (a, e) => `/api/v1/app/${a}/endpoint/${e}/msg`],
      ['POST', (a, e, m) => `/api/v1/app/${a}/msg/${m}/endpoint/${e}/resend`],
      ['POST', (a, e) => `/api/v1/app/${a}/endpoint/${e}/recover`, { since }],
      ['POST', (a, e) => `/api/v1/app/${a}/endpoint/${e}/replay-missing`, { since }],
      ['GET', (a, e) => `/api/v1/app/${a}/endpoint/${e}/stats`],
      ['POST', (a, e) => `/api/v1/app/${a}/endpoint/${e}/send-example`, { eventType: 'svix.ping' }],
    ];
    const call = (method: string, path: string, body?: object) =>
      intruder.tenant.client.request(method, path, body);
    const unknown = {
      app: 'app_01JZZZZZZZZZZZZZZZZZZZZZZZ',
      ep: 'ep_01JZZZZZZZZZZZZZZZZZZZZZZZ',
      msg: 'msg_01JZZZZZZZZZZZZZZZZZZZZZZZ',
    };

    for (const [method, path, body] of routes) {
      for (const app of [owner.app.id, unknown.app]) {
        const res = await call(method, path(app, endpoint.id, msg.id, attempt!.id), body);
        expect([method, path(':app', ':ep', ':msg', ':atmpt'), res.status, res.body.code]).toEqual([
          method,
          path(':app', ':ep', ':msg', ':atmpt'),
          404,
          'application_not_found',
        ]);
      }
    }
    // In the intruder's own application, the owner's ids are as unknown as made-up ones.
    const inOwnApp: [Route, string][] = [
      [routes[0]!, 'endpoint_not_found'],
      [routes[1]!, 'message_not_found'],
      [routes[2]!, 'message_not_found'],
      [routes[3]!, 'message_not_found'],
      [routes[4]!, 'message_not_found'],
      [routes[5]!, 'endpoint_not_found'],
      [routes[6]!, 'message_not_found'],
      [routes[7]!, 'endpoint_not_found'],
      [routes[8]!, 'endpoint_not_found'],
      [routes[9]!, 'endpoint_not_found'],
      [routes[10]!, 'endpoint_not_found'],
    ];
    for (const [[method, path, body], code] of inOwnApp) {
      for (const ids of [
        [endpoint.id, msg.id],
        [unknown.ep, unknown.msg],
      ]) {
        const res = await call(method, path(intruder.app.id, ids[0]!, ids[1]!, attempt!.id), body);
        expect([path(':app', ':ep', ':msg', ':atmpt'), res.status, res.body.code]).toEqual([
          path(':app', ':ep', ':msg', ':atmpt'),
          404,
          code,
        ]);
      }
    }
    // The owner's attempt under the intruder's own message, and the owner's endpoint as a filter.
    for (const method of ['GET', 'DELETE']) {
      const suffix = method === 'DELETE' ? '/content' : '';
      const res = await call(
        method,
        `/api/v1/app/${intruder.app.id}/msg/${ownMsg.id}/attempt/${attempt!.id}${suffix}`,
      );
      expect([res.status, res.body.code]).toEqual([404, 'message_attempt_not_found']);
    }
    const filtered = await call(
      'GET',
      `/api/v1/app/${intruder.app.id}/attempt/msg/${ownMsg.id}?endpoint_id=${endpoint.id}`,
    );
    expect([filtered.status, filtered.body.code]).toEqual([404, 'endpoint_not_found']);

    // Nothing leaked: no resend, no expunge, no example reached the owner's receiver.
    expect(receiver.received).toHaveLength(1);
    expect(await owner.svix.messageAttempt.get(owner.app.id, msg.id, attempt!.id)).toEqual(attempt);
  });

  it('answers 422 for bad input, naming the field', async () => {
    const { tenant, svix, app } = await world.tenantWithApp('bad input');
    const endpoint = await svix.endpoint.create(app.id, { url: 'https://example.com/hooks' });
    const msg = await svix.message.create(app.id, { eventType: 'b', payload: {} });
    const base = `/api/v1/app/${app.id}`;
    const day = 86_400_000;
    const cases: [string, string, object | undefined, (string | number)[]][] = [
      ['POST', `${base}/endpoint/${endpoint.id}/recover`, { since: 'yesterday' }, ['body', 'since']],
      ['POST', `${base}/endpoint/${endpoint.id}/recover`, {}, ['body', 'since']],
      [
        'POST',
        `${base}/endpoint/${endpoint.id}/recover`,
        { since: new Date(Date.now() - 15 * day).toISOString() },
        ['body', 'since'],
      ],
      [
        'POST',
        `${base}/endpoint/${endpoint.id}/recover`,
        { since: new Date().toISOString(), until: new Date(Date.now() - day).toISOString() },
        ['body', 'until'],
      ],
      [
        'POST',
        `${base}/endpoint/${endpoint.id}/replay-missing`,
        { since: '2026-13-45T00:00:00Z' },
        ['body', 'since'],
      ],
      ['GET', `${base}/endpoint/${endpoint.id}/stats?since=last-week`, undefined, ['query', 'since']],
      ['POST', `${base}/endpoint/${endpoint.id}/send-example`, {}, ['body', 'eventType']],
      [
        'POST',
        `${base}/endpoint/${endpoint.id}/send-example`,
        { eventType: 'x', exampleIndex: -1 },
        ['body', 'exampleIndex'],
      ],
      ['GET', `${base}/attempt/endpoint/${endpoint.id}?limit=0`, undefined, ['query', 'limit']],
      ['GET', `${base}/attempt/endpoint/${endpoint.id}?limit=251`, undefined, ['query', 'limit']],
      ['GET', `${base}/attempt/msg/${msg.id}?limit=abc`, undefined, ['query', 'limit']],
      ['GET', `${base}/attempt/endpoint/${endpoint.id}?status=9`, undefined, ['query', 'status']],
      [
        'GET',
        `${base}/attempt/endpoint/${endpoint.id}?status_code_class=250`,
        undefined,
        ['query', 'status_code_class'],
      ],
      ['GET', `${base}/attempt/msg/${msg.id}?before=soon`, undefined, ['query', 'before']],
      ['GET', `${base}/attempt/msg/${msg.id}?event_types=a,b%20c`, undefined, ['query', 'event_types', 1]],
      ['GET', `${base}/msg/${msg.id}/endpoint?limit=300`, undefined, ['query', 'limit']],
      ['GET', `${base}/endpoint/${endpoint.id}/msg?with_content=maybe`, undefined, ['query', 'with_content']],
    ];
    for (const [method, path, body, loc] of cases) {
      const res = await tenant.client.request(method, path, body);
      expect([method, path, res.status, res.body.code, res.body.detail?.[0]?.loc]).toEqual([
        method,
        path,
        422,
        'validation_error',
        loc,
      ]);
    }
    // Through the SDK: a 422 is an ApiException with Svix's HTTPValidationError body.
    const sdk = await svixError(svix.messageAttempt.listByEndpoint(app.id, endpoint.id, { limit: 500 }));
    expect([sdk.code, sdk.body.detail[0].loc]).toEqual([422, ['query', 'limit']]);
  });
});
