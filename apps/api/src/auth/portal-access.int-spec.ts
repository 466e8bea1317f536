import { randomBytes } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import { Svix } from 'svix';
import { newId, portalTokenKey } from '@app/domain';
import { HttpClient, svixError, testConfig, waitFor } from '@app/testing';
import { startApi, RunningApi } from '../../../../test/support/running-api';

/** Portal tokens through the official svix SDK (1.x), and every way a bad one is refused. */
describe('consumer-portal tokens', () => {
  let api: RunningApi;
  let tenant: Awaited<ReturnType<RunningApi['newTenant']>>;
  let svix: Svix;

  const sdk = (token: string) => new Svix(token, { serverUrl: api.url, retryScheduleInMs: [] });
  const portalClient = (token: string) => api.anonymous.withToken(token);
  const newApp = (name = 'Customer') => svix.application.create({ name });
  async function portalToken(appId: string, body: Record<string, unknown> = {}): Promise<string> {
    const res = await tenant.client.post(`/api/v1/auth/app-portal-access/${appId}`, body);
    if (res.status !== 200) throw new Error(`app-portal-access: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.token;
  }
  /** A token signed with the real key but claims of the test's choosing: expired, wrong audience… */
  const forge = (claims: Record<string, unknown>, key = portalTokenKey(api.config.encryptionKey)) =>
    new SignJWT({ tenant: tenant.id, capabilities: ['ViewBase'], ...claims })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new Uint8Array(key));

  beforeAll(async () => {
    api = await startApi();
    tenant = await api.newTenant('portal');
    svix = sdk(tenant.apiKey);
  });

  afterAll(async () => {
    await api.close();
  });

  describe('issuing', () => {
    it('answers {url, token} through the SDK: the token in the URL fragment, a signed JWT with its claims', async () => {
      const app = await newApp();
      const before = Math.floor(Date.now() / 1000);
      const out = await svix.authentication.appPortalAccess(app.id, {});
      expect(out.url).toBe(`${api.url}/portal#token=${out.token}`);
      expect(decodeProtectedHeader(out.token)).toMatchObject({ alg: 'HS256', typ: 'JWT' });
      const claims = decodeJwt(out.token);
      expect(claims).toMatchObject({
        iss: 'hookrelay',
        aud: 'hookrelay:app-portal',
        sub: app.id,
        app: app.id,
        tenant: tenant.id,
        capabilities: [
          'ViewBase',
          'ViewEndpointSecret',
          'ManageEndpointSecret',
          'ManageTransformations',
          'CreateAttempts',
          'ManageEndpoint',
        ],
      });
      expect(claims.jti).toMatch(/^ptok_[0-9A-Z]{26}$/);
      expect(claims.iat).toBeGreaterThanOrEqual(before);
      expect(claims.exp! - claims.iat!).toBe(7 * 24 * 3600);
      expect(claims.sid).toBeUndefined();
    });

    it('keeps capabilities, expiry, session id and feature flags as asked, by uid too', async () => {
      const app = await svix.application.create({ name: 'By uid', uid: 'by-uid' });
      const out = await svix.authentication.appPortalAccess('by-uid', {
        capabilities: ['ManageEndpoint' as never, 'ViewBase' as never],
        expiry: 3600,
        sessionId: 'session-1',
        featureFlags: ['beta', 'beta'],
      });
      const claims = decodeJwt(out.token);
      expect(claims).toMatchObject({
        sub: app.id,
        capabilities: ['ViewBase', 'ManageEndpoint'],
        sid: 'session-1',
        featureFlags: ['beta'],
      });
      expect(claims.exp! - claims.iat!).toBe(3600);
    });

    it("serves svix 1.x's deprecated dashboard-access as a full portal link", async () => {
      const app = await newApp();
      const out = await svix.authentication.dashboardAccess(app.id);
      expect(out.url).toBe(`${api.url}/portal#token=${out.token}`);
      expect(decodeJwt(out.token)).toMatchObject({
        sub: app.id,
        capabilities: expect.arrayContaining(['ManageEndpoint']),
      });
    });

    it('gives readOnly tokens ViewBase only', async () => {
      const app = await newApp();
      const out = await svix.authentication.appPortalAccess(app.id, { readOnly: true });
      expect(decodeJwt(out.token).capabilities).toEqual(['ViewBase']);
    });

    it('creates the application on the fly when the path names none, with the path as its uid', async () => {
      const out = await svix.authentication.appPortalAccess('fresh-customer', {
        application: { name: 'Fresh customer', metadata: { plan: 'free' } },
      });
      const created = await svix.application.get('fresh-customer');
      expect(created).toMatchObject({
        name: 'Fresh customer',
        uid: 'fresh-customer',
        metadata: { plan: 'free' },
      });
      expect(decodeJwt(out.token).sub).toBe(created.id);
      // An existing application is kept as it is.
      await svix.authentication.appPortalAccess('fresh-customer', { application: { name: 'Renamed?' } });
      expect((await svix.application.get('fresh-customer')).name).toBe('Fresh customer');
    });

    it('refuses what it cannot honour with 404 or 422 naming the field', async () => {
      expect((await svixError(svix.authentication.appPortalAccess('nobody', {}))).code).toBe(404);
      const unknownId = newId('application');
      const notCreated = await svixError(
        svix.authentication.appPortalAccess(unknownId, { application: { name: 'x' } }),
      );
      expect(notCreated.code).toBe(404);
      const app = await newApp();
      const cases: [Record<string, unknown>, string][] = [
        [{ expiry: 3599 }, 'expiry'],
        [{ expiry: 604_801 }, 'expiry'],
        [{ capabilities: ['ManageEndpoint'] }, 'capabilities'],
        [{ capabilities: ['ViewBase', 'Superpowers'] }, 'capabilities'],
        [{ readOnly: true, capabilities: ['ViewBase', 'ManageEndpoint'] }, 'readOnly'],
        [{ featureFlags: Array.from({ length: 26 }, (_, i) => `f${i}`) }, 'featureFlags'],
        [{ sessionId: '' }, 'sessionId'],
        [{ application: { name: 'x', uid: 'other' } }, 'application'],
        [{ surprise: true }, 'surprise'],
      ];
      for (const [body, field] of cases) {
        const target = field === 'application' ? 'not-yet' : app.id;
        const res = await tenant.client.post(`/api/v1/auth/app-portal-access/${target}`, body);
        expect([res.status, JSON.stringify(body)]).toEqual([422, JSON.stringify(body)]);
        expect(res.body.detail[0].loc).toContain(field);
      }
    });

    it("answers 404 for another tenant's application", async () => {
      const app = await newApp();
      const other = await api.newTenant('other');
      const res = await other.client.post(`/api/v1/auth/app-portal-access/${app.id}`, {});
      expect(res.status).toBe(404);
    });
  });

  describe('using a token', () => {
    it("works with the svix SDK on its own application's routes", async () => {
      const app = await newApp();
      await svix.eventType.create({ name: 'invoice.paid', description: 'Paid' });
      const portal = sdk(await portalToken(app.id));
      const endpoint = await portal.endpoint.create(app.id, {
        url: 'https://example.com/hook',
        filterTypes: ['invoice.paid'],
      });
      expect((await portal.endpoint.list(app.id)).data.map((e) => e.id)).toEqual([endpoint.id]);
      expect((await portal.endpoint.getSecret(app.id, endpoint.id)).key).toMatch(/^whsec_/);
      await portal.endpoint.rotateSecret(app.id, endpoint.id, {});
      expect((await portal.endpoint.get(app.id, endpoint.id)).url).toBe('https://example.com/hook');
      expect((await portal.application.get(app.id)).id).toBe(app.id);
      expect((await portal.eventType.list()).data.map((t) => t.name)).toContain('invoice.paid');
      expect((await portal.message.list(app.id)).data).toEqual([]);
      await portal.endpoint.delete(app.id, endpoint.id);
    });

    it('is 404 on another application, by id or by uid, as if it did not exist', async () => {
      const mine = await newApp();
      const theirs = await svix.application.create({ name: 'Theirs', uid: 'theirs' });
      const portal = portalClient(await portalToken(mine.id));
      for (const path of [
        `/api/v1/app/${theirs.id}/endpoint`,
        '/api/v1/app/theirs/endpoint',
        `/api/v1/app/${newId('application')}/msg`,
        `/api/v1/app/${theirs.id}`,
      ]) {
        const res = await portal.get(path);
        expect([path, res.status, res.body.code]).toEqual([path, 404, 'application_not_found']);
      }
    });

    it('is refused with 403 on routes that are not for portal tokens', async () => {
      const app = await newApp();
      const portal = sdk(await portalToken(app.id));
      for (const call of [
        portal.message.create(app.id, { eventType: 'invoice.paid', payload: {} }),
        portal.application.list(),
        portal.application.delete(app.id),
        portal.eventType.create({ name: 'sneaky', description: '' }),
        portal.authentication.appPortalAccess(app.id, {}),
        portal.authentication.expireAll(app.id, {}),
      ]) {
        const error = await svixError(call);
        expect(error.code).toBe(403);
        expect(error.body).toMatchObject({ code: 'portal_token_not_allowed' });
      }
      const admin = await portalClient(await portalToken(app.id)).get('/admin/v1/tenants');
      expect(admin.status).toBe(401);
    });

    it('enforces capabilities with 403 naming the missing one', async () => {
      const app = await newApp();
      const endpoint = await svix.endpoint.create(app.id, { url: 'https://example.com/a' });
      const msg = await svix.message.create(app.id, { eventType: 'invoice.paid', payload: {} });
      const viewer = portalClient(await portalToken(app.id, { capabilities: ['ViewBase'] }));
      const calls: [Promise<{ status: number; body: any }>, string][] = [
        [viewer.post(`/api/v1/app/${app.id}/endpoint`, { url: 'https://example.com/b' }), 'ManageEndpoint'],
        [viewer.patch(`/api/v1/app/${app.id}/endpoint/${endpoint.id}`, { disabled: true }), 'ManageEndpoint'],
        [viewer.delete(`/api/v1/app/${app.id}/endpoint/${endpoint.id}`), 'ManageEndpoint'],
        [viewer.get(`/api/v1/app/${app.id}/endpoint/${endpoint.id}/secret`), 'ViewEndpointSecret'],
        [
          viewer.post(`/api/v1/app/${app.id}/endpoint/${endpoint.id}/secret/rotate`, {}),
          'ManageEndpointSecret',
        ],
        [
          viewer.post(`/api/v1/app/${app.id}/msg/${msg.id}/endpoint/${endpoint.id}/resend`, {}),
          'CreateAttempts',
        ],
        [
          viewer.post(`/api/v1/app/${app.id}/endpoint/${endpoint.id}/recover`, {
            since: new Date().toISOString(),
          }),
          'CreateAttempts',
        ],
        [
          viewer.post(`/api/v1/app/${app.id}/endpoint/${endpoint.id}/send-example`, {
            eventType: 'svix.ping',
          }),
          'CreateAttempts',
        ],
      ];
      for (const [call, capability] of calls) {
        const res = await call;
        expect([res.status, res.body.code, res.body.capability]).toEqual([
          403,
          'missing_capability',
          capability,
        ]);
        expect(res.body.detail).toContain(capability);
      }
      // What ViewBase allows still works.
      expect((await viewer.get(`/api/v1/app/${app.id}/endpoint/${endpoint.id}`)).status).toBe(200);
      expect((await viewer.get(`/api/v1/app/${app.id}/attempt/msg/${msg.id}`)).status).toBe(200);
      expect((await viewer.get(`/api/v1/app/${app.id}/endpoint/${endpoint.id}/stats`)).status).toBe(200);
      // Rotating a secret includes reading it, as Svix documents.
      const rotator = portalClient(
        await portalToken(app.id, { capabilities: ['ViewBase', 'ManageEndpointSecret'] }),
      );
      expect((await rotator.get(`/api/v1/app/${app.id}/endpoint/${endpoint.id}/secret`)).status).toBe(200);
    });

    it('shows feature-flagged event types only to tokens with the flag, and only lets them subscribe to those', async () => {
      const app = await newApp();
      await svix.eventType.create({ name: 'plain.event', description: '' });
      await svix.eventType.create({ name: 'beta.event', description: '', featureFlags: ['beta'] });
      const plain = sdk(await portalToken(app.id));
      const beta = sdk(await portalToken(app.id, { featureFlags: ['beta'] }));
      const names = async (client: Svix) =>
        (await client.eventType.list({ limit: 250 })).data.map((t) => t.name);
      expect(await names(plain)).toContain('plain.event');
      expect(await names(plain)).not.toContain('beta.event');
      expect(await names(beta)).toEqual(expect.arrayContaining(['plain.event', 'beta.event']));
      expect(await names(svix)).toEqual(expect.arrayContaining(['plain.event', 'beta.event']));
      expect((await svixError(plain.eventType.get('beta.event'))).code).toBe(404);
      expect((await beta.eventType.get('beta.event')).name).toBe('beta.event');
      const refused = await svixError(
        plain.endpoint.create(app.id, { url: 'https://example.com/x', filterTypes: ['beta.event'] }),
      );
      expect(refused.code).toBe(422);
      const ok = await beta.endpoint.create(app.id, {
        url: 'https://example.com/x',
        filterTypes: ['beta.event'],
      });
      expect(ok.filterTypes).toEqual(['beta.event']);
    });
  });

  describe('bad tokens are 401', () => {
    let appId: string;
    beforeAll(async () => {
      appId = (await newApp()).id;
    });
    const endpointsWith = (token: string) => portalClient(token).get(`/api/v1/app/${appId}/endpoint`);

    it('expired', async () => {
      const now = Math.floor(Date.now() / 1000);
      const token = await forge({
        iss: 'hookrelay',
        aud: 'hookrelay:app-portal',
        sub: appId,
        app: appId,
        jti: newId('portalToken'),
        iat: now - 7200,
        exp: now - 3600,
      });
      const res = await endpointsWith(token);
      expect([res.status, res.body.code]).toEqual([401, 'token_expired']);
    });

    it('tampered: a payload changed after signing', async () => {
      const token = await portalToken(appId, { capabilities: ['ViewBase'] });
      const [header, payload, signature] = token.split('.');
      const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
      claims.capabilities = ['ViewBase', 'ManageEndpoint'];
      const altered = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
      const res = await endpointsWith(altered);
      expect([res.status, res.body.code]).toEqual([401, 'token_invalid']);
    });

    it('signed with another key, another algorithm, or none', async () => {
      const valid = {
        iss: 'hookrelay',
        aud: 'hookrelay:app-portal',
        sub: appId,
        app: appId,
        jti: newId('portalToken'),
        iat: Math.floor(Date.now() / 1000),
        exp: Math.floor(Date.now() / 1000) + 3600,
      };
      const otherKey = await forge(valid, randomBytes(32));
      const hs512 = await new SignJWT({ tenant: tenant.id, capabilities: ['ViewBase'], ...valid })
        .setProtectedHeader({ alg: 'HS512' })
        .sign(new Uint8Array(Buffer.concat([portalTokenKey(api.config.encryptionKey), randomBytes(32)])));
      const none = [
        Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url'),
        Buffer.from(JSON.stringify({ tenant: tenant.id, capabilities: ['ViewBase'], ...valid })).toString(
          'base64url',
        ),
        'x',
      ].join('.');
      for (const token of [otherKey, hs512, none, 'a.b.c']) {
        const res = await endpointsWith(token);
        expect([res.status, res.body.code]).toEqual([401, 'token_invalid']);
      }
      // The same claims with the right key pass: the refusals above are about the key and algorithm.
      expect((await endpointsWith(await forge(valid))).status).toBe(200);
    });

    it('meant for another audience or issuer, or without the claims Hookrelay writes', async () => {
      const base = {
        sub: appId,
        app: appId,
        jti: newId('portalToken'),
        iat: Math.floor(Date.now() / 1000),
        exp: Math.floor(Date.now() / 1000) + 3600,
      };
      const tokens = [
        await forge({ ...base, iss: 'hookrelay', aud: 'someone-else' }),
        await forge({ ...base, iss: 'someone-else', aud: 'hookrelay:app-portal' }),
        await forge({ ...base, iss: 'hookrelay', aud: 'hookrelay:app-portal', jti: undefined }),
        await forge({ ...base, iss: 'hookrelay', aud: 'hookrelay:app-portal', capabilities: ['Everything'] }),
        await forge({ ...base, iss: 'hookrelay', aud: 'hookrelay:app-portal', app: newId('application') }),
      ];
      for (const token of tokens) {
        const res = await endpointsWith(token);
        expect([res.status, res.body.code]).toEqual([401, 'token_invalid']);
      }
    });

    it('revoked by expire-all: older tokens stop, newer ones work', async () => {
      const old = await portalToken(appId);
      expect((await endpointsWith(old)).status).toBe(200);
      await svix.authentication.expireAll(appId, {});
      const res = await endpointsWith(old);
      expect([res.status, res.body.code]).toEqual([401, 'token_revoked']);
      // Issued in the same second as the revocation, after it: still valid.
      expect((await endpointsWith(await portalToken(appId))).status).toBe(200);
    });

    it('revoked by session: only the named sessions stop', async () => {
      const alice = await portalToken(appId, { sessionId: 'alice' });
      const bob = await portalToken(appId, { sessionId: 'bob' });
      const anonymous = await portalToken(appId);
      await svix.authentication.expireAll(appId, { sessionIds: ['alice'] });
      expect((await endpointsWith(alice)).status).toBe(401);
      expect((await endpointsWith(bob)).status).toBe(200);
      expect((await endpointsWith(anonymous)).status).toBe(200);
    });

    it('with a grace period, revoked tokens keep working until it ends', async () => {
      const token = await portalToken(appId);
      await svix.authentication.expireAll(appId, { expiry: 3600 });
      expect((await endpointsWith(token)).status).toBe(200);
    });

    it('logged out: that token only', async () => {
      const mine = await portalToken(appId);
      const other = await portalToken(appId);
      await sdk(mine).authentication.logout();
      expect((await endpointsWith(mine)).body.code).toBe('token_revoked');
      expect((await endpointsWith(other)).status).toBe(200);
      // Logout takes a portal token, not an API key.
      expect((await tenant.client.post('/api/v1/auth/logout', {})).status).toBe(401);
    });

    it('whose application was deleted', async () => {
      const app = await newApp();
      const token = await portalToken(app.id);
      await svix.application.delete(app.id);
      const res = await portalClient(token).get(`/api/v1/app/${app.id}/endpoint`);
      expect([res.status, res.body.code]).toEqual([401, 'token_revoked']);
    });

    it("whose tenant was deleted, even on another tenant's application", async () => {
      const doomed = await api.newTenant('doomed');
      const app = (await doomed.client.post('/api/v1/app', { name: 'x' })).body;
      const token = (await doomed.client.post(`/api/v1/auth/app-portal-access/${app.id}`, {})).body.token;
      expect((await portalClient(token).get(`/api/v1/app/${app.id}/endpoint`)).status).toBe(200);
      expect((await api.admin.delete(`/admin/v1/tenants/${doomed.id}`)).status).toBe(204);
      expect((await portalClient(token).get(`/api/v1/app/${app.id}/endpoint`)).status).toBe(401);
    });
  });

  it('a revocation reaches another API process sharing the database', async () => {
    const second = await startApi(api.config);
    try {
      const appId = (await newApp()).id;
      const token = await portalToken(appId);
      const onSecond = new HttpClient(second.url, token);
      // The second process has now cached this application's (empty) revocations.
      expect((await onSecond.get(`/api/v1/app/${appId}/endpoint`)).status).toBe(200);
      await svix.authentication.expireAll(appId, {});
      await waitFor('the second API to refuse the revoked token', async () => {
        const res = await onSecond.get(`/api/v1/app/${appId}/endpoint`);
        return res.status === 401 && res.body.code === 'token_revoked';
      });
    } finally {
      await second.close();
    }
  });

  it('tokens of one installation do not work on another (a different ENCRYPTION_KEY)', async () => {
    const elsewhere = await startApi(testConfig());
    try {
      const appId = (await newApp()).id;
      const token = await portalToken(appId);
      const res = await new HttpClient(elsewhere.url, token).get(`/api/v1/app/${appId}/endpoint`);
      expect([res.status, res.body.code]).toEqual([401, 'token_invalid']);
    } finally {
      await elsewhere.close();
    }
  });
});
