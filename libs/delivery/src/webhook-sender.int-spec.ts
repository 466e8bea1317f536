import { StubDnsServer, testConfig, TestReceiver } from '@app/testing';
import { UNREACHABLE_DESTINATION_MESSAGE, WebhookSender } from './webhook-sender';

/** The outbound client against real local HTTP servers. */
describe('WebhookSender', () => {
  let receiver: TestReceiver;

  beforeAll(async () => {
    receiver = await TestReceiver.start((req) =>
      req.path.endsWith('/big')
        ? { status: 200, body: 'x'.repeat(100_000) }
        : req.path.endsWith('/slow')
          ? { status: 200, delayMs: 2_000 }
          : { status: 201, body: 'created', headers: { 'retry-after': '7' } },
    );
  });

  afterAll(async () => {
    await receiver.close();
  });

  const sender = (overrides: Record<string, string> = {}) => new WebhookSender(testConfig(overrides));
  const base = () => receiver.url.replace('/webhook', '');

  it('posts the body with the given headers and reports status, body and duration', async () => {
    const client = sender();
    const res = await client.send({ url: receiver.url, headers: { 'x-test': 'yes' }, body: '{"a":1}' });
    await client.onApplicationShutdown();
    expect(res).toMatchObject({ statusCode: 201, body: 'created', retryAfter: '7' });
    expect(res.durationMs).toBeGreaterThanOrEqual(0);
    const last = receiver.received[receiver.received.length - 1]!;
    expect(last.body).toBe('{"a":1}');
    expect(last.headers['x-test']).toBe('yes');
  });

  it('keeps at most 4 KiB of the response body', async () => {
    const client = sender();
    const res = await client.send({ url: `${base()}/big`, headers: {}, body: '{}' });
    await client.onApplicationShutdown();
    expect(res.statusCode).toBe(200);
    expect(res.body).toHaveLength(4096);
  });

  it('stops waiting at the deadline', async () => {
    const client = sender({ DELIVERY_TIMEOUT_MS: '200' });
    const res = await client.send({ url: `${base()}/slow`, headers: {}, body: '{}' });
    await client.onApplicationShutdown();
    expect(res).toMatchObject({ statusCode: 0, errorKind: 'timeout' });
  });

  it.each([
    ['an IP literal', (url: string) => url],
    ['a name that resolves to loopback', (url: string) => url.replace('127.0.0.1', 'localhost')],
  ])('refuses loopback given as %s when it is not allowlisted', async (_, toUrl) => {
    const before = receiver.received.length;
    const client = sender({ DELIVERY_ALLOWED_CIDRS: '' });
    const res = await client.send({ url: toUrl(receiver.url), headers: {}, body: '{}' });
    await client.onApplicationShutdown();
    expect(res).toMatchObject({ statusCode: 0, errorKind: 'blocked_address' });
    expect(receiver.received.length).toBe(before);
  });

  describe('with names from a DNS server (a stub on 127.0.0.1)', () => {
    let dns: StubDnsServer;

    beforeAll(async () => {
      dns = await StubDnsServer.start({
        'loop.test': { a: ['127.0.0.1'] },
        'internal.test': { a: ['10.0.0.5'] },
        'mixed.test': { a: ['127.0.0.1', '10.0.0.5'] },
        'v6.test': { aaaa: ['::1'] },
      });
    });

    afterAll(async () => {
      await dns.close();
    });

    const named = (name: string) => receiver.url.replace('127.0.0.1', name);
    const dnsSender = (overrides: Record<string, string> = {}) =>
      sender({ DELIVERY_DNS_SERVERS: dns.address, ...overrides });

    it('delivers to a name that resolves to an allowed address', async () => {
      const client = dnsSender();
      const res = await client.send({ url: named('loop.test'), headers: {}, body: '{}' });
      await client.onApplicationShutdown();
      expect(res.statusCode).toBe(201);
    });

    it.each([
      ['a private address', 'internal.test', '10.0.0.5'],
      ['an allowed and a private address', 'mixed.test', '10.0.0.5'],
    ])('refuses a name that resolves to %s, before connecting, naming neither', async (_, name, address) => {
      const before = receiver.received.length;
      const client = dnsSender();
      const res = await client.send({ url: named(name), headers: {}, body: '{}' });
      await client.onApplicationShutdown();
      expect(res).toMatchObject({ statusCode: 0, errorKind: 'blocked_address' });
      expect(res.body).toBe(UNREACHABLE_DESTINATION_MESSAGE);
      expect(res.body).not.toContain(address);
      expect(res.body).not.toContain(name);
      expect(receiver.received.length).toBe(before);
    });

    it('answers a name that does not exist with the same sentence as a refused one', async () => {
      const client = dnsSender();
      const res = await client.send({ url: named('no-such-name.test'), headers: {}, body: '{}' });
      await client.onApplicationShutdown();
      expect(res).toMatchObject({
        statusCode: 0,
        errorKind: 'unknown_host',
        body: UNREACHABLE_DESTINATION_MESSAGE,
      });
    });

    it('refuses a name whose only address is IPv6 loopback when loopback is not allowlisted', async () => {
      const client = dnsSender({ DELIVERY_ALLOWED_CIDRS: '127.0.0.0/8' });
      const res = await client.send({ url: named('v6.test'), headers: {}, body: '{}' });
      await client.onApplicationShutdown();
      expect(res).toMatchObject({ statusCode: 0, errorKind: 'blocked_address' });
    });

    it('reports a DNS server that never answers as a dns failure at the DNS deadline', async () => {
      dns.silent = true;
      try {
        const client = dnsSender({ DELIVERY_DNS_TIMEOUT_MS: '300' });
        const res = await client.send({ url: named('loop.test'), headers: {}, body: '{}' });
        await client.onApplicationShutdown();
        expect(res).toMatchObject({ statusCode: 0, errorKind: 'dns', body: UNREACHABLE_DESTINATION_MESSAGE });
      } finally {
        dns.silent = false;
      }
    });
  });

  it('reports a refused connection and a non-http URL as failures, not exceptions', async () => {
    const client = sender();
    expect(await client.send({ url: 'http://127.0.0.1:1/x', headers: {}, body: '{}' })).toMatchObject({
      statusCode: 0,
      errorKind: 'connection',
    });
    expect(await client.send({ url: 'ftp://127.0.0.1/x', headers: {}, body: '{}' })).toMatchObject({
      errorKind: 'invalid_url',
    });
    await client.onApplicationShutdown();
  });
  it('reports https spoken to a plain http server as a tls failure, naming only the error code', async () => {
    const client = sender();
    const res = await client.send({ url: receiver.url.replace('http:', 'https:'), headers: {}, body: '{}' });
    await client.onApplicationShutdown();
    expect(res).toMatchObject({ statusCode: 0, errorKind: 'tls' });
    expect(res.body).toMatch(/^TLS error: the TLS handshake with the endpoint failed \(ERR_SSL_[A-Z_]+\)\.$/);
  });

  it('does not start with a DELIVERY_TEST_CA_FILE it cannot read or that holds no certificate', () => {
    expect(() => sender({ DELIVERY_TEST_CA_FILE: '/nonexistent/ca.pem' })).toThrow(
      'DELIVERY_TEST_CA_FILE: cannot read /nonexistent/ca.pem (ENOENT)',
    );
    expect(() => sender({ DELIVERY_TEST_CA_FILE: __filename })).toThrow(
      `DELIVERY_TEST_CA_FILE: ${__filename} holds no PEM certificate`,
    );
  });
});
