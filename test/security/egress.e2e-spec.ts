import { createServer as createHttpsServer, Server as HttpsServer } from 'node:https';
import { createServer, Server, Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { runInThisContext } from 'node:vm';
import { Agent, EnvHttpProxyAgent, request } from 'undici';
import { UNREACHABLE_DESTINATION_MESSAGE } from '@app/delivery';
import { StubDnsServer, TestCertificate, testConfig, TestPki, TestReceiver, waitFor } from '@app/testing';
import { DeliveryWorld } from '../support/delivery-world';

/**
 * The outbound client's own network behaviour (reliability cases 9 and 15): it never goes through a proxy
 * named by the environment, since a proxy resolves names itself and would dial what the SSRF guard refused;
 * and it always verifies TLS, with the endpoint's name as SNI and Host while the socket goes to the address
 * the guard checked. Names come from a stub DNS server; loopback is allowlisted (testConfig), so
 * `receiver.test` → 127.0.0.1 is an allowed receiver and `internal.test` → 10.0.0.5 a refused one.
 * Certificates are made at run time (TestPki, the openssl CLI).
 */

/** A TCP listener standing for an HTTP proxy: it records every connection and its first bytes, then hangs up. */
class RecordingProxy {
  readonly connections: { firstBytes: string }[] = [];
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: Server) {}

  static async start(): Promise<RecordingProxy> {
    const proxy = new RecordingProxy(createServer());
    proxy.server.on('connection', (socket) => {
      const entry = { firstBytes: '' };
      proxy.connections.push(entry);
      proxy.sockets.add(socket);
      socket.once('data', (data) => {
        entry.firstBytes = data.toString('latin1').split('\r\n')[0]!;
        socket.end('HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
      });
      socket.on('error', () => undefined);
      socket.on('close', () => proxy.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * An HTTPS receiver on loopback with a given certificate. It records the SNI name of every TLS handshake that
 * completed, and the Host, path and SNI of every request that reached it.
 */
class TlsReceiver {
  readonly handshakes: TLSSocket['servername'][] = [];
  readonly requests: { host?: string; path?: string; servername: TLSSocket['servername'] }[] = [];

  private readonly server: HttpsServer;

  private constructor(certificate: TestCertificate) {
    this.server = createHttpsServer({ ...certificate }, (req, res) => {
      this.requests.push({
        host: req.headers.host,
        path: req.url,
        servername: (req.socket as TLSSocket).servername,
      });
      req.resume();
      req.on('end', () => res.writeHead(204).end());
    });
    this.server.on('secureConnection', (socket: TLSSocket) => this.handshakes.push(socket.servername));
  }

  static async start(certificate: TestCertificate): Promise<TlsReceiver> {
    const receiver = new TlsReceiver(certificate);
    const server = receiver.server;
    server.keepAliveTimeout = 100;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * The process's own environment. Jest gives each test file a copy as `process.env`, which code loaded from
 * node_modules (undici) reads; Node's core modules (tls, http) read this one. Variables a worker process
 * would be started with are set in both.
 */
const processEnv = (runInThisContext('process') as NodeJS.Process).env;

/** Every spelling of the proxy variables that Node tools, curl and undici's EnvHttpProxyAgent read. */
const PROXY_VARIABLES = ['HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'http_proxy', 'https_proxy', 'all_proxy'];
const NO_PROXY_VARIABLES = ['NO_PROXY', 'no_proxy'];

describe('egress (e2e)', () => {
  describe('case 9: proxy variables in the environment are ignored', () => {
    let dns: StubDnsServer;
    let proxy: RecordingProxy;
    let world: DeliveryWorld;
    let receiver: TestReceiver;
    let tokenServer: TestReceiver;
    const saved: Record<string, string | undefined> = {};

    beforeAll(async () => {
      proxy = await RecordingProxy.start();
      // Set before the worker is built, as a process started with them would see them, and kept until the end.
      for (const name of [...PROXY_VARIABLES, ...NO_PROXY_VARIABLES]) saved[name] = processEnv[name];
      for (const env of [process.env, processEnv]) {
        for (const name of PROXY_VARIABLES) env[name] = proxy.url;
        for (const name of NO_PROXY_VARIABLES) delete env[name];
      }
      dns = await StubDnsServer.start({
        'receiver.test': { a: ['127.0.0.1'] },
        'tokens.test': { a: ['127.0.0.1'] },
        'internal.test': { a: ['10.0.0.5'] },
      });
      world = await new DeliveryWorld(testConfig({ DELIVERY_DNS_SERVERS: dns.address })).start();
      receiver = await world.receiver();
      tokenServer = await world.receiver(() => ({
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ access_token: 'tok-direct', token_type: 'Bearer', expires_in: 3600 }),
      }));
    });

    afterAll(async () => {
      await world?.stop();
      await dns?.close();
      await proxy?.close();
      for (const env of [process.env, processEnv]) {
        for (const [name, value] of Object.entries(saved)) {
          if (value === undefined) delete env[name];
          else env[name] = value;
        }
      }
    });

    const named = (server: TestReceiver, host: string, path = '/webhook') =>
      `http://${host}:${new URL(server.url).port}${path}`;

    /** Publishes one message to one endpoint and returns its attempts once the first one is recorded. */
    async function deliverOnce(name: string, url: string, oauthTokenUrl?: string) {
      const { tenant, svix, app } = await world.tenantWithApp(name);
      const endpoint = await svix.endpoint.create(app.id, { url });
      if (oauthTokenUrl) {
        const put = await tenant.client.put(`/api/v1/app/${app.id}/endpoint/${endpoint.id}/oauth`, {
          grantType: 'clientCredentials',
          authMethod: 'clientSecretPost',
          clientId: 'c',
          clientSecret: 's',
          tokenUrl: oauthTokenUrl,
        });
        expect(put.status).toBe(204);
      }
      const msg = await svix.message.create(app.id, { eventType: 'egress.probe', payload: { name } });
      return waitFor(`the attempt to ${url}`, async () => {
        const rows = await world.attemptsOf(msg.id, endpoint.id);
        return rows.length > 0 ? rows : undefined;
      });
    }

    it('the variables are live in this process: a client that honours them goes through the proxy', async () => {
      // The control: without it, "the proxy saw nothing" could mean the variables were never read by anyone.
      const before = proxy.connections.length;
      const agent = new EnvHttpProxyAgent();
      const url = named(receiver, 'receiver.test');
      try {
        // undici tunnels through the proxy with CONNECT; this proxy answers 502, so the request fails there.
        await expect(request(url, { method: 'POST', dispatcher: agent })).rejects.toThrow(/502/);
      } finally {
        await agent.close();
      }
      expect(proxy.connections.slice(before)).toEqual([
        { firstBytes: `CONNECT ${new URL(url).host} HTTP/1.1` },
      ]);
      expect(receiver.received).toHaveLength(0);
      proxy.connections.length = 0;
    });

    it('delivers to an allowed receiver directly, never through the proxy', async () => {
      const url = named(receiver, 'receiver.test');
      const attempts = await deliverOnce('proxy allowed', url);
      expect(attempts[0]).toMatchObject({ responseStatusCode: 204 });
      const [got] = await receiver.waitForRequests(1);
      // Origin-form path and the endpoint's own Host: what a direct request carries (a proxied one is absolute-form).
      expect(got!.path).toBe('/webhook');
      expect(got!.headers.host).toBe(new URL(url).host);
      expect(proxy.connections).toEqual([]);
    });

    it.each([
      ['http', (port: string) => `http://internal.test:${port}/webhook`],
      ['https', () => 'https://internal.test/webhook'],
    ])(
      'refuses a %s name that resolves to a blocked address itself, without asking the proxy',
      async (_, toUrl) => {
        const before = receiver.received.length;
        const attempts = await deliverOnce('proxy blocked', toUrl(new URL(receiver.url).port));
        expect(attempts).toHaveLength(1);
        expect(attempts[0]).toMatchObject({
          responseStatusCode: 0,
          errorKind: 'blocked_address',
          response: UNREACHABLE_DESTINATION_MESSAGE,
        });
        expect(proxy.connections).toEqual([]);
        expect(receiver.received.length).toBe(before);
      },
    );

    it('fetches an OAuth2 token directly and refuses a blocked token URL, never through the proxy', async () => {
      const before = receiver.received.length;
      const attempts = await deliverOnce(
        'proxy oauth',
        named(receiver, 'receiver.test'),
        named(tokenServer, 'tokens.test', '/token'),
      );
      expect(attempts[0]).toMatchObject({ responseStatusCode: 204 });
      const [token] = await tokenServer.waitForRequests(1);
      expect(token!.path).toBe('/token');
      expect(token!.headers.host).toBe(new URL(named(tokenServer, 'tokens.test')).host);
      const got = await receiver.waitForRequests(before + 1);
      expect(got[before]!.headers.authorization).toBe('Bearer tok-direct');

      const tokensBefore = tokenServer.received.length;
      const refused = await deliverOnce(
        'proxy oauth blocked',
        named(receiver, 'receiver.test'),
        `http://internal.test:${new URL(tokenServer.url).port}/token`,
      );
      expect(refused[0]).toMatchObject({ responseStatusCode: 0 });
      expect(refused[0]!.response).toContain(UNREACHABLE_DESTINATION_MESSAGE);
      expect(tokenServer.received.length).toBe(tokensBefore);
      expect(receiver.received.length).toBe(before + 1);
      expect(proxy.connections).toEqual([]);
    });
  });
  describe('case 15: TLS is always verified, with the endpoint name as SNI and Host while the address is pinned', () => {
    let dns: StubDnsServer;
    let pki: TestPki;
    let untrusted: TestPki;
    let world: DeliveryWorld;
    let valid: TlsReceiver;
    let selfSigned: TlsReceiver;
    let unknownCa: TlsReceiver;

    beforeAll(async () => {
      pki = TestPki.create();
      untrusted = TestPki.create('A CA nobody trusts');
      valid = await TlsReceiver.start(pki.issue('tls.test'));
      selfSigned = await TlsReceiver.start(pki.selfSigned('self-signed.test'));
      unknownCa = await TlsReceiver.start(untrusted.issue('unknown-ca.test'));
      dns = await StubDnsServer.start(
        Object.fromEntries(
          ['tls.test', 'self-signed.test', 'unknown-ca.test', 'other-name.test'].map((name) => [
            name,
            { a: ['127.0.0.1'] },
          ]),
        ),
      );
      // The test CA is trusted by this worker's sender only; loopback is allowlisted (testConfig).
      world = await new DeliveryWorld(
        testConfig({ DELIVERY_DNS_SERVERS: dns.address, DELIVERY_TEST_CA_FILE: pki.caFile }),
      ).start();
    });

    afterAll(async () => {
      await world?.stop();
      await Promise.all([valid, selfSigned, unknownCa].map((r) => r?.close()));
      await dns?.close();
      pki?.close();
      untrusted?.close();
    });

    /** Publishes one message to one endpoint at `url` and returns its first attempt once it is recorded. */
    async function firstAttempt(name: string, url: string) {
      const { svix, app } = await world.tenantWithApp(name);
      const endpoint = await svix.endpoint.create(app.id, { url });
      const msg = await svix.message.create(app.id, { eventType: 'egress.tls', payload: { name } });
      const attempts = await waitFor(`the attempt to ${url}`, async () => {
        const rows = await world.attemptsOf(msg.id, endpoint.id);
        return rows.length > 0 ? rows : undefined;
      });
      return attempts[0]!;
    }

    it('delivers to a certificate for tls.test through the pinned 127.0.0.1, sending SNI and Host tls.test', async () => {
      const attempt = await firstAttempt('tls valid', `https://tls.test:${valid.port}/hook`);
      expect(attempt).toMatchObject({ responseStatusCode: 204 });
      expect(attempt.errorKind).toBeNull();
      expect(valid.requests).toEqual([
        { host: `tls.test:${valid.port}`, path: '/hook', servername: 'tls.test' },
      ]);
      expect(valid.handshakes).toEqual(['tls.test']);
    });

    it.each([
      ['signs itself', () => selfSigned, 'self-signed.test', /self-signed certificate/],
      ['comes from a CA nobody trusts', () => unknownCa, 'unknown-ca.test', /unable to verify/],
      ['names another host', () => valid, 'other-name.test', /other-name\.test.*altnames/],
    ])(
      'refuses a certificate that %s: a tls attempt, and nothing reaches the handler',
      async (_, server, name, reason) => {
        const requestsBefore = server().requests.length;
        const attempt = await firstAttempt(`tls ${name}`, `https://${name}:${server().port}/hook`);
        expect(attempt).toMatchObject({ responseStatusCode: 0, errorKind: 'tls' });
        expect(attempt.response).toMatch(/^TLS error: the endpoint's certificate was not accepted \(/);
        expect(attempt.response).toMatch(reason);
        expect(server().requests.length).toBe(requestsBefore);
      },
    );
    it('keeps verifying when NODE_TLS_REJECT_UNAUTHORIZED=0 turns verification off for the rest of the process', async () => {
      const saved = processEnv.NODE_TLS_REJECT_UNAUTHORIZED;
      processEnv.NODE_TLS_REJECT_UNAUTHORIZED = '0';
      try {
        // The control: a client that leaves verification to Node's default now accepts the self-signed one.
        const lax = new Agent();
        try {
          const res = await request(`https://127.0.0.1:${selfSigned.port}/control`, {
            method: 'POST',
            dispatcher: lax,
          });
          await res.body.dump();
          expect(res.statusCode).toBe(204);
        } finally {
          await lax.close();
        }
        expect(selfSigned.requests.map((r) => r.path)).toContain('/control');
        const requestsBefore = selfSigned.requests.length;
        const attempt = await firstAttempt('tls env', `https://self-signed.test:${selfSigned.port}/hook`);
        expect(attempt).toMatchObject({ responseStatusCode: 0, errorKind: 'tls' });
        expect(attempt.response).toMatch(/self-signed certificate/);
        expect(selfSigned.requests.length).toBe(requestsBefore);
      } finally {
        if (saved === undefined) delete processEnv.NODE_TLS_REJECT_UNAUTHORIZED;
        else processEnv.NODE_TLS_REJECT_UNAUTHORIZED = saved;
      }
    });
  });
});
