import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BrowserContext, chromium, Page } from 'playwright-core';

/**
 * The browser-test harness: Debian's chromium (installed by .ci/run; never a browser download) driven by
 * playwright-core, with a fresh profile per launch. Shared by the portal's and the dashboard's browser specs.
 */
const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface TestBrowser {
  context: BrowserContext;
  /** Uncaught exceptions and console errors of every page so far: a spec expects none. */
  readonly pageErrors: string[];
  newPage(viewport?: { width: number; height: number }): Promise<Page>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium), as .ci/run does.`,
    );
  }
  const profile = mkdtempSync(join(tmpdir(), 'hookrelay-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: ARGS,
    headless: true,
    viewport: { width: 1100, height: 800 },
    locale: 'en-GB',
    timezoneId: 'UTC',
  });
  context.setDefaultTimeout(15_000);
  const pageErrors: string[] = [];
  return {
    context,
    pageErrors,
    async newPage(viewport) {
      const page = await context.newPage();
      page.on('pageerror', (error) => pageErrors.push(`${page.url()}: ${error.message}`));
      page.on('console', (message) => {
        // The browser logs failed requests (the 401s and 404s the error screens are about); keep the rest.
        if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
          pageErrors.push(`${page.url()}: console: ${message.text()}`);
        }
      });
      if (viewport) await page.setViewportSize(viewport);
      return page;
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Screenshots of the main screens. They go to .data/screenshots on an ordinary run and to docs/images (what
 * the README shows) with SCREENSHOTS=docs, so a test run does not rewrite committed images.
 */
export async function screenshot(page: Page, name: string): Promise<Buffer> {
  const dir = resolve(
    __dirname,
    '../../..',
    process.env.SCREENSHOTS === 'docs' ? 'docs/images' : '.data/screenshots',
  );
  mkdirSync(dir, { recursive: true });
  return page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
}

/**
 * Accessibility basics the page must keep: every form control has a label, every button and link a name,
 * and nothing is wider than the viewport (usable on a phone). Returns what breaks them, for one assertion.
 */
export function accessibilityProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const problems: string[] = [];
    const describe = (el: Element) => el.outerHTML.slice(0, 120);
    for (const el of Array.from(document.querySelectorAll('input, select, textarea'))) {
      const control = el as HTMLInputElement;
      if (control.type === 'hidden') continue;
      const labelled =
        (control.labels?.length ?? 0) > 0 ||
        control.getAttribute('aria-label') ||
        control.getAttribute('aria-labelledby');
      if (!labelled) problems.push(`unlabelled control: ${describe(el)}`);
    }
    for (const el of Array.from(document.querySelectorAll('button, a[href]'))) {
      const name = (el.textContent ?? '').trim() || el.getAttribute('aria-label');
      if (!name) problems.push(`nameless ${el.tagName.toLowerCase()}: ${describe(el)}`);
    }
    if (document.documentElement.scrollWidth > window.innerWidth + 1) {
      problems.push(
        `page is ${document.documentElement.scrollWidth}px wide in a ${window.innerWidth}px viewport`,
      );
    }
    return problems;
  });
}
