import { testConfig } from '@app/testing';
import { startApi, RunningApi } from '../../../../test/support/running-api';

/** Collects the API's JSON log lines and lets a test await the one it expects. */
class LogLines {
  readonly lines: Record<string, any>[] = [];
  private waiters: { match: (line: Record<string, any>) => boolean; resolve: (line: any) => void }[] = [];

  write(chunk: string): void {
    for (const text of chunk.split('\n').filter(Boolean)) {
      const line = JSON.parse(text) as Record<string, any>;
      this.lines.push(line);
      this.waiters = this.waiters.filter((w) => !(w.match(line) && (w.resolve(line), true)));
    }
  }

  next(match: (line: Record<string, any>) => boolean): Promise<Record<string, any>> {
    const seen = this.lines.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }
}

describe('access log (real API over HTTP)', () => {
  const logs = new LogLines();
  let api: RunningApi;

  beforeAll(async () => {
    api = await startApi(testConfig({ LOG_LEVEL: 'info' }), { logDestination: logs });
  });

  afterAll(async () => {
    await api.close();
  });

  const completed = (requestId: string | null) => (line: Record<string, any>) =>
    line.msg === 'request completed' && line.req?.id === requestId;

  it('writes one line per request with its id, route, status, time and the tenant the key resolved to', async () => {
    const tenant = await api.newTenant();
    const res = await tenant.client.get('/api/v1/app');
    expect(res.status).toBe(200);
    const requestId = res.headers.get('x-request-id');

    const line = await logs.next(completed(requestId));
    expect(line).toMatchObject({
      app: 'api',
      level: 30,
      req: { id: requestId, method: 'GET', url: '/api/v1/app' },
      res: { statusCode: 200 },
      tenantId: tenant.id,
    });
    expect(line.responseTime).toEqual(expect.any(Number));
    expect(logs.lines.filter(completed(requestId))).toHaveLength(1);
  });

  it('never writes the bearer token', async () => {
    const tenant = await api.newTenant();
    const res = await tenant.client.get('/api/v1/app/app_missing');
    expect(res.status).toBe(404);
    await logs.next(completed(res.headers.get('x-request-id')));
    expect(JSON.stringify(logs.lines)).not.toContain(tenant.apiKey);
  });

  it('leaves health probes out', async () => {
    const probe = await api.anonymous.get('/api/v1/health', { 'x-request-id': 'probe-1' });
    expect(probe.status).toBe(204);
    // The next request starts only once the probe's response is finished, and lines are written when a
    // response finishes: once the later line is there, the probe's would have been too.
    const later = await api.anonymous.get('/api/v1/app', { 'x-request-id': 'after-probe-1' });
    expect(later.status).toBe(401);
    await logs.next(completed('after-probe-1'));
    expect(logs.lines.filter(completed('probe-1'))).toHaveLength(0);
  });
});
