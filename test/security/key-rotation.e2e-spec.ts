import { createCipheriv, randomBytes } from 'node:crypto';
import { Svix } from 'svix';
import type { AppConfig } from '@app/config';
import { EndpointOauthRepository, PrismaService } from '@app/db';
import { Metrics, SecretResealService } from '@app/delivery';
import { testConfig, TestReceiver, waitFor } from '@app/testing';
import { startApi } from '../support/running-api';
import { DeliveryWorld } from '../support/delivery-world';

const keyA = randomBytes(32).toString('base64');
const keyB = randomBytes(32).toString('base64');

/** As the SecretBox sealed before contexts existed: raw master key, `v<n>:` alone as AAD. */
function legacySeal(plaintext: string, version: number, key: string): string {
  const prefix = `v${version}:`;
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(key, 'base64'), iv, { authTagLength: 16 });
  cipher.setAAD(Buffer.from(prefix, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return prefix + Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64');
}

/**
 * Rotating ENCRYPTION_KEY (docs/operations.md): values sealed, tokens signed and API keys hashed with key A
 * keep working while B is current and A is listed in ENCRYPTION_KEY_PREVIOUS; the re-seal pass moves every
 * sealed value to B (and seals headers still in clear); API keys move on their next use; after that A can be
 * dropped and everything still opens, signs and authenticates.
 */
describe('ENCRYPTION_KEY rotation (e2e)', () => {
  const base = testConfig();
  /** Same database and Redis prefix for every phase; only the keys change, as across an operator's restarts. */
  const phase = (keys: Record<string, string>): AppConfig =>
    testConfig({ QUEUE_PREFIX: base.redis.prefix, ADMIN_TOKEN: base.adminToken, ...keys });
  const sdk = (url: string, key: string) => new Svix(key, { serverUrl: url, retryScheduleInMs: [] });

  const signing = 'whsec_' + Buffer.alloc(32, 3).toString('base64');
  const rotatedOut = 'whsec_' + Buffer.alloc(32, 4).toString('base64');
  const legacySecret = 'whsec_' + Buffer.alloc(32, 5).toString('base64');
  /** The receiver's URL with user info in it. */
  const withCredentials = (url: string, user: string, password: string) => {
    const parsed = new URL(url);
    parsed.username = user;
    parsed.password = password;
    return parsed.href;
  };

  let receiver: TestReceiver;
  let apiKey: string;
  /** A second tenant whose key is not used between the rotation and the re-seal pass. */
  let idleApiKey: string;
  let appId: string;
  let endpointId: string;
  let legacyEndpointId: string;
  let oauthEndpointId: string;
  let tenantId: string;
  let portalToken: string;

  beforeAll(async () => {
    receiver = await TestReceiver.start();
  });

  afterAll(async () => {
    await receiver.close();
  });

  it('phase A: writes every kind of sealed value under key A (and one row as an older release left it)', async () => {
    const api = await startApi(phase({ ENCRYPTION_KEY: keyA }));
    try {
      const tenant = await api.newTenant('rotating');
      tenantId = tenant.id;
      apiKey = tenant.apiKey;
      idleApiKey = (await api.newTenant('idle')).apiKey;
      const svix = sdk(api.url, apiKey);
      appId = (await svix.application.create({ name: 'rotating app' })).id;
      endpointId = (
        await svix.endpoint.create(appId, {
          url: receiver.url,
          secret: rotatedOut,
          headers: { 'X-Tenant-Header': 'kept', Authorization: 'Bearer receiver-token' },
        })
      ).id;
      // The replaced secret keeps signing for 24 h: it lives on in old_secrets, sealed with A.
      await svix.endpoint.rotateSecret(appId, endpointId, { key: signing });
      // OAuth on an endpoint of its own, disabled: no token server is reachable from the test. Its URL's
      // credentials are sealed with A too.
      oauthEndpointId = (
        await svix.endpoint.create(appId, {
          url: withCredentials(receiver.url, 'oauth-user', 'pw-under-a'),
          disabled: true,
        })
      ).id;
      const oauth = await tenant.client.put(`/api/v1/app/${appId}/endpoint/${oauthEndpointId}/oauth`, {
        authMethod: 'clientSecretBasic',
        clientId: 'client',
        clientSecret: 'oauth-secret-under-a',
        grantType: 'clientCredentials',
        tokenUrl: 'https://auth.example.com/token',
      });
      expect(oauth.status).toBe(204);
      legacyEndpointId = (await svix.endpoint.create(appId, { url: `${receiver.url}?legacy` })).id;
      await api.app.get(PrismaService).$executeRawUnsafe(
        `UPDATE endpoints SET secret = $2, headers = $3::jsonb, url = $4 WHERE id = $1`,
        legacyEndpointId,
        legacySeal(legacySecret, 1, keyA),
        JSON.stringify({ 'X-Legacy': 'plain' }),
        // An older release stored a URL's credentials in it, in clear.
        withCredentials(`${receiver.url}?legacy`, 'legacy-user', 'legacy%2Fpw'),
      );
      portalToken = (await svix.authentication.appPortalAccess(appId, {})).token;
    } finally {
      await api.close();
    }
  });

  it('phase B: with B current and A previous, everything still works and the worker re-seals it all to B', async () => {
    const world = new DeliveryWorld(
      phase({ ENCRYPTION_KEY: keyB, ENCRYPTION_KEY_VERSION: '2', ENCRYPTION_KEY_PREVIOUS: `1:${keyA}` }),
    );
    await world.start();
    try {
      const { api } = world;
      const svix = sdk(api.url, apiKey);
      // The API key hashed under A authenticates (and is re-hashed under B); a portal token signed with A works.
      expect((await svix.endpoint.getSecret(appId, endpointId)).key).toBe(signing);
      const portal = await api.anonymous.withToken(portalToken).get(`/api/v1/app/${appId}/endpoint`);
      expect(portal.status).toBe(200);

      // The worker's loop re-seals at start: every value of the tenant moves to v2c.
      const prisma = api.app.get(PrismaService);
      const rows = await waitFor('the worker to re-seal every row under key B', async () => {
        const found = await prisma.endpoint.findMany({ where: { tenantId } });
        const values = found.flatMap((row) => [
          row.secret,
          row.headers,
          ...(row.oldSecrets as { secret: string }[]).map((o) => o.secret),
          ...(row.oauth ? [(row.oauth as { clientSecret: string }).clientSecret] : []),
          ...(row.urlCredentials === null ? [] : [row.urlCredentials]),
        ]);
        const noUserInfo = found.every((row) => !row.url.includes('@'));
        return noUserInfo && values.every((v) => typeof v === 'string' && v.startsWith('v2c:')) && found;
      });
      expect(rows).toHaveLength(3);
      // The legacy row's credentials left its URL for the sealed column; the OAuth endpoint's were re-sealed.
      expect(
        rows
          .filter((row) => row.urlCredentials !== null)
          .map((row) => row.id)
          .sort(),
      ).toEqual([legacyEndpointId, oauthEndpointId].sort());
      const resealed = await world.worker.get(Metrics).sealedRowsResealed.get();
      expect(resealed.values[0]!.value).toBe(3);

      // Idempotent: another pass finds nothing; it counts the API key not used since the switch.
      // A pass of our own (retried while the worker's pass still holds the lock).
      const reseal = api.app.get(SecretResealService);
      const pass = () =>
        waitFor('a re-seal pass of this process', async () => {
          const report = await reseal.tick();
          return report.ran ? report : undefined;
        });
      expect(await pass()).toEqual({
        ran: true,
        resealed: 0,
        unreadable: [],
        remaining: 0,
        apiKeysOnOlderKeys: 1,
      });

      // The idle tenant's key moves on its first use, here, before A goes.
      await sdk(api.url, idleApiKey).application.list();
      expect((await pass()).apiKeysOnOlderKeys).toBe(0);
    } finally {
      await world.stop();
    }
  });

  it('phase C: with A dropped, every value opens, deliveries are signed with both secrets, keys authenticate', async () => {
    const world = new DeliveryWorld(phase({ ENCRYPTION_KEY: keyB, ENCRYPTION_KEY_VERSION: '2' }));
    await world.start();
    try {
      const svix = sdk(world.api.url, apiKey);
      expect((await svix.endpoint.getSecret(appId, endpointId)).key).toBe(signing);
      expect((await svix.endpoint.getSecret(appId, legacyEndpointId)).key).toBe(legacySecret);
      expect(await svix.endpoint.getHeaders(appId, endpointId)).toEqual({
        headers: { 'X-Tenant-Header': 'kept' },
        sensitive: ['Authorization'],
      });
      expect((await svix.endpoint.getHeaders(appId, legacyEndpointId)).headers).toEqual({
        'X-Legacy': 'plain',
      });
      const oauth = await world.api.app
        .get(EndpointOauthRepository)
        .findForDelivery(tenantId, appId, oauthEndpointId);
      expect(oauth!.open().clientSecret).toBe('oauth-secret-under-a');
      expect((await svix.endpoint.get(appId, oauthEndpointId)).url).toBe(
        withCredentials(receiver.url, 'oauth-user', '********'),
      );
      expect((await sdk(world.api.url, idleApiKey).application.list()).data).toEqual([]);
      // A's portal token is gone with A.
      const portal = await world.api.anonymous.withToken(portalToken).get(`/api/v1/app/${appId}/endpoint`);
      expect(portal.status).toBe(401);

      await svix.message.create(appId, { eventType: 'rotation.done', payload: { ok: true } });
      const requests = await receiver.waitForRequests(2);
      const main = requests.find((r) => !r.path.endsWith('?legacy'))!;
      const legacy = requests.find((r) => r.path.endsWith('?legacy'))!;
      expect(TestReceiver.verify(main, signing)).toEqual({ ok: true });
      expect(TestReceiver.verify(main, rotatedOut)).toEqual({ ok: true });
      expect(main.headers['x-tenant-header']).toBe('kept');
      expect(main.headers.authorization).toBe('Bearer receiver-token');
      expect(TestReceiver.verify(legacy, legacySecret)).toEqual({ ok: true });
      expect(legacy.headers['x-legacy']).toBe('plain');
      expect(legacy.headers.authorization).toBe(
        `Basic ${Buffer.from('legacy-user:legacy/pw').toString('base64')}`,
      );
    } finally {
      await world.stop();
    }
  });
});
