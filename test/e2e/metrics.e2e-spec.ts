import { createServer } from 'node:net';
import { PrismaService } from '@app/db';
import { testConfig, waitFor } from '@app/testing';
import { DeliveryWorld } from '../support/delivery-world';

/** A port the system says is free now, for the worker's metrics listener. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

/** The value of one sample in Prometheus text, e.g. `name{a="b"}`; undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = (match[2] ?? '').split(/,(?=[a-zA-Z_]+=")/).filter(Boolean);
    if (wanted.every((pair) => have.includes(pair))) return Number(match[3]);
  }
  return undefined;
}

/**
 * One message through the real API, worker and receiver, then both /metrics scraped: the counters and
 * histograms that message should move have moved, and an SSRF-blocked endpoint shows up as such.
 */
describe('Prometheus metrics (e2e)', () => {
  let world: DeliveryWorld;
  let workerMetrics: string;

  beforeAll(async () => {
    const port = await freePort();
    world = await new DeliveryWorld(
      testConfig({ WORKER_METRICS_PORT: String(port), DELIVERY_RETRY_SCHEDULE: '1h' }),
    ).start();
    workerMetrics = `http://127.0.0.1:${port}/metrics`;
  });

  afterAll(async () => {
    await world.stop();
  });

  const scrapeWorker = async () => (await fetch(workerMetrics)).text();
  const scrapeApi = async () => {
    const res = await world.api.admin.get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    return res.body as string;
  };

  it('counts an accepted message, its successful attempt and its latency on both processes', async () => {
    const receiver = await world.receiver();
    const { svix, app } = await world.tenantWithApp('metrics');
    const endpoint = await svix.endpoint.create(app.id, { url: receiver.url });
    const msg = await svix.message.create(app.id, { eventType: 'invoice.paid', payload: { n: 1 } });
    await receiver.waitForRequests(1);
    await waitFor('the attempt to be recorded', async () => {
      const delivery = await world.deliveryOf(msg.id, endpoint.id);
      return delivery.status === 'success';
    });

    const api = await scrapeApi();
    expect(sample(api, 'hookrelay_messages_accepted_total')).toBe(1);
    expect(sample(api, 'hookrelay_deliveries_created_total')).toBe(1);
    expect(
      sample(api, 'hookrelay_http_request_duration_seconds_count', {
        method: 'POST',
        route: '/api/v1/app/:appId/msg',
        status_class: '2xx',
      }),
    ).toBe(1);

    const worker = await waitFor('the worker to count the attempt', async () => {
      const text = await scrapeWorker();
      return sample(text, 'hookrelay_delivery_attempts_total', { outcome: 'success' }) === 1 && text;
    });
    expect(sample(worker, 'hookrelay_delivery_latency_seconds_count')).toBe(1);
    expect(sample(worker, 'hookrelay_delivery_attempt_duration_seconds_count', { result: 'success' })).toBe(
      1,
    );
    expect(sample(worker, 'hookrelay_queue_jobs', { queue: 'delivery', state: 'waiting' })).toBe(0);
    expect(sample(worker, 'hookrelay_queue_lag_seconds', { queue: 'delivery' })).toBe(0);
    expect(sample(worker, 'hookrelay_process_cpu_seconds_total')).toBeGreaterThan(0);
  });

  it('counts an attempt refused by the SSRF guard, which ends the delivery at once', async () => {
    const { svix, app } = await world.tenantWithApp('metrics ssrf');
    // The API refuses this address at write time, so it is written past the API, as a row from before that
    // check would hold it: the cloud metadata address, refused even with DELIVERY_ALLOWED_CIDRS.
    const endpoint = await svix.endpoint.create(app.id, { url: 'https://example.com/hook' });
    await world.worker
      .get(PrismaService)
      .endpoint.update({ where: { id: endpoint.id }, data: { url: 'http://169.254.169.254/hook' } });
    const msg = await svix.message.create(app.id, { eventType: 'invoice.paid', payload: { n: 2 } });
    await waitFor('the blocked attempt to be recorded', async () => {
      const delivery = await world.deliveryOf(msg.id, endpoint.id);
      return delivery.attemptCount === 1;
    });

    const worker = await waitFor('the worker to count the block', async () => {
      const text = await scrapeWorker();
      return sample(text, 'hookrelay_ssrf_blocked_total') === 1 && text;
    });
    expect(sample(worker, 'hookrelay_delivery_attempts_total', { outcome: 'fail' })).toBe(1);
    expect(sample(worker, 'hookrelay_queue_jobs', { queue: 'delivery', state: 'delayed' })).toBe(0);
  });

  it('keeps the API metrics for the operator, and the worker listener answers /metrics only', async () => {
    const anonymous = await world.api.anonymous.get('/metrics');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toMatchObject({ code: 'unauthorized' });
    const tenant = await world.api.newTenant('not an operator');
    expect((await tenant.client.get('/metrics')).status).toBe(401);
    expect((await fetch(workerMetrics.replace('/metrics', '/other'))).status).toBe(404);
  });
});
