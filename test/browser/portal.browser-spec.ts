import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Svix } from 'svix';
import { TestReceiver, waitFor } from '@app/testing';
import { DeliveryWorld } from '../support/delivery-world';
import { accessibilityProblems, launchBrowser, screenshot, TestBrowser } from './support/browser';

jest.setTimeout(90_000);

/**
 * The consumer portal in a real browser, against the real API and worker and a local receiver: a subscriber
 * opens the link, creates an endpoint, watches a delivery arrive, rotates the secret and resends.
 */
describe('consumer portal in Chromium', () => {
  const world = new DeliveryWorld();
  let browser: TestBrowser;
  let svix: Svix;
  let appId: string;
  let receiver: TestReceiver;

  const portalLink = async (body: Record<string, unknown> = {}) =>
    (await svix.authentication.appPortalAccess(appId, body)).url;

  beforeAll(async () => {
    await world.start();
    browser = await launchBrowser();
    const { svix: client, app } = await world.tenantWithApp('Acme Corp');
    svix = client;
    appId = app.id;
    await svix.eventType.create({ name: 'invoice.paid', description: 'An invoice was paid' });
    await svix.eventType.create({ name: 'invoice.failed', description: 'A payment attempt failed' });
    receiver = await world.receiver(() => ({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: '{"received":true}',
    }));
  });

  afterEach(() => {
    expect(browser.pageErrors.splice(0)).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await world.stop();
  });

  it('creates an endpoint, shows its deliveries, rotates its secret and resends', async () => {
    const page = await browser.newPage();
    const url = await portalLink();
    await page.goto(url);

    // The token left the address bar, and the empty state tells what to do.
    await page.getByRole('heading', { name: 'No endpoints yet' }).waitFor();
    expect(page.url()).not.toContain('token=');
    expect(await page.getByText('Acme Corp app').count()).toBe(1);
    await screenshot(page, 'portal-empty');
    expect(await accessibilityProblems(page)).toEqual([]);

    // Create an endpoint with the keyboard: label → field, Enter submits.
    await page.getByRole('link', { name: 'Add endpoint' }).first().click();
    await page.getByLabel('Endpoint URL').fill(receiver.url);
    await page.getByLabel('Description (optional)').fill('Billing service');
    await page.getByLabel('Only the event types I choose').check();
    await page.getByRole('checkbox', { name: /invoice\.paid/ }).check();
    await screenshot(page, 'portal-new-endpoint');
    expect(await accessibilityProblems(page)).toEqual([]);
    await page.getByLabel('Description (optional)').press('Enter');
    await page.getByRole('heading', { name: receiver.url }).waitFor();
    const endpoint = (await svix.endpoint.list(appId)).data[0]!;
    expect(endpoint).toMatchObject({
      url: receiver.url,
      description: 'Billing service',
      filterTypes: ['invoice.paid'],
    });

    // A message sent through the API appears as a delivery, with its response.
    const msg = await svix.message.create(appId, {
      eventType: 'invoice.paid',
      payload: { invoice: 'in_42' },
    });
    const attempts = page.getByRole('list', { name: 'Delivery attempts' });
    await attempts.getByText('HTTP 200').first().waitFor();
    await attempts.getByText('Response body').first().click();
    await attempts.getByText('"received": true').first().waitFor();
    expect(await attempts.getByText('invoice.paid').count()).toBeGreaterThan(0);
    await screenshot(page, 'portal-endpoint');
    expect(await accessibilityProblems(page)).toEqual([]);

    // Reveal, then rotate the signing secret: the page shows the new one and deliveries are signed with it.
    await page.getByRole('button', { name: 'Reveal secret' }).click();
    const secretText = page.getByTestId('endpoint-secret');
    const before = (await secretText.textContent())!;
    expect(before).toBe((await svix.endpoint.getSecret(appId, endpoint.id)).key);
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    await page.getByRole('button', { name: 'Rotate now' }).click();
    await page.getByText('Secret rotated.').waitFor();
    await waitFor('the new secret on the page', async () =>
      (await secretText.textContent()) !== before ? true : undefined,
    );
    const after = (await secretText.textContent())!;
    expect(after).toBe((await svix.endpoint.getSecret(appId, endpoint.id)).key);
    await svix.message.create(appId, { eventType: 'invoice.paid', payload: { invoice: 'in_43' } });
    const [, second] = await receiver.waitForRequests(2);
    expect(TestReceiver.verify(second!, after)).toEqual({ invoice: 'in_43' });
    expect(TestReceiver.verify(second!, before)).toEqual({ invoice: 'in_43' });

    // Resend the first message from its attempt: the receiver gets it again, with the same webhook-id.
    await attempts
      .getByRole('listitem')
      .filter({ hasText: msg.id })
      .first()
      .getByRole('button', { name: 'Resend' })
      .click();
    const third = (await receiver.waitForRequests(3))[2]!;
    expect(third.headers['webhook-id']).toBe(msg.id);
    expect(JSON.parse(third.body)).toEqual({ invoice: 'in_42' });
    await attempts.getByText('manual').first().waitFor();

    // The message's own page lists its endpoint and every attempt.
    await page.goto(url.replace(/#.*$/, `#/messages/${msg.id}`));
    await page.getByRole('heading', { name: 'invoice.paid' }).waitFor();
    await page.getByText('"invoice": "in_42"').waitFor();
    await page
      .getByRole('list', { name: 'Attempts of this message' })
      .getByText('HTTP 200')
      .first()
      .waitFor();
    await screenshot(page, 'portal-message');
    expect(await accessibilityProblems(page)).toEqual([]);
    await page.close();
  });

  it('disables, enables and deletes an endpoint', async () => {
    const created = await svix.endpoint.create(appId, {
      url: 'https://example.com/other',
      description: 'Temp',
    });
    const page = await browser.newPage();
    await page.goto(await portalLink());
    await page.getByRole('link', { name: 'https://example.com/other' }).click();
    await page.getByRole('button', { name: 'Disable' }).click();
    await page.getByRole('button', { name: 'Enable' }).waitFor();
    expect((await svix.endpoint.get(appId, created.id)).disabled).toBe(true);
    await page.getByRole('button', { name: 'Enable' }).click();
    await page.getByRole('button', { name: 'Disable' }).waitFor();
    expect((await svix.endpoint.get(appId, created.id)).disabled).toBe(false);
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByRole('button', { name: 'Delete endpoint' }).click();
    await page.getByRole('heading', { name: 'Endpoints', exact: true }).waitFor();
    await waitFor('the endpoint to be gone', async () =>
      (await svix.endpoint.list(appId)).data.every((e) => e.id !== created.id),
    );
    await page.close();
  });

  it('sends an example event and recovers failed deliveries', async () => {
    const failing = await world.receiver(() => ({ status: 500, body: 'down' }));
    const endpoint = await svix.endpoint.create(appId, { url: failing.url });
    const msg = await svix.message.create(appId, { eventType: 'invoice.failed', payload: { n: 1 } });
    // The first attempt and the test schedule's three retries, then the delivery is a dead letter.
    await waitFor('the delivery to fail for good', async () =>
      (await world.deliveryOf(msg.id, endpoint.id)).status === 'fail' ? true : undefined,
    );
    const page = await browser.newPage();
    await page.goto(await portalLink());
    await page.getByRole('link', { name: failing.url }).click();
    await page.getByRole('list', { name: 'Delivery attempts' }).getByText('HTTP 500').first().waitFor();
    failing.respondWith(() => ({ status: 204 }));
    await page.getByRole('button', { name: 'Recover' }).click();
    await page.getByText(/Recovery started/).waitFor();
    await page.getByLabel('Event type').selectOption('invoice.failed');
    await page.getByRole('button', { name: 'Send example' }).click();
    await page.getByText(/Example invoice.failed sent/).waitFor();
    const received = await failing.waitForRequests(6);
    expect(received.slice(4).map((r) => JSON.parse(r.body))).toEqual(
      expect.arrayContaining([{ n: 1 }, { data: {} }]),
    );
    await page.getByRole('list', { name: 'Delivery attempts' }).getByText('HTTP 204').first().waitFor();
    await page.close();
  });

  it('can be used with the keyboard alone', async () => {
    const page = await browser.newPage();
    await page.goto(await portalLink());
    await page.getByRole('heading', { name: 'Endpoints', exact: true }).waitFor();
    const focused = () => page.evaluate(() => document.activeElement?.textContent?.trim() ?? '');
    // The first Tab offers to skip the navigation; then Tab reaches every control in order.
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('Skip to content');
    const order: string[] = [];
    for (let i = 0; i < 12 && !order.includes('Add endpoint'); i++) {
      await page.keyboard.press('Tab');
      order.push(await focused());
    }
    expect(order.slice(0, 4)).toEqual(['Endpoints', 'Messages', 'Event types', 'Sign out']);
    expect(order).toContain('Add endpoint');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Add endpoint' }).waitFor();
    await page.getByLabel('Endpoint URL').focus();
    await page.keyboard.type('https://example.com/keyboard');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'https://example.com/keyboard' }).waitFor();
    await page.close();
  });

  it("takes the tenant's look from the link: theme, accent colour and title", async () => {
    const page = await browser.newPage();
    await page.goto(`${await portalLink()}&theme=dark&accent=%23e11d48&brand=Acme%20Webhooks`);
    await page.getByRole('heading', { name: 'Endpoints', exact: true }).waitFor();
    await page.getByText('Acme Webhooks').waitFor();
    const colours = await page.evaluate(() => ({
      page: getComputedStyle(document.documentElement).backgroundColor,
      link: getComputedStyle(document.querySelector('nav a')!).borderBottomColor,
    }));
    expect(colours).toEqual({ page: 'rgb(17, 20, 24)', link: 'rgb(225, 29, 72)' });
    expect(page.url()).not.toContain('token=');
    // The look survives a reload, like the token.
    await page.reload();
    await page.getByText('Acme Webhooks').waitFor();
    await screenshot(page, 'portal-branded-dark');
    expect(await accessibilityProblems(page)).toEqual([]);
    await page.close();
  });

  it('is readable and usable at phone width', async () => {
    const page = await browser.newPage({ width: 375, height: 740 });
    await page.goto(await portalLink());
    await page.getByRole('heading', { name: 'Endpoints', exact: true }).waitFor();
    await page.getByRole('link', { name: receiver.url }).click();
    await page.getByRole('list', { name: 'Delivery attempts' }).getByText('HTTP 200').first().waitFor();
    expect(await accessibilityProblems(page)).toEqual([]);
    await screenshot(page, 'portal-phone');
    await page.close();
  });

  it('shows only what a read-only token may do, and says why an action is refused', async () => {
    const page = await browser.newPage();
    await page.goto(await portalLink({ capabilities: ['ViewBase'] }));
    await page.getByRole('link', { name: receiver.url }).waitFor();
    expect(await page.getByRole('link', { name: 'Add endpoint' }).count()).toBe(0);
    await page.getByRole('link', { name: receiver.url }).click();
    await page.getByRole('heading', { name: 'Recent deliveries' }).waitFor();
    expect(await page.getByRole('button', { name: 'Reveal secret' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Resend' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Delete' }).count()).toBe(0);
    await page.evaluate(() => (window.location.hash = '#/endpoints/new'));
    await page
      .getByRole('alert')
      .getByText(/needs the ManageEndpoint permission/)
      .waitFor();
    await page.close();
  });

  it('explains an expired, revoked or broken link and a missing page instead of going blank', async () => {
    const page = await browser.newPage();
    const revoked = await portalLink();
    await svix.authentication.expireAll(appId, {});
    await page.goto(revoked);
    await page.getByRole('heading', { name: 'Your access has ended' }).waitFor();
    await page.getByText(/was revoked/).waitFor();
    await screenshot(page, 'portal-revoked');

    const fresh = new URL(await portalLink());
    await page.goto(`${fresh.origin}${fresh.pathname}#token=not-a-token`);
    await page.getByRole('heading', { name: 'No access link' }).waitFor();

    await page.goto(`${fresh.origin}${fresh.pathname}`);
    await page.evaluate(() => window.sessionStorage.clear());
    await page.reload();
    await page.getByRole('heading', { name: 'No access link' }).waitFor();

    await page.goto(fresh.href);
    await page.getByRole('heading', { name: 'Endpoints', exact: true }).waitFor();
    await page.evaluate(() => (window.location.hash = '#/endpoints/ep_doesnotexist'));
    await page.getByRole('alert').getByRole('heading', { name: 'Not found' }).waitFor();
    await page.evaluate(() => (window.location.hash = '#/nowhere'));
    await page.getByRole('heading', { name: 'Page not found' }).waitFor();
    await page.close();
  });

  it('can be embedded in an iframe by the tenant’s own site', async () => {
    await svix.endpoint.create(appId, { url: 'https://example.com/framed' });
    const link = await portalLink();
    const site = await hostPage(
      `<h1>Tenant dashboard</h1><iframe title="Webhooks" src="${link}" width="900" height="700"></iframe>`,
    );
    try {
      const page = await browser.newPage();
      // localhost and 127.0.0.1 are different origins: the portal is framed cross-site, as in production.
      await page.goto(`http://localhost:${(site.address() as AddressInfo).port}/`);
      const frame = page.frameLocator('iframe[title="Webhooks"]');
      await frame.getByRole('heading', { name: 'Endpoints', exact: true }).waitFor();
      await frame.getByRole('link', { name: 'https://example.com/framed' }).waitFor();
      await page.close();
    } finally {
      site.closeAllConnections();
      await new Promise((resolve) => site.close(resolve));
    }
  });
});

function hostPage(html: string): Promise<Server> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html lang="en"><body>${html}</body></html>`);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}
