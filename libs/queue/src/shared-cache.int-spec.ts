import { testConfig, waitFor } from '@app/testing';
import { SharedCache } from './shared-cache';

/** SharedCache against the real Redis of `npm test`, and against none (fail open). */
describe('SharedCache (Redis)', () => {
  const config = testConfig();
  let one: SharedCache;
  let other: SharedCache;

  beforeAll(async () => {
    one = new SharedCache(config);
    other = new SharedCache(config);
    await waitFor('both connected', () => one.ready && other.ready);
  });

  afterAll(() => {
    one.onApplicationShutdown();
    other.onApplicationShutdown();
  });

  it('shares a value between two connections until it expires', async () => {
    await one.set('token:a', 'sealed-a', 60_000);
    expect(await other.get('token:a')).toBe('sealed-a');
    await one.set('token:short', 'gone soon', 1);
    await waitFor('the value expired', async () => (await other.get('token:short')) === null);
  });

  it('grants a claim to one connection at a time, until it is released', async () => {
    expect(await one.claim('fetch:c', 60_000)).toBe(true);
    expect(await other.claim('fetch:c', 60_000)).toBe(false);
    expect(await other.claimed('fetch:c')).toBe(true);
    await one.release('fetch:c');
    expect(await other.claimed('fetch:c')).toBe(false);
    expect(await other.claim('fetch:c', 60_000)).toBe(true);
  });

  it('fails open without Redis: reads miss, writes are dropped, claims are granted, nobody is waited for', async () => {
    const blind = new SharedCache({
      ...config,
      redis: { url: 'redis://127.0.0.1:1', prefix: '{nowhere}', cluster: false },
    });
    try {
      await blind.set('token:d', 'value', 60_000);
      expect(await blind.get('token:d')).toBeNull();
      expect(await blind.claim('fetch:d', 60_000)).toBe(true);
      expect(await blind.claimed('fetch:d')).toBe(false);
    } finally {
      blind.onApplicationShutdown();
    }
  });
});
