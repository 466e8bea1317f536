import { randomBytes } from 'node:crypto';
import { RateLimiter } from '@app/queue';
import { testConfig, waitFor } from '@app/testing';
import { RunningApi, startApi } from '../support/running-api';

/**
 * Request limits (issue 9): per tenant, shared by every API instance through Redis, 429 with Retry-After and
 * RateLimit-* headers, set per tenant by the operator; failed authentications per source address; and no
 * limit at all (fail open) when Redis is unreachable. 1 request per second with a burst of 3: a test's
 * handful of requests fits in the burst however slow the machine, and the next one is refused.
 */
describe('request rate limits (e2e)', () => {
  const limited = () =>
    testConfig({
      QUEUE_PREFIX: `{rate-${randomBytes(4).toString('hex')}}`,
      RATE_LIMIT_PER_SECOND: '1',
      RATE_LIMIT_BURST: '3',
      AUTH_FAILURES_PER_MINUTE: '3',
      // 1 per second with a burst of 2, per source address, on the unauthenticated public-key document.
      PUBLIC_RATE_LIMIT_PER_SECOND: '1',
    });
  let api: RunningApi;

  beforeAll(async () => {
    api = await startApi(limited());
  });

  afterAll(async () => {
    await api.close();
  });

  it('refuses a tenant past its burst with 429, Retry-After and RateLimit-* headers; others are unaffected', async () => {
    const noisy = await api.newTenant('noisy');
    const quiet = await api.newTenant('quiet');
    const answers = await Promise.all(Array.from({ length: 6 }, () => noisy.client.get('/api/v1/app')));
    const admitted = answers.filter((a) => a.status === 200);
    const refused = answers.filter((a) => a.status === 429);
    expect(admitted.length).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0);
    expect(admitted.length + refused.length).toBe(6);
    expect(admitted[0]!.headers.get('ratelimit-limit')).toBe('3');
    const no = refused[0]!;
    expect(no.body).toMatchObject({ code: 'rate_limited' });
    expect(typeof no.body.detail).toBe('string');
    expect(Number(no.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(no.headers.get('ratelimit-remaining')).toBe('0');
    expect((await quiet.client.get('/api/v1/app')).status).toBe(200);
  });

  it('shares one limit between API instances (one Redis state, two limiters)', async () => {
    const one = new RateLimiter(api.config);
    const other = new RateLimiter(api.config);
    try {
      await waitFor('both limiters connected', () => one.ready && other.ready);
      const limit = { perSecond: 1, burst: 3 };
      for (let i = 0; i < 3; i++) expect((await one.take('tenant:shared', limit)).admitted).toBe(true);
      const elsewhere = await other.take('tenant:shared', limit);
      expect(elsewhere).toMatchObject({ admitted: false, counted: true, remaining: 0 });
      expect(elsewhere.retryAfterS).toBeGreaterThanOrEqual(1);
    } finally {
      one.onApplicationShutdown();
      other.onApplicationShutdown();
    }
  });

  it('lets the operator set a tenant’s own limit', async () => {
    const tenant = await api.newTenant('own limit');
    const set = await api.admin.patch(`/admin/v1/tenants/${tenant.id}/settings`, {
      rateLimitPerSecond: 1000,
    });
    expect(set.status).toBe(200);
    expect(set.body.rateLimitPerSecond).toBe(1000);
    const res = await tenant.client.get('/api/v1/app');
    expect(res.status).toBe(200);
    // The server's ratio of burst to rate (3 : 1) carries over.
    expect(res.headers.get('ratelimit-limit')).toBe('3000');
    const bad = await api.admin.patch(`/admin/v1/tenants/${tenant.id}/settings`, { rateLimitPerSecond: 0 });
    expect(bad).toMatchObject({ status: 422, body: { code: 'validation_error' } });
  });

  it('refuses a source after too many failed authentications, even with a valid key; other sources go on', async () => {
    const tenant = await api.newTenant('brute force target');
    const source = { 'x-forwarded-for': '203.0.113.7' };
    const bad = api.anonymous.withToken('sk_wrong.key');
    for (let i = 0; i < 3; i++) expect((await bad.get('/api/v1/app', source)).status).toBe(401);
    const blocked = await bad.get('/api/v1/app', source);
    expect(blocked.status).toBe(429);
    expect(blocked.body.code).toBe('too_many_failed_authentications');
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await tenant.client.get('/api/v1/app', source)).status).toBe(429);
    expect((await tenant.client.get('/api/v1/app', { 'x-forwarded-for': '203.0.113.8' })).status).toBe(200);
  });

  it('stops trusting a source the moment it fails to authenticate, though it had just succeeded', async () => {
    const tenant = await api.newTenant('trusted then guessing');
    const source = { 'x-forwarded-for': '203.0.113.9' };
    // Far from its limit after this success, the source skips the Redis check for a moment…
    expect((await tenant.client.get('/api/v1/app', source)).status).toBe(200);
    const bad = api.anonymous.withToken('sk_wrong.key');
    for (let i = 0; i < 3; i++) expect((await bad.get('/api/v1/app', source)).status).toBe(401);
    // …but each failure ended that, so the spent allowance refuses it at once, the valid key too.
    expect((await bad.get('/api/v1/app', source)).body.code).toBe('too_many_failed_authentications');
    const blocked = await tenant.client.get('/api/v1/app', source);
    expect(blocked).toMatchObject({ status: 429, body: { code: 'too_many_failed_authentications' } });
  });

  it('limits the unauthenticated public-key document per source address, before looking the application up', async () => {
    const tenant = await api.newTenant('public keys');
    const app = (await tenant.client.post('/api/v1/app', { name: 'keys' })).body as { id: string };
    const url = `/api/v1/app/${app.id}/public-keys`;
    const source = { 'x-forwarded-for': '203.0.113.20' };
    const answers = await Promise.all(Array.from({ length: 5 }, () => api.anonymous.get(url, source)));
    const admitted = answers.filter((a) => a.status === 200);
    const refused = answers.filter((a) => a.status === 429);
    expect(admitted.length).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0);
    expect(admitted.length + refused.length).toBe(5);
    expect(admitted[0]!.body).toEqual({ appId: app.id, keys: [] });
    expect(admitted[0]!.headers.get('ratelimit-limit')).toBe('2');
    const no = refused[0]!;
    expect(no.body).toMatchObject({ code: 'rate_limited' });
    expect(no.body.detail).toContain('unauthenticated requests');
    expect(Number(no.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // An unknown application costs the same allowance: refused before the lookup, not a 404.
    expect(
      (await api.anonymous.get('/api/v1/app/app_2zzzzzzzzzzzzzzzzzzzzzzzzz/public-keys', source)).status,
    ).toBe(429);
    // Another address has its own allowance; the tenant's own API calls are not counted against either.
    expect((await api.anonymous.get(url, { 'x-forwarded-for': '203.0.113.21' })).status).toBe(200);
    expect((await tenant.client.get('/api/v1/app', source)).status).toBe(200);
  });

  it('fails open without Redis: requests are served, unlimited', async () => {
    const blind = await startApi({
      ...limited(),
      redis: { url: 'redis://127.0.0.1:1', prefix: '{nowhere}', cluster: false },
    });
    try {
      const tenant = await blind.newTenant('no redis');
      const answers = await Promise.all(Array.from({ length: 6 }, () => tenant.client.get('/api/v1/app')));
      expect(answers.map((a) => a.status)).toEqual(Array(6).fill(200));
      expect(answers[0]!.headers.get('ratelimit-limit')).toBeNull();
    } finally {
      await blind.close();
    }
  });
});
