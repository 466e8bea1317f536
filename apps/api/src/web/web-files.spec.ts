import { basePath, pageHeaders, withBase } from './web-files';

describe('web page helpers', () => {
  it('derive the base path from PUBLIC_URL', () => {
    expect(basePath('http://127.0.0.1:8080')).toBe('');
    expect(basePath('https://x.example/hooks/')).toBe('/hooks');
    expect(basePath('not a url')).toBe('');
  });

  it('rewrite the base href, escaping what could break out of the attribute', () => {
    const html = '<head><base href="/web/" /></head>';
    expect(withBase(html, 'https://x.example/a"b')).toBe('<head><base href="/a%22b/web/" /></head>');
    expect(withBase(html, 'https://x.example/')).toBe('<head><base href="/web/" /></head>');
  });

  it("put the configured frame ancestors in the page's CSP", () => {
    expect(pageHeaders(["'self'"])['content-security-policy']).toMatch(/frame-ancestors 'self'$/);
    expect(pageHeaders(['*'])['content-security-policy']).toContain("default-src 'none'");
  });
});
