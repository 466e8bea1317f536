import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Where the built web app is: `dist/web` under the project root, found by walking up from this file (it runs
 * from `apps/api/src/web` in tests and from `dist/apps/api/src/web` once built, and `/app` in the image).
 */
export function webDistDir(from: string = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && isProjectRoot(manifest)) return join(dir, 'dist', 'web');
    if (dirname(dir) === dir) return join(process.cwd(), 'dist', 'web');
  }
}

function isProjectRoot(manifest: string): boolean {
  try {
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'hookrelay';
  } catch {
    return false;
  }
}

/** Where the page loads its assets from and what it calls: PUBLIC_URL's path, so a path-prefix proxy works. */
export function basePath(publicUrl: string): string {
  try {
    return new URL(publicUrl).pathname.replace(/\/+$/, '');
  } catch {
    return '';
  }
}

/** The page with its <base href> pointing at this installation's /web/. */
export function withBase(html: string, publicUrl: string): string {
  return html.replace(
    /<base href="[^"]*"\s*\/?>/,
    `<base href="${escapeAttribute(basePath(publicUrl))}/web/" />`,
  );
}

function escapeAttribute(text: string): string {
  return text.replace(/[&"<>]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Headers of the web app's pages. The CSP allows only this origin's scripts, styles and API, and lets the
 * sites in PORTAL_FRAME_ANCESTORS embed the page in an iframe. No X-Frame-Options: it cannot list origins,
 * and browsers that know frame-ancestors ignore it.
 */
export function pageHeaders(frameAncestors: readonly string[]): Record<string, string> {
  const csp = [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'self'",
    "form-action 'none'",
    `frame-ancestors ${frameAncestors.join(' ')}`,
  ].join('; ');
  return {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': csp,
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    'cross-origin-opener-policy': 'same-origin',
  };
}
