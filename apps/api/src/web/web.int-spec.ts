import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { testConfig } from '@app/testing';
import { startApi, RunningApi } from '../../../../test/support/running-api';
import { webDistDir } from './web-files';

/** The API serves the built web app (npm test builds it first): the portal page, its assets, its headers. */
describe('web app serving', () => {
  let api: RunningApi;

  beforeAll(async () => {
    api = await startApi(
      testConfig({ PORTAL_FRAME_ANCESTORS: 'https://app.example.com https://*.example.org' }),
    );
  });

  afterAll(async () => {
    await api.close();
  });

  it('serves the portal page with a CSP that allows only the configured sites to frame it', async () => {
    {
      const res = await fetch(api.url + '/portal');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('x-frame-options')).toBeNull();
      const csp = res.headers.get('content-security-policy')!;
      expect(csp).toContain('frame-ancestors https://app.example.com https://*.example.org');
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("connect-src 'self'");
      const html = await res.text();
      expect(html).toContain('<base href="/web/" />');
      expect(html).toMatch(/<script type="module" crossorigin src="\.\/assets\/index-[\w-]+\.js"><\/script>/);
    }
  });

  it('serves the hashed assets for good, and nothing outside them', async () => {
    const script = readdirSync(join(webDistDir(), 'assets')).find((f) => f.endsWith('.js'))!;
    const res = await fetch(`${api.url}/web/assets/${script}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('javascript');
    expect(res.headers.get('cache-control')).toContain('immutable');
    expect((await fetch(`${api.url}/web/assets/../index.html`)).status).toBe(404);
    expect((await fetch(`${api.url}/web/assets/nope.js`)).status).toBe(404);
  });

  it('points the page at PUBLIC_URL’s path, for a proxy that serves Hookrelay under a prefix', async () => {
    const prefixed = await startApi(testConfig({ PUBLIC_URL: 'https://hooks.example.com/relay/' }));
    try {
      const html = await (await fetch(`${prefixed.url}/portal`)).text();
      expect(html).toContain('<base href="/relay/web/" />');
    } finally {
      await prefixed.close();
    }
  });
});
