import { defineConfig } from 'vite';

/**
 * The web app (consumer portal now, tenant dashboard next) as static files in dist/web, served by the API at
 * /web/ (assets) and /portal (the page). Assets are referenced relative to the page's <base href>, which the
 * API sets from PUBLIC_URL, so the app also works behind a reverse proxy that serves Hookrelay under a path.
 */
export default defineConfig({
  root: decodeURIComponent(new URL('.', import.meta.url).pathname),
  base: './',
  publicDir: false,
  build: {
    outDir: decodeURIComponent(new URL('../../dist/web', import.meta.url).pathname),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
  },
  oxc: { jsx: { runtime: 'automatic' } },
  server: {
    // `npx vite --config apps/web/vite.config.mts` during development: API calls go to `npm start`'s API.
    proxy: { '/api': 'http://127.0.0.1:8080' },
  },
});
