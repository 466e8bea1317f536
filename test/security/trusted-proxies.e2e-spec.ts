import { testConfig } from '@app/testing';
import { startApi } from '../support/running-api';

/**
 * TRUST_PROXY decides whose X-Forwarded-For names a request's source, which the limit on failed
 * authentications counts per. Trusted blindly, a client spoofs a fresh address per guess and is never limited;
 * the default trusts only loopback and private ranges (where a reverse proxy sits), `none` only the socket.
 */
describe('trusted proxies and the failed-authentication limit (e2e)', () => {
  const guess = (n: number) => ({ 'x-forwarded-for': `198.51.100.${n}` });

  it('TRUST_PROXY=none: a spoofed X-Forwarded-For per guess does not escape the limit', async () => {
    const api = await startApi(testConfig({ AUTH_FAILURES_PER_MINUTE: '3', TRUST_PROXY: 'none' }));
    try {
      const bad = api.anonymous.withToken('sk_wrong.key');
      for (let i = 0; i < 3; i++) expect((await bad.get('/api/v1/app', guess(i))).status).toBe(401);
      const blocked = await bad.get('/api/v1/app', guess(99));
      expect(blocked.status).toBe(429);
      expect(blocked.body.code).toBe('too_many_failed_authentications');
    } finally {
      await api.close();
    }
  });

  it('a proxy outside the trusted ranges cannot name the source either', async () => {
    const api = await startApi(testConfig({ AUTH_FAILURES_PER_MINUTE: '3', TRUST_PROXY: '203.0.113.0/24' }));
    try {
      const bad = api.anonymous.withToken('sk_wrong.key');
      for (let i = 0; i < 3; i++) expect((await bad.get('/api/v1/app', guess(i))).status).toBe(401);
      expect((await bad.get('/api/v1/app', guess(99))).status).toBe(429);
    } finally {
      await api.close();
    }
  });

  it('by default a proxy on loopback names the source: each client is counted on its own', async () => {
    const api = await startApi(testConfig({ AUTH_FAILURES_PER_MINUTE: '3' }));
    try {
      const bad = api.anonymous.withToken('sk_wrong.key');
      for (let i = 0; i < 3; i++) expect((await bad.get('/api/v1/app', guess(7))).status).toBe(401);
      expect((await bad.get('/api/v1/app', guess(7))).status).toBe(429);
      expect((await bad.get('/api/v1/app', guess(8))).status).toBe(401);
    } finally {
      await api.close();
    }
  });
});
