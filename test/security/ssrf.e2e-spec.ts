import { EndpointRepository, PrismaService } from '@app/db';
import { UNREACHABLE_DESTINATION_MESSAGE } from '@app/delivery';
import { StubDnsServer, testConfig, TestReceiver, waitFor } from '@app/testing';
import { DeliveryWorld } from '../support/delivery-world';
import { startApi } from '../support/running-api';

/**
 * The SSRF table (reliability cases 1–7 and 10–14; case 8, redirects, is in test/e2e/delivery.e2e-spec.ts):
 * every spelling of a forbidden destination is refused when an endpoint is written (422 `url_destination_blocked`, no row) and again when a delivery is sent (a terminal
 * attempt with a generic message, no connection). Nothing is allowlisted here, so the local receiver stands
 * for an internal service: any hit on it is a guard failure. Names come from a stub DNS server.
 */

/** Case 1: IPv4 literals. */
const IPV4 = [
  '127.0.0.1',
  '127.255.255.254',
  '0.0.0.0',
  '0.1.2.3',
  '10.0.0.1',
  '172.16.0.1',
  '192.168.1.1',
  '169.254.169.254',
  '169.254.0.1',
  '100.64.0.1',
  '100.100.100.200',
  '168.63.129.16',
  '192.0.0.192',
  '192.0.2.1',
  '198.18.0.1',
  '203.0.113.6',
  '224.0.0.1',
  '240.0.0.1',
  '255.255.255.255',
];
/** Case 2: other spellings of IPv4 literals, which the WHATWG URL parser turns into dotted quads. */
const ENCODED_IPV4 = [
  '2130706433',
  '0x7f000001',
  '017700000001',
  '0177.0.0.1',
  '127.1',
  '0x7f.1',
  '0',
  '2852039166',
  '0xa9fea9fe',
  '0xA9FEA9FE',
  '0251.0376.0251.0376',
  '%31%32%37.0.0.1',
  '①②⑦.0.0.1',
];
/** Case 3: IPv6 literals, IPv4 embedded in IPv6 included. */
const IPV6 = [
  '[::1]',
  '[::]',
  '[0:0:0:0:0:0:0:1]',
  '[::ffff:127.0.0.1]',
  '[::ffff:7f00:1]',
  '[::ffff:a9fe:a9fe]',
  '[::ffff:10.0.0.1]',
  '[64:ff9b::a9fe:a9fe]',
  '[64:ff9b:1::1]',
  '[2002:a9fe:a9fe::1]',
  '[2002:7f00:1::1]',
  '[2001:0:4136:e378:8000:63bf:3fff:fdd2]',
  '[::7f00:1]',
  '[fe80::1]',
  '[febf::1]',
  '[fc00::1]',
  '[fd00:ec2::254]',
  '[ff02::1]',
  '[2001:db8::1]',
  '[5f00::1]',
  '[100::1]',
];
/** Case 4: names that always mean a forbidden address, judged without DNS. */
const NAMES = ['localhost', 'LOCALHOST.', 'ⓛⓞⓒⓐⓛⓗⓞⓢⓣ', 'foo.localhost', 'metadata.google.internal'];

const FORBIDDEN = [...IPV4, ...ENCODED_IPV4, ...IPV6, ...NAMES];

describe('SSRF table (e2e)', () => {
  let dns: StubDnsServer;
  let world: DeliveryWorld;
  let receiver: TestReceiver;
  let port: number;

  beforeAll(async () => {
    dns = await StubDnsServer.start({
      'internal.test': { a: ['10.0.0.5'] },
      'v6.test': { aaaa: ['::1'] },
      'mixed.test': { a: ['93.184.216.34', '10.0.0.5'] },
      'mixed6.test': { a: ['93.184.216.34'], aaaa: ['::1'] },
      'rebind.test': { a: ['93.184.216.34'], ttl: 0 },
      'evil.example': { a: ['10.0.0.5'] },
    });
    world = new DeliveryWorld(testConfig({ DELIVERY_ALLOWED_CIDRS: '', DELIVERY_DNS_SERVERS: dns.address }));
    await world.start();
    receiver = await world.receiver();
    port = Number(new URL(receiver.url).port);
  });

  afterAll(async () => {
    await world.stop();
    await dns.close();
  });

  describe('at creation', () => {
    let client: Awaited<ReturnType<DeliveryWorld['api']['newTenant']>>['client'];
    let appId: string;

    beforeAll(async () => {
      const tenant = await world.api.newTenant('ssrf at creation');
      client = tenant.client;
      appId = (await client.post('/api/v1/app', { name: 'ssrf' })).body.id;
    });

    const endpointCount = async () =>
      world.api.app.get(PrismaService).endpoint.count({ where: { applicationId: appId } });

    it.each(FORBIDDEN)(
      'POST refuses http://%s/ with 422 url_destination_blocked and stores nothing',
      async (host) => {
        const res = await client.post(`/api/v1/app/${appId}/endpoint`, {
          url: `http://${host}:${port}/hook`,
        });
        expect(res.status).toBe(422);
        expect(res.body.code).toBe('url_destination_blocked');
        expect(res.body.detail).toEqual([
          expect.objectContaining({ loc: ['body', 'url'], type: 'url_destination_blocked' }),
        ]);
        expect(await endpointCount()).toBe(0);
      },
    );

    it.each(['1.1.1.1', '8.8.8.8', '[2606:4700:4700::1111]', 'internal.test', 'example.com'])(
      'accepts http://%s/ (public literals; names are judged when connecting)',
      async (host) => {
        const res = await client.post(`/api/v1/app/${appId}/endpoint`, { url: `https://${host}/hook` });
        expect(res.status).toBe(201);
        await client.delete(`/api/v1/app/${appId}/endpoint/${res.body.id}`);
      },
    );

    it('PUT and PATCH refuse a forbidden destination too, and leave the endpoint as it was', async () => {
      const created = await client.post(`/api/v1/app/${appId}/endpoint`, { url: 'https://example.com/a' });
      expect(created.status).toBe(201);
      const id = created.body.id;
      const put = await client.put(`/api/v1/app/${appId}/endpoint/${id}`, { url: 'http://0xA9FEA9FE/' });
      expect(put).toMatchObject({ status: 422, body: { code: 'url_destination_blocked' } });
      const patch = await client.patch(`/api/v1/app/${appId}/endpoint/${id}`, {
        url: 'http://[::ffff:10.0.0.1]/',
      });
      expect(patch).toMatchObject({ status: 422, body: { code: 'url_destination_blocked' } });
      const upsert = await client.put(`/api/v1/app/${appId}/endpoint/new-uid`, { url: 'http://2852039166/' });
      expect(upsert).toMatchObject({ status: 422, body: { code: 'url_destination_blocked' } });
      expect((await client.get(`/api/v1/app/${appId}/endpoint/${id}`)).body.url).toBe(
        'https://example.com/a',
      );
      await client.delete(`/api/v1/app/${appId}/endpoint/${id}`);
    });

    /** Case 13: schemes other than http(s), impossible ports, URLs that are not absolute. */
    it.each([
      'ftp://example.com/',
      'file:///etc/passwd',
      'gopher://127.0.0.1:6379/_INFO',
      'javascript:alert(1)',
      'data:,x',
      'ws://example.com/',
      'http://example.com:0/',
      'http://example.com:65536/',
      '//example.com',
      'example.com',
      'https://',
    ])('refuses %s with 422 on url and stores nothing', async (url) => {
      const res = await client.post(`/api/v1/app/${appId}/endpoint`, { url });
      expect({ url, status: res.status, code: res.body.code }).toEqual({
        url,
        status: 422,
        code: 'validation_error',
      });
      expect(res.body.detail[0].loc).toEqual(['body', 'url']);
      expect(await endpointCount()).toBe(0);
    });

    /** Case 14: user info is not the host; the host after it is what is judged. */
    it('judges the host, not the user info: a metadata host behind user info is refused, a decoy in it is not', async () => {
      const refused = await client.post(`/api/v1/app/${appId}/endpoint`, {
        url: 'http://user@169.254.169.254/',
      });
      expect(refused).toMatchObject({ status: 422, body: { code: 'url_destination_blocked' } });
      for (const url of [
        'http://169.254.169.254:80@evil.example/',
        'http://evil.example#@169.254.169.254/',
      ]) {
        const accepted = await client.post(`/api/v1/app/${appId}/endpoint`, { url });
        expect({ url, status: accepted.status }).toEqual({ url, status: 201 });
        await client.delete(`/api/v1/app/${appId}/endpoint/${accepted.body.id}`);
      }
    });

    /** Case 10: every outbound URL a tenant sets goes through the same judgement, with the same answer. */
    it('refuses every forbidden spelling as an OAuth2 token URL too, with url_destination_blocked', async () => {
      const endpoint = await client.post(`/api/v1/app/${appId}/endpoint`, {
        url: 'https://example.com/oauth',
      });
      expect(endpoint.status).toBe(201);
      for (const host of FORBIDDEN) {
        const res = await client.put(`/api/v1/app/${appId}/endpoint/${endpoint.body.id}/oauth`, {
          grantType: 'clientCredentials',
          authMethod: 'clientSecretPost',
          clientId: 'c',
          clientSecret: 's',
          tokenUrl: `http://${host}:${port}/token`,
        });
        expect({ host, status: res.status, code: res.body.code }).toEqual({
          host,
          status: 422,
          code: 'url_destination_blocked',
        });
      }
      await client.delete(`/api/v1/app/${appId}/endpoint/${endpoint.body.id}`);
    });

    it('operational webhook endpoints are judged the same way', async () => {
      const res = await client.post('/api/v1/operational-webhook/endpoint', {
        url: 'http://169.254.169.254/',
      });
      expect(res).toMatchObject({ status: 422, body: { code: 'url_destination_blocked' } });
    });
  });

  /** Case 12: the allowlist is for local receivers; it never opens the metadata addresses. */
  it('keeps metadata addresses refused even when their ranges are allowlisted', async () => {
    const api = await startApi(
      testConfig({ DELIVERY_ALLOWED_CIDRS: '169.254.0.0/16,168.63.0.0/16,100.64.0.0/10,fd00::/8' }),
    );
    try {
      const tenant = await api.newTenant('allowlist');
      const app = (await tenant.client.post('/api/v1/app', { name: 'allowlist' })).body;
      for (const host of ['169.254.169.254', '168.63.129.16', '100.100.100.200', '[fd00:ec2::254]']) {
        const res = await tenant.client.post(`/api/v1/app/${app.id}/endpoint`, { url: `http://${host}/` });
        expect({ host, status: res.status, code: res.body.code }).toEqual({
          host,
          status: 422,
          code: 'url_destination_blocked',
        });
      }
      const allowed = await tenant.client.post(`/api/v1/app/${app.id}/endpoint`, {
        url: 'http://169.254.0.1/',
      });
      expect(allowed.status).toBe(201);
    } finally {
      await api.close();
    }
  });

  describe('at send (rows written past the API, and names resolved by the stub DNS)', () => {
    /**
     * Writes endpoints straight through the repository (as a row written before this check existed would be),
     * publishes one message to all of them and returns each endpoint's attempts once every delivery ended.
     */
    async function deliverTo(urls: string[]) {
      const { tenant, svix, app } = await world.tenantWithApp(`ssrf at send ${urls.length}`);
      const endpoints = world.api.app.get(EndpointRepository);
      const secret = `whsec_${Buffer.alloc(24, 1).toString('base64')}`;
      const ids: string[] = [];
      for (const url of urls) {
        ids.push((await endpoints.create(tenant.id, app.id, { url }, secret)).id);
      }
      const msg = await svix.message.create(app.id, { eventType: 'ssrf.probe', payload: { probe: true } });
      const prisma = world.worker.get(PrismaService);
      await waitFor(
        'every delivery to end',
        async () =>
          (await prisma.delivery.count({
            where: { messageId: msg.id, status: { in: ['fail', 'success'] } },
          })) === urls.length,
        { timeoutMs: 20_000 },
      );
      return Promise.all(ids.map(async (id) => ({ id, attempts: await world.attemptsOf(msg.id, id) })));
    }

    it('refuses every literal spelling and always-local name once, terminally, without connecting', async () => {
      const hitsBefore = receiver.received.length;
      const urls = FORBIDDEN.map((host) => `http://${host}:${port}/hook`);
      const results = await deliverTo(urls);
      for (const { attempts } of results) {
        expect(attempts).toHaveLength(1);
        expect(attempts[0]).toMatchObject({
          responseStatusCode: 0,
          errorKind: 'blocked_address',
          response: UNREACHABLE_DESTINATION_MESSAGE,
        });
      }
      expect(receiver.received.length).toBe(hitsBefore);
    });

    it('refuses names that resolve privately, or mix public and private answers, before connecting', async () => {
      const hitsBefore = receiver.received.length;
      const results = await deliverTo(
        ['internal.test', 'v6.test', 'mixed.test', 'mixed6.test'].map(
          (name) => `http://${name}:${port}/hook`,
        ),
      );
      for (const { attempts } of results) {
        expect(attempts).toHaveLength(1);
        expect(attempts[0]).toMatchObject({
          errorKind: 'blocked_address',
          response: UNREACHABLE_DESTINATION_MESSAGE,
        });
      }
      expect(receiver.received.length).toBe(hitsBefore);
    });

    it('refuses a name rebound to loopback after the endpoint was created (TTL 0, no cached answer)', async () => {
      const hitsBefore = receiver.received.length;
      const tenant = await world.api.newTenant('rebinding');
      const appId = (await tenant.client.post('/api/v1/app', { name: 'rebind' })).body.id;
      const created = await tenant.client.post(`/api/v1/app/${appId}/endpoint`, {
        url: `http://rebind.test:${port}/hook`,
      });
      expect(created.status).toBe(201);
      dns.set('rebind.test', { a: ['127.0.0.1'], ttl: 0 });
      const msg = await tenant.client.post(`/api/v1/app/${appId}/msg`, { eventType: 'a.b', payload: {} });
      expect(msg.status).toBe(202);
      const attempts = await waitFor('the attempt', async () => {
        const rows = await world.attemptsOf(msg.body.id, created.body.id);
        return rows.length > 0 ? rows : undefined;
      });
      expect(attempts[0]).toMatchObject({
        errorKind: 'blocked_address',
        response: UNREACHABLE_DESTINATION_MESSAGE,
      });
      expect(receiver.received.length).toBe(hitsBefore);
    });

    it('judges the host after the user info when sending, too (case 14)', async () => {
      const hitsBefore = receiver.received.length;
      const results = await deliverTo([
        `http://127.0.0.1:${port}@evil.example:${port}/hook`,
        `http://evil.example:${port}/hook#@127.0.0.1:${port}`,
      ]);
      for (const { attempts } of results) {
        expect(attempts).toHaveLength(1);
        expect(attempts[0]).toMatchObject({
          errorKind: 'blocked_address',
          response: UNREACHABLE_DESTINATION_MESSAGE,
        });
      }
      expect(receiver.received.length).toBe(hitsBefore);
    });

    it('refuses an OAuth2 token URL whose name resolves privately, without calling it (case 10)', async () => {
      const hitsBefore = receiver.received.length;
      const { tenant, svix, app } = await world.tenantWithApp('ssrf oauth at send');
      const endpoint = await world.api.app
        .get(EndpointRepository)
        .create(
          tenant.id,
          app.id,
          { url: `http://evil.example:${port}/hook` },
          `whsec_${Buffer.alloc(24, 2).toString('base64')}`,
        );
      const put = await tenant.client.put(`/api/v1/app/${app.id}/endpoint/${endpoint.id}/oauth`, {
        grantType: 'clientCredentials',
        authMethod: 'clientSecretPost',
        clientId: 'c',
        clientSecret: 's',
        tokenUrl: `http://internal.test:${port}/token`,
      });
      expect(put.status).toBe(204);
      const msg = await svix.message.create(app.id, { eventType: 'ssrf.oauth', payload: {} });
      const attempts = await waitFor('the attempt', async () => {
        const rows = await world.attemptsOf(msg.id, endpoint.id);
        return rows.length > 0 ? rows : undefined;
      });
      expect(attempts[0]!.responseStatusCode).toBe(0);
      expect(attempts[0]!.response).not.toMatch(/10\.0\.0\.5|internal\.test/);
      expect(receiver.received.length).toBe(hitsBefore);
    });

    it('tells a tenant nothing about internal names: refused, unknown and private names read the same', async () => {
      const results = await deliverTo([`http://internal.test:${port}/`, `http://no-such-name.test:${port}/`]);
      const [internal, unknown] = results.map(({ attempts }) => attempts[0]!.response);
      expect(internal).toBe(unknown);
      expect(internal).not.toMatch(/10\.0\.0\.5|internal\.test|ENOTFOUND|getaddrinfo/);
      // Nor by how many attempts they get: a name that does not exist is terminal, as a refused one is.
      expect(results.map(({ attempts }) => attempts.length)).toEqual([1, 1]);
      expect(results.map(({ attempts }) => attempts[0]!.errorKind)).toEqual([
        'blocked_address',
        'unknown_host',
      ]);
    });
  });
});
