import { PrismaService } from '@app/db';
import { waitFor } from '@app/testing';
import { DeliveryWorld } from '../support/delivery-world';
import { accessibilityProblems, launchBrowser, TestBrowser } from './support/browser';

jest.setTimeout(90_000);

/**
 * A subscriber edits their endpoint's payload filter in the consumer portal (issue 10): a broken one is
 * explained at the field, a valid one is saved and then decides which messages the receiver gets.
 */
describe('consumer portal: payload filter', () => {
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

  it('explains a broken rule at the field, saves a valid one, and the rule then filters deliveries', async () => {
    const { tenant, svix, app } = await world.tenantWithApp('Filter Corp');
    const receiver = await world.receiver();
    const endpoint = await svix.endpoint.create(app.id, { url: receiver.url });
    const { url } = await svix.authentication.appPortalAccess(app.id, {});
    const page = await browser.newPage();
    await page.goto(url);
    await page.getByRole('link', { name: receiver.url }).first().click();
    await page.getByRole('link', { name: 'Edit' }).click();
    const field = page.getByLabel('Payload filter (optional)');
    await field.waitFor();

    await field.fill('{"==": [');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('The payload filter is not valid JSON.').waitFor();

    await field.fill('{"regex": [{"var": "data.currency"}, "EUR"]}');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('payloadFilter uses the unknown or unsupported operator "regex"').waitFor();
    expect(await field.getAttribute('aria-invalid')).toBe('true');
    expect(await accessibilityProblems(page)).toEqual([]);

    await field.fill('{"==": [{"var": "data.currency"}, "EUR"]}');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('heading', { name: receiver.url }).waitFor();
    const saved = await tenant.client.get(`/api/v1/app/${app.id}/endpoint/${endpoint.id}`);
    expect(saved.body.payloadFilter).toEqual({ '==': [{ var: 'data.currency' }, 'EUR'] });

    // The form shows the stored rule when opened again.
    await page.getByRole('link', { name: 'Edit' }).click();
    await waitFor('the stored rule in the field', async () =>
      (await field.inputValue()).includes('"data.currency"') ? true : undefined,
    );

    const usd = await svix.message.create(app.id, {
      eventType: 'a.b',
      payload: { data: { currency: 'USD' } },
    });
    const eur = await svix.message.create(app.id, {
      eventType: 'a.b',
      payload: { data: { currency: 'EUR' } },
    });
    const [only] = await receiver.waitForRequests(1);
    expect(only!.headers['webhook-id']).toBe(eur.id);
    // Decided when the USD message was accepted: it has no delivery to this endpoint.
    const deliveries = world.worker.get(PrismaService).delivery;
    expect(await deliveries.count({ where: { messageId: usd.id, endpointId: endpoint.id } })).toBe(0);
    await page.close();
  });
});
