import { Svix } from 'svix';
import { PrismaService } from '@app/db';
import { waitFor } from '@app/testing';
import { DeliveryWorld } from '../support/delivery-world';
import { accessibilityProblems, launchBrowser, screenshot, TestBrowser } from './support/browser';

jest.setTimeout(90_000);

/**
 * The tenant dashboard in a real browser against the real API, worker and receivers: sign in with an API
 * key, see the statistics, an endpoint's health, find a message and its attempts, and redrive dead letters
 * with a progress bar until the receiver has them.
 */
describe('tenant dashboard in Chromium', () => {
  const world = new DeliveryWorld();
  let browser: TestBrowser;

  beforeAll(async () => {
    await world.start();
    browser = await launchBrowser();
  });

  afterEach(() => {
    expect(browser.pageErrors.splice(0)).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await world.stop();
  });

  const signIn = async (apiKey: string) => {
    const page = await browser.newPage();
    await page.goto(`${world.api.url}/dashboard`);
    await page.getByLabel('Tenant API key').fill(apiKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    return page;
  };

  it('signs in with an API key, shows statistics and health, and redrives dead letters with progress', async () => {
    const state = { up: false };
    const receiver = await world.receiver(() => (state.up ? { status: 200 } : { status: 500 }));
    const { tenant, svix, app } = await world.tenantWithApp('Dashboard Co');
    await svix.eventType.create({ name: 'order.created', description: 'An order was created' });
    const endpoint = await svix.endpoint.create(app.id, { url: receiver.url });
    const sent = [];
    for (let i = 0; i < 3; i++) {
      sent.push(
        await svix.message.create(app.id, {
          eventType: 'order.created',
          eventId: `order-${i}`,
          payload: { i },
        }),
      );
    }
    const prisma = world.worker.get(PrismaService);
    await waitFor('three dead letters', async () => {
      const n = await prisma.delivery.count({ where: { endpointId: endpoint.id, status: 'fail' } });
      return n === 3;
    });

    const page = await signIn(tenant.apiKey);
    // The key is in this tab's sessionStorage, never in the address.
    await page.getByRole('heading', { name: 'Deliveries in the last 24 hours' }).waitFor();
    expect(page.url()).not.toContain(tenant.apiKey);
    expect(await page.evaluate(() => sessionStorage.getItem('hookrelay.dashboard.key'))).toBe(tenant.apiKey);
    await page.getByText('12 failed attempts').waitFor();
    expect(await page.getByRole('img', { name: /0 successful and 12 failed attempts/ }).count()).toBe(1);
    expect(await accessibilityProblems(page)).toEqual([]);

    // Health at a glance: 0% success over the 12 attempts.
    await page.getByRole('link', { name: 'Applications' }).click();
    await page.getByRole('link', { name: 'Dashboard Co app' }).click();
    await page.getByRole('cell', { name: '0% of 12' }).waitFor();

    // A message by its event id, and its attempts.
    await page.getByRole('link', { name: 'Messages' }).click();
    await page.getByLabel('Event id').fill('order-1');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: sent[1]!.id }).click();
    await page
      .getByRole('list', { name: 'Attempts' })
      .getByText(/HTTP 500/)
      .first()
      .waitFor();
    expect(await page.getByRole('list', { name: 'Attempts' }).getByRole('listitem').count()).toBe(4);

    // Dead letters, filtered, then redriven with a progress bar until the receiver has them.
    await page.getByRole('link', { name: 'Dead letters' }).click();
    await page.getByLabel('Event type').fill('order.created');
    await page.getByLabel('Last response').selectOption('500');
    await page.getByRole('button', { name: 'Filter' }).click();
    // The header row and three dead letters, once the filtered page has loaded.
    const deadLetters = page.getByRole('table', { name: 'Dead letters' }).getByRole('row');
    await deadLetters.nth(3).waitFor();
    expect(await deadLetters.count()).toBe(4);
    await screenshot(page, 'dashboard-dead-letters');
    state.up = true;
    const before = receiver.received.length;
    await page.getByRole('button', { name: 'Redrive all matching' }).click();
    await page.getByText('Redrive finished: 3 of 3 dead letters sent again.').waitFor();
    expect(await page.getByRole('progressbar', { name: 'Redrive progress' }).getAttribute('value')).toBe('3');
    await receiver.waitForRequests(before + 3);
    await page.getByRole('heading', { name: 'No dead letters match' }).waitFor();
    await waitFor('the three redriven deliveries to succeed', async () => {
      const n = await prisma.delivery.count({ where: { endpointId: endpoint.id, status: 'success' } });
      return n === 3;
    });

    await page.getByRole('link', { name: 'Overview' }).click();
    await page.getByText('3 successful attempts').waitFor();
    await screenshot(page, 'dashboard-overview');
    await page.close();
  });

  it('explains a refused key, and a revoked one signs out with the reason', async () => {
    const wrong = await signIn('sk_not_a_key');
    await wrong.getByRole('heading', { name: 'API key refused' }).waitFor();
    expect(await wrong.evaluate(() => sessionStorage.getItem('hookrelay.dashboard.key'))).toBeNull();
    await wrong.close();

    const tenant = await world.api.newTenant('revoked');
    const svix = new Svix(tenant.apiKey, { serverUrl: world.api.url, retryScheduleInMs: [] });
    await svix.application.create({ name: 'soon gone' });
    const page = await signIn(tenant.apiKey);
    await page.getByRole('heading', { name: 'Deliveries in the last 24 hours' }).waitFor();
    const keys = await world.api.admin.get(`/admin/v1/tenants/${tenant.id}/api-keys`);
    for (const key of keys.body.data as { id: string }[]) {
      await world.api.admin.delete(`/admin/v1/tenants/${tenant.id}/api-keys/${key.id}`);
    }
    await page.getByRole('link', { name: 'Applications' }).click();
    await page.getByRole('heading', { name: 'API key refused' }).waitFor();
    await page.getByLabel('Tenant API key').waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('hookrelay.dashboard.key'))).toBeNull();
    await page.close();
  });

  it('says so when the service fails (5xx) instead of going blank', async () => {
    const tenant = await world.api.newTenant('five hundred');
    const page = await signIn(tenant.apiKey);
    await page.getByRole('heading', { name: 'Deliveries in the last 24 hours' }).waitFor();
    await page.route('**/api/v1/search/message**', (route) =>
      route.fulfill({
        status: 503,
        contentType: 'application/json',
        body: '{"code":"unavailable","detail":"Down."}',
      }),
    );
    await page.getByRole('link', { name: 'Messages' }).click();
    await page.getByRole('alert').getByText('Something went wrong on our side').waitFor();
    expect(await page.getByRole('button', { name: 'Try again' }).count()).toBe(1);
    await page.close();
  });
});
