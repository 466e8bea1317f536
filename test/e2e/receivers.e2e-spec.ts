import nacl from 'tweetnacl';
import { PrismaService } from '@app/db';
import { ReceiverTokenService } from '@app/delivery';
import { verifyWebhook } from '@app/sdk';
import { SharedCache } from '@app/queue';
import { HttpClient, svixError, testConfig, waitFor } from '@app/testing';
import { DeliveryWorld } from '../support/delivery-world';
import { startWorker } from '../support/running-worker';

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/** Does this `webhook-signature` header carry a `v1a` signature that tweetnacl verifies with `publicKey`? */
function naclVerifies(
  request: { headers: Record<string, unknown>; body: string },
  publicKey: string,
): boolean {
  const content = Buffer.from(
    `${String(request.headers['webhook-id'])}.${String(request.headers['webhook-timestamp'])}.${request.body}`,
  );
  const key = Buffer.from(publicKey.slice('whpk_'.length), 'base64');
  return String(request.headers['webhook-signature'])
    .split(' ')
    .filter((entry) => entry.startsWith('v1a,'))
    .some((entry) => nacl.sign.detached.verify(content, Buffer.from(entry.slice(4), 'base64'), key));
}

/**
 * Issue 10 toward receivers, end to end: API + worker + real HTTP receivers (and a real token server for
 * OAuth2). Ed25519 signatures are checked with tweetnacl, an implementation independent of node:crypto.
 */
describe('receivers: ed25519, payload filters, OAuth2 (e2e)', () => {
  const world = new DeliveryWorld(testConfig({ DELIVERY_RETRY_SCHEDULE: '100ms,100ms' }));
  let anonymous: HttpClient;

  beforeAll(async () => {
    await world.start();
    anonymous = new HttpClient(world.api.url);
  });

  afterAll(async () => {
    await world.stop();
  });

  it('documents the new routes and the payloadFilter field in the OpenAPI document', async () => {
    const doc = (await anonymous.get('/docs-json')).body;
    const oauth = doc.paths['/api/v1/app/{appId}/endpoint/{endpointId}/oauth'];
    expect(Object.keys(oauth).sort()).toEqual(['delete', 'get', 'put']);
    expect(doc.paths['/api/v1/app/{appId}/public-keys'].get.security ?? []).toEqual([]);
    const schemas = doc.components.schemas;
    expect(Object.keys(schemas.EndpointOauthConfigInDto.properties)).toEqual(
      expect.arrayContaining(['grantType', 'authMethod', 'clientId', 'clientSecret', 'tokenUrl', 'scopes']),
    );
    expect(schemas.EndpointOauthConfigOutDto.properties.clientSecret).toBeUndefined();
    expect(schemas.EndpointOutDto.properties.payloadFilter).toBeDefined();
  });

  describe('ed25519 (v1a)', () => {
    it('signs with a whsk_ key, shows only whpk_, rotates, and publishes the public keys', async () => {
      const receiver = await world.receiver();
      const { svix, app } = await world.tenantWithApp('ed25519');
      const pair = nacl.sign.keyPair();
      const secretKey = `whsk_${b64(pair.secretKey)}`;
      const publicKey = `whpk_${b64(pair.publicKey)}`;
      const endpoint = await svix.endpoint.create(app.id, { url: receiver.url, secret: secretKey });
      const hmacReceiver = await world.receiver();
      const hmacEndpoint = await svix.endpoint.create(app.id, { url: hmacReceiver.url });

      // The private key is never shown: GET …/secret gives the public key.
      expect((await svix.endpoint.getSecret(app.id, endpoint.id)).key).toBe(publicKey);
      const seed = b64(pair.secretKey.subarray(0, 32)).slice(0, 40);
      expect(JSON.stringify(await svix.endpoint.get(app.id, endpoint.id))).not.toContain(seed);

      const first = await svix.message.create(app.id, { eventType: 'user.created', payload: { n: 1 } });
      const [signed] = await receiver.waitForRequests(1);
      expect(signed!.headers['webhook-id']).toBe(first.id);
      expect(String(signed!.headers['webhook-signature'])).toMatch(/^v1a,[A-Za-z0-9+/]{86}==$/);
      expect(naclVerifies(signed!, publicKey)).toBe(true);
      expect(verifyWebhook(publicKey, signed!.headers, signed!.body).payload).toEqual({ n: 1 });

      // Rotation without a key makes a new key of the same kind; the old one keeps signing for its grace.
      await svix.endpoint.rotateSecret(app.id, endpoint.id, {});
      const rotated = (await svix.endpoint.getSecret(app.id, endpoint.id)).key;
      expect(rotated).toMatch(/^whpk_[A-Za-z0-9+/]{43}=$/);
      expect(rotated).not.toBe(publicKey);

      const document = await anonymous.get(`/api/v1/app/${app.id}/public-keys`);
      expect(document.status).toBe(200);
      expect(document.body).toEqual({
        appId: app.id,
        keys: [
          { endpointId: endpoint.id, key: rotated, expiresAt: null },
          { endpointId: endpoint.id, key: publicKey, expiresAt: expect.any(String) },
        ],
      });
      expect(JSON.stringify(document.body)).not.toContain(hmacEndpoint.id);

      const second = await svix.message.create(app.id, { eventType: 'user.created', payload: { n: 2 } });
      const after = (await receiver.waitForRequests(2)).find((r) => r.headers['webhook-id'] === second.id)!;
      expect(String(after.headers['webhook-signature']).split(' ')).toHaveLength(2);
      expect(naclVerifies(after, rotated)).toBe(true);
      expect(naclVerifies(after, publicKey)).toBe(true);
      expect(verifyWebhook(rotated, after.headers, after.body).payload).toEqual({ n: 2 });
    });

    it('refuses a malformed whsk_ key with 422 naming secret, and an unknown app in the key document', async () => {
      const { svix, app } = await world.tenantWithApp('ed25519-bad');
      const mismatched = `whsk_${b64(new Uint8Array(64).fill(1))}`;
      const error = await svixError(
        svix.endpoint.create(app.id, { url: 'https://example.com/x', secret: mismatched }),
      );
      expect(error.code).toBe(422);
      expect(JSON.stringify(error.body)).toContain('not an Ed25519 key pair');

      for (const id of ['app_2zzzzzzzzzzzzzzzzzzzzzzzzz', 'customer-uid', app.uid ?? 'x']) {
        const missing = await anonymous.get(`/api/v1/app/${id}/public-keys`);
        expect(missing.status).toBe(404);
        expect(missing.body.code).toBe('application_not_found');
      }
      const empty = await anonymous.get(`/api/v1/app/${app.id}/public-keys`);
      expect(empty.body).toEqual({ appId: app.id, keys: [] });
    });
  });

  describe('payload filters', () => {
    const eur = { '==': [{ var: 'data.currency' }, 'EUR'] };

    it('delivers only the payloads the rule accepts, and PATCH null removes the rule', async () => {
      const [filtered, everything] = [await world.receiver(), await world.receiver()];
      const { tenant, svix, app } = await world.tenantWithApp('payload-filter');
      const created = await tenant.client.post(`/api/v1/app/${app.id}/endpoint`, {
        url: filtered.url,
        payloadFilter: eur,
      });
      expect(created.status).toBe(201);
      expect(created.body.payloadFilter).toEqual(eur);
      const endpointId = created.body.id as string;
      await svix.endpoint.create(app.id, { url: everything.url });

      const send = (currency: string, n: number) =>
        svix.message.create(app.id, { eventType: 'invoice.paid', payload: { data: { currency, n } } });
      const first = await send('EUR', 1);
      const skipped = await send('USD', 2);
      const third = await send('EUR', 3);

      const got = await filtered.waitForRequests(2);
      expect(got.map((r) => r.headers['webhook-id']).sort()).toEqual([first.id, third.id].sort());
      await everything.waitForRequests(3);
      // Fan-out decided at accept time: the USD message has no delivery for the filtered endpoint at all.
      const prisma = world.worker.get(PrismaService);
      expect(await prisma.delivery.count({ where: { messageId: skipped.id, endpointId } })).toBe(0);
      expect(await prisma.delivery.count({ where: { messageId: first.id, endpointId } })).toBe(1);

      const cleared = await tenant.client.patch(`/api/v1/app/${app.id}/endpoint/${endpointId}`, {
        payloadFilter: null,
      });
      expect(cleared.body.payloadFilter).toBeNull();
      const fourth = await send('USD', 4);
      const after = await filtered.waitForRequests(3);
      expect(after.map((r) => r.headers['webhook-id'])).toContain(fourth.id);
    });

    it.each([
      ['an unknown operator', { regex: [{ var: 'a' }, 'x'] }, 'unknown or unsupported operator "regex"'],
      ['not an object', 'data.currency == "EUR"', 'payloadFilter'],
      ['nested iteration', { some: [{ var: 'a' }, { none: [{ var: 'b' }, true] }] }, 'may not be nested'],
    ])('refuses %s with 422 naming the problem', async (_name, rule, problem) => {
      const { tenant, app } = await world.tenantWithApp('payload-filter-bad');
      const res = await tenant.client.post(`/api/v1/app/${app.id}/endpoint`, {
        url: 'https://example.com/hook',
        payloadFilter: rule,
      });
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('validation_error');
      expect(res.body.detail).toEqual([expect.objectContaining({ loc: ['body', 'payloadFilter'] })]);
      expect(res.body.detail[0].msg).toContain(problem);
    });
  });

  describe('OAuth2 toward receivers', () => {
    const token = (accessToken: string, extra: Record<string, unknown> = {}) => ({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ access_token: accessToken, token_type: 'Bearer', expires_in: 3600, ...extra }),
    });
    const form = (body: string) => Object.fromEntries(new URLSearchParams(body));

    async function endpointWithOauth(name: string, receiverUrl: string, config: Record<string, unknown>) {
      const { tenant, svix, app } = await world.tenantWithApp(name);
      const endpoint = await svix.endpoint.create(app.id, {
        url: receiverUrl,
        headers: { Authorization: 'Basic replaced-by-the-token' },
      });
      const put = await tenant.client.put(`/api/v1/app/${app.id}/endpoint/${endpoint.id}/oauth`, config);
      expect(put.status).toBe(204);
      return { tenant, svix, app, endpoint };
    }

    it('client credentials (basic): fetches once, sends Bearer on each attempt, never shows the secret', async () => {
      const tokenServer = await world.receiver(() => token('tok-1'));
      const receiver = await world.receiver();
      const { tenant, svix, app, endpoint } = await endpointWithOauth('oauth-cc', receiver.url, {
        grantType: 'clientCredentials',
        authMethod: 'clientSecretBasic',
        clientId: 'hookrelay client',
        clientSecret: 'shh:secret',
        tokenUrl: tokenServer.url,
        scopes: ['webhooks.write', 'events'],
        extraParams: { audience: 'https://receiver.example' },
        extraHeaders: { 'X-Tenant': 'acme' },
      });

      const shown = await tenant.client.get(`/api/v1/app/${app.id}/endpoint/${endpoint.id}/oauth`);
      expect(shown.body).toEqual({
        grantType: 'clientCredentials',
        authMethod: 'clientSecretBasic',
        clientId: 'hookrelay client',
        tokenUrl: tokenServer.url,
        scopes: ['webhooks.write', 'events'],
        extraParams: { audience: 'https://receiver.example' },
        extraHeaders: { 'X-Tenant': 'acme' },
      });
      const row = await world.worker
        .get(PrismaService)
        .endpoint.findUniqueOrThrow({ where: { id: endpoint.id } });
      expect(JSON.stringify(row.oauth)).not.toContain('shh:secret');

      await svix.message.create(app.id, { eventType: 'a.b', payload: { n: 1 } });
      await svix.message.create(app.id, { eventType: 'a.b', payload: { n: 2 } });
      const got = await receiver.waitForRequests(2);
      expect(got.map((r) => r.headers.authorization)).toEqual(['Bearer tok-1', 'Bearer tok-1']);

      expect(tokenServer.received).toHaveLength(1);
      const [request] = tokenServer.received;
      expect(request!.headers.authorization).toBe(
        `Basic ${Buffer.from('hookrelay+client:shh%3Asecret').toString('base64')}`,
      );
      expect(request!.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(request!.headers['x-tenant']).toBe('acme');
      expect(form(request!.body)).toEqual({
        grant_type: 'client_credentials',
        scope: 'webhooks.write events',
        audience: 'https://receiver.example',
      });
    });

    it('refresh token (post): a 401 gets one fresh token in the same attempt, and a rotated refresh token is kept', async () => {
      let issued = 0;
      const tokenServer = await world.receiver(() => {
        issued++;
        return token(`tok-${issued}`, { refresh_token: `refresh-${issued + 1}` });
      });
      const receiver = await world.receiver((request) =>
        request.headers.authorization === 'Bearer tok-1' ? { status: 401 } : { status: 204 },
      );
      const { svix, app, endpoint } = await endpointWithOauth('oauth-refresh', receiver.url, {
        grantType: 'refreshToken',
        authMethod: 'clientSecretPost',
        clientId: 'client-1',
        clientSecret: 'secret-1',
        refreshToken: 'refresh-1',
        tokenUrl: tokenServer.url,
      });

      const msg = await svix.message.create(app.id, { eventType: 'a.b', payload: { n: 1 } });
      const got = await receiver.waitForRequests(2);
      expect(got.map((r) => r.headers.authorization)).toEqual(['Bearer tok-1', 'Bearer tok-2']);
      expect(tokenServer.received.map((r) => form(r.body))).toEqual([
        {
          grant_type: 'refresh_token',
          refresh_token: 'refresh-1',
          client_id: 'client-1',
          client_secret: 'secret-1',
        },
        {
          grant_type: 'refresh_token',
          refresh_token: 'refresh-2',
          client_id: 'client-1',
          client_secret: 'secret-1',
        },
      ]);
      // One attempt, recorded with the second answer.
      const attempts = await waitFor('the attempt recorded', async () => {
        const rows = await world.attemptsOf(msg.id, endpoint.id);
        return rows.length > 0 ? rows : undefined;
      });
      expect(attempts.map((a) => [a.status, a.responseStatusCode])).toEqual([['success', 204]]);
    });

    it('two worker processes share one token through Redis: one fetch, and one fresh token after a 401', async () => {
      const other = await startWorker(world.config);
      const caches = [world.worker, other].map((w) => w.get(SharedCache));
      // The first token answer waits until both workers asked to fetch: one claimed it, the other waits.
      let claims = 0;
      let bothAsked!: () => void;
      const asked = new Promise<void>((resolve) => (bothAsked = resolve));
      const spies = caches.map((cache) => {
        const claim = cache.claim.bind(cache);
        return jest.spyOn(cache, 'claim').mockImplementation(async (...args) => {
          const granted = await claim(...args);
          if (++claims === 2) bothAsked();
          return granted;
        });
      });
      const tokenServer = await world.receiver((_request, index) => ({
        ...token(`tok-${index + 1}`),
        ...(index === 0 ? { until: asked } : {}),
      }));
      try {
        const { app, endpoint } = await endpointWithOauth('oauth-shared', 'https://receiver.example/hook', {
          grantType: 'clientCredentials',
          authMethod: 'clientSecretPost',
          clientId: 'client-shared',
          clientSecret: 'secret-shared',
          tokenUrl: tokenServer.url,
        });
        const [one, two] = [world.worker, other].map((w) => w.get(ReceiverTokenService));
        const row = await world.worker
          .get(PrismaService)
          .endpoint.findUniqueOrThrow({ where: { id: endpoint.id } });
        const target = { tenantId: row.tenantId, applicationId: app.id, id: endpoint.id };
        const config = (await one!.config(row.tenantId, app.id, endpoint.id))!;

        const both = await Promise.all([one!.bearer(target, config), two!.bearer(target, config)]);
        expect(both).toEqual([
          { kind: 'token', authorization: 'Bearer tok-1' },
          { kind: 'token', authorization: 'Bearer tok-1' },
        ]);
        expect(tokenServer.received).toHaveLength(1);

        // The receiver refused tok-1 at both: the first to ask fetches tok-2, the other takes it from Redis.
        expect(await one!.bearer(target, config, true)).toEqual({
          kind: 'token',
          authorization: 'Bearer tok-2',
        });
        expect(await two!.bearer(target, config, true)).toEqual({
          kind: 'token',
          authorization: 'Bearer tok-2',
        });
        expect(tokenServer.received).toHaveLength(2);
        // Sealed in Redis (ENCRYPTION_KEY): the token is not there in clear.
        const stored = await caches[0]!.get(`oauth-token:${endpoint.id}`);
        expect(stored).toMatch(/^v1c:/);
        expect(stored).not.toContain('tok-2');
      } finally {
        for (const spy of spies) spy.mockRestore();
        await other.close();
      }
    });

    it('a token server answering garbage fails the attempt with a clear reason, and sends nothing', async () => {
      const tokenServer = await world.receiver((_request, index) =>
        index === 0
          ? { status: 200, body: '<html>not a token</html>' }
          : { status: 400, body: JSON.stringify({ error: 'invalid_client' }) },
      );
      const receiver = await world.receiver();
      const { svix, app, endpoint } = await endpointWithOauth('oauth-garbage', receiver.url, {
        grantType: 'clientCredentials',
        authMethod: 'clientSecretPost',
        clientId: 'c',
        clientSecret: 's',
        tokenUrl: tokenServer.url,
      });
      const msg = await svix.message.create(app.id, { eventType: 'a.b', payload: {} });
      await waitFor(
        'three failed attempts',
        async () => (await world.attemptsOf(msg.id, endpoint.id)).length === 3,
      );
      const attempts = await world.attemptsOf(msg.id, endpoint.id);
      expect(attempts.map((a) => [a.errorKind, a.responseStatusCode])).toEqual([
        ['oauth_token', 0],
        ['oauth_token', 0],
        ['oauth_token', 0],
      ]);
      expect(attempts[0]!.response).toBe('The OAuth2 token server answered 2xx, but not with a JSON object.');
      expect(attempts[1]!.response).toBe(
        'The OAuth2 token server answered HTTP 400 (error "invalid_client").',
      );
      expect(receiver.received).toHaveLength(0);
      expect((await world.deliveryOf(msg.id, endpoint.id)).status).toBe('fail');
    });

    it('refuses bad configurations with 422, and 404s for a missing config or another tenant', async () => {
      const { tenant, svix, app } = await world.tenantWithApp('oauth-bad');
      const endpoint = await svix.endpoint.create(app.id, { url: 'https://example.com/hook' });
      const path = `/api/v1/app/${app.id}/endpoint/${endpoint.id}/oauth`;
      const base = {
        grantType: 'clientCredentials',
        authMethod: 'clientSecretBasic',
        clientId: 'c',
        clientSecret: 's',
        tokenUrl: 'https://auth.example.com/token',
      };
      for (const tokenUrl of [
        'http://10.1.2.3/token',
        'http://169.254.169.254/latest',
        'http://0xA9FEA9FE/',
      ]) {
        const res = await tenant.client.put(path, { ...base, tokenUrl });
        expect({ tokenUrl, status: res.status, code: res.body.code }).toEqual({
          tokenUrl,
          status: 422,
          code: 'url_destination_blocked',
        });
        expect(res.body.detail[0].loc).toContain('tokenUrl');
      }
      const cases: [Record<string, unknown>, string, string][] = [
        [{ tokenUrl: 'ftp://auth.example.com' }, 'tokenUrl', 'http or https'],
        [{ authMethod: 'clientSecretJwt' }, 'authMethod', 'not supported'],
        [{ grantType: 'password' }, 'grantType', 'clientCredentials'],
        [{ grantType: 'refreshToken' }, 'refreshToken', 'required'],
        [{ extraParams: { grant_type: 'password' } }, 'grant_type', 'set by Hookrelay'],
        [{ extraHeaders: { 'Content-Type': 'text/plain' } }, 'Content-Type', 'cannot be customised'],
      ];
      for (const [override, field, message] of cases) {
        const res = await tenant.client.put(path, { ...base, ...override });
        expect({ field, status: res.status, code: res.body.code }).toEqual({
          field,
          status: 422,
          code: 'validation_error',
        });
        expect(res.body.detail[0].loc).toContain(field);
        expect(res.body.detail[0].msg).toContain(message);
      }

      const missing = await tenant.client.get(path);
      expect(missing.status).toBe(404);
      expect((await tenant.client.put(path, base)).status).toBe(204);
      expect((await tenant.client.get(path)).status).toBe(200);

      const other = await world.api.newTenant('oauth-other');
      for (const res of [
        await other.client.get(path),
        await other.client.put(path, base),
        await other.client.delete(path),
      ]) {
        expect(res.status).toBe(404);
      }
      // Portal tokens: ViewBase reads the configuration (never its secrets), ManageEndpoint changes it.
      const portal = async (capabilities: string[]) => {
        const res = await tenant.client.post(`/api/v1/auth/app-portal-access/${app.id}`, { capabilities });
        if (res.status !== 200)
          throw new Error(`app-portal-access: ${res.status} ${JSON.stringify(res.body)}`);
        return anonymous.withToken(res.body.token as string);
      };
      const viewer = await portal(['ViewBase']);
      const read = await viewer.get(path);
      expect(read.status).toBe(200);
      expect(read.body).toMatchObject({ clientId: 'c' });
      expect(Object.keys(read.body)).not.toContain('clientSecret');
      const refused = await viewer.put(path, base);
      expect([refused.status, refused.body.code]).toEqual([403, 'missing_capability']);
      expect((await (await portal(['ViewBase', 'ManageEndpoint'])).delete(path)).status).toBe(204);
      expect((await tenant.client.get(path)).status).toBe(404);
    });
  });
});
