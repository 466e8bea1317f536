import { Svix } from 'svix';
import { EndpointRepository, PrismaService } from '@app/db';
import { SecretResealService } from '@app/delivery';
import { SecretBoxError } from '@app/domain';
import { testConfig, TestReceiver, waitFor } from '@app/testing';
import { DeliveryWorld } from '../support/delivery-world';
import { startApi } from '../support/running-api';
import { startWorker } from '../support/running-worker';

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;

/**
 * Credentials in an endpoint URL (reliability case 14, Svix's `test_url_basic_auth`): sent as HTTP Basic auth,
 * stored sealed apart from the URL, never shown back or written to an attempt row, and kept across the svix
 * SDK's GET → PUT round trip, whose URL carries the masked password.
 */
describe('credentials in endpoint URLs (e2e)', () => {
  const world = new DeliveryWorld(testConfig({ LOG_LEVEL: 'debug' }));
  /** Every line the API logs, at its most talkative level. */
  const apiLog: string[] = [];
  /** Every password a test writes into a URL, percent-encoded and decoded: none may reach a log line. */
  const passwords = ['p%40ss', 'p@ss', 'tr%C3%ADp', 'tríp', 'n3w-pw', 'kept-pw', 'old%2Fpw', 'old/pw'];
  let receiver: TestReceiver;
  let svix: Svix;
  /** Each test's own application, so a message reaches only the endpoint under test. */
  let appId: string;
  let tenant: Awaited<ReturnType<DeliveryWorld['tenantWithApp']>>['tenant'];
  /** `http://user:p%40ss@127.0.0.1:<port>/webhook`, and the same with the mask as password. */
  let withCredentials: (user: string, password: string) => string;

  beforeAll(async () => {
    world.api = await startApi(world.config, { logDestination: { write: (line) => apiLog.push(line) } });
    world.worker = await startWorker(world.config);
    receiver = await world.receiver();
    ({ tenant, svix } = await world.tenantWithApp('url credentials'));
    withCredentials = (user, password) => {
      const url = new URL(receiver.url);
      url.username = user;
      url.password = password;
      return url.href;
    };
  });

  afterAll(async () => {
    await world.stop();
  });

  beforeEach(async () => {
    appId = (await svix.application.create({ name: 'url credentials app' })).id;
  });

  const prisma = () => world.api.app.get(PrismaService);

  /** Sends one message and returns the request the receiver got for it, and the attempt rows. */
  async function deliver(endpointId: string) {
    const before = receiver.received.length;
    const msg = await svix.message.create(appId, { eventType: 'credentials.test', payload: { n: before } });
    const [request] = (await receiver.waitForRequests(before + 1)).slice(before);
    const attempts = await waitFor('the attempt row', async () => {
      const rows = await world.attemptsOf(msg.id, endpointId);
      return rows.length > 0 ? rows : undefined;
    });
    return { request: request!, attempts };
  }

  it('sends the credentials as Basic auth, stores them sealed, and never shows the password', async () => {
    const created = await svix.endpoint.create(appId, { url: withCredentials('user', 'p%40ss') });
    const masked = withCredentials('user', '********');
    expect(created.url).toBe(masked);
    expect((await svix.endpoint.get(appId, created.id)).url).toBe(masked);
    expect((await svix.endpoint.list(appId)).data.map((e) => e.url)).toEqual([masked]);
    // The consumer portal reads the same masked URL.
    const portalToken = (await svix.authentication.appPortalAccess(appId, {})).token;
    const portal = await world.api.anonymous
      .withToken(portalToken)
      .get(`/api/v1/app/${appId}/endpoint/${created.id}`);
    expect(portal).toMatchObject({ status: 200, body: { url: masked } });

    const row = await prisma().endpoint.findUniqueOrThrow({ where: { id: created.id } });
    expect(row.url).toBe(receiver.url);
    expect(row.urlCredentials).toMatch(/^v\d+c:/);
    expect(row.urlCredentials).not.toContain('p%40ss');
    expect(row.urlCredentials).not.toContain('p@ss');

    const { request, attempts } = await deliver(created.id);
    expect(request.headers.authorization).toBe(basic('user', 'p@ss'));
    // Signed as always: Basic auth is added, nothing replaced.
    expect(TestReceiver.verify(request, (await svix.endpoint.getSecret(appId, created.id)).key)).toEqual({
      n: 0,
    });
    expect(attempts.map((a) => a.url)).toEqual([receiver.url]);
    const attemptsOut = await svix.messageAttempt.listByEndpoint(appId, created.id);
    expect(attemptsOut.data.map((a) => a.url)).toEqual([receiver.url]);
  });

  it('keeps the password across GET → PUT and GET → PATCH, replaces it with a new one, clears it without', async () => {
    const { id } = await svix.endpoint.create(appId, { url: withCredentials('round', 'tr%C3%ADp') });

    const shown = await svix.endpoint.get(appId, id);
    const put = await svix.endpoint.update(appId, id, { url: shown.url, description: 'renamed' });
    expect(put.url).toBe(withCredentials('round', '********'));
    expect((await deliver(id)).request.headers.authorization).toBe(basic('round', 'tríp'));

    await svix.endpoint.patch(appId, id, { url: (await svix.endpoint.get(appId, id)).url });
    expect((await deliver(id)).request.headers.authorization).toBe(basic('round', 'tríp'));

    await svix.endpoint.update(appId, id, { url: withCredentials('round', 'n3w-pw') });
    expect((await deliver(id)).request.headers.authorization).toBe(basic('round', 'n3w-pw'));

    // A user alone is sent with an empty password, and shown as it is.
    const userOnly = await svix.endpoint.update(appId, id, { url: withCredentials('alone', '') });
    expect(userOnly.url).toBe(withCredentials('alone', ''));
    expect((await deliver(id)).request.headers.authorization).toBe(basic('alone', ''));

    const cleared = await svix.endpoint.update(appId, id, { url: receiver.url });
    expect(cleared.url).toBe(receiver.url);
    expect((await prisma().endpoint.findUniqueOrThrow({ where: { id } })).urlCredentials).toBeNull();
    expect((await deliver(id)).request.headers.authorization).toBeUndefined();
    await svix.endpoint.delete(appId, id);
  });

  it('lets a custom Authorization header win over the URL credentials', async () => {
    const { id } = await svix.endpoint.create(appId, {
      url: withCredentials('user', 'pw'),
      headers: { Authorization: 'Bearer custom' },
    });
    expect((await deliver(id)).request.headers.authorization).toBe('Bearer custom');
    await svix.endpoint.delete(appId, id);
  });

  it('refuses the mask with any other URL, and a user name Basic auth cannot carry', async () => {
    const { id } = await svix.endpoint.create(appId, { url: withCredentials('user', 'kept-pw') });
    const elsewhere = withCredentials('user', '********').replace('/webhook', '/other');
    for (const [method, path, body] of [
      ['put', `/api/v1/app/${appId}/endpoint/${id}`, { url: elsewhere }],
      ['patch', `/api/v1/app/${appId}/endpoint/${id}`, { url: withCredentials('other', '********') }],
      ['post', `/api/v1/app/${appId}/endpoint`, { url: withCredentials('user', '********') }],
    ] as const) {
      const res = await tenant.client[method](path, body);
      expect({ method, status: res.status, code: res.body.code }).toEqual({
        method,
        status: 422,
        code: 'url_password_masked',
      });
      expect(res.body.detail[0].msg).toMatch(/masked password/);
    }
    const colon = await tenant.client.post(`/api/v1/app/${appId}/endpoint`, {
      url: withCredentials('a%3Ab', 'pw'),
    });
    expect(colon).toMatchObject({ status: 422, body: { code: 'validation_error' } });
    expect(colon.body.detail[0].msg).toMatch(/must not contain ":"/);
    // Nothing refused touched the stored password.
    expect((await deliver(id)).request.headers.authorization).toBe(basic('user', 'kept-pw'));
    await svix.endpoint.delete(appId, id);
  });

  it('splits credentials off a URL written before they were sealed, on read, on send, and by the re-seal pass', async () => {
    const { id } = await svix.endpoint.create(appId, { url: receiver.url });
    await prisma().$executeRawUnsafe(
      `UPDATE endpoints SET url = $2 WHERE id = $1`,
      id,
      withCredentials('legacy', 'old%2Fpw'),
    );
    expect((await svix.endpoint.get(appId, id)).url).toBe(withCredentials('legacy', '********'));
    const { request, attempts } = await deliver(id);
    expect(request.headers.authorization).toBe(basic('legacy', 'old/pw'));
    expect(attempts.map((a) => a.url)).toEqual([receiver.url]);

    await waitFor('a re-seal pass that moves the credentials', async () => {
      await world.api.app.get(SecretResealService).tick();
      const row = await prisma().endpoint.findUniqueOrThrow({ where: { id } });
      return row.url === receiver.url && row.urlCredentials !== null;
    });
    expect((await deliver(id)).request.headers.authorization).toBe(basic('legacy', 'old/pw'));
    await svix.endpoint.delete(appId, id);
  });

  it("binds the sealed credentials to their endpoint: copied into another endpoint's row, they do not open", async () => {
    const source = await svix.endpoint.create(appId, { url: withCredentials('user', 'p@ss') });
    const target = await svix.endpoint.create(appId, { url: receiver.url });
    await prisma().$executeRawUnsafe(
      `UPDATE endpoints SET url_credentials = (SELECT url_credentials FROM endpoints WHERE id = $1) WHERE id = $2`,
      source.id,
      target.id,
    );
    const error = await world.api.app
      .get(EndpointRepository)
      .find(tenant.id, appId, target.id)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(SecretBoxError);
    expect((error as SecretBoxError).code).toBe('tampered');
  });

  it('wrote no password to the API log', () => {
    expect(apiLog.length).toBeGreaterThan(0);
    expect(passwords.filter((password) => apiLog.some((line) => line.includes(password)))).toEqual([]);
  });
});
