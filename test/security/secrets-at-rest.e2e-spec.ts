import { createCipheriv, randomBytes } from 'node:crypto';
import { Svix } from 'svix';
import { AppSecretBox, EndpointOauthRepository, EndpointRepository, PrismaService } from '@app/db';
import { SecretResealService } from '@app/delivery';
import { SecretBoxError } from '@app/domain';
import { svixError } from '@app/testing';
import { startApi, RunningApi } from '../support/running-api';

/** A value as the SecretBox sealed it before contexts existed: raw master key, `v<n>:` alone as AAD. */
function legacySeal(plaintext: string, version: number, key: Buffer): string {
  const prefix = `v${version}:`;
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
  cipher.setAAD(Buffer.from(prefix, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return prefix + Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64');
}

function twoOf<T>(items: T[]): [T, T] {
  const [first, second] = items;
  if (first === undefined || second === undefined) throw new Error('expected two items');
  return [first, second];
}

async function expectSealError(promise: Promise<unknown>, code: SecretBoxError['code'], endpointId: string) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SecretBoxError);
  expect((error as SecretBoxError).code).toBe(code);
  expect((error as SecretBoxError).message).toContain(endpointId);
}

/**
 * Sealed values are bound to their row: a secret, OAuth secret or header set copied (with SQL, as someone with
 * write access to the database could) into another endpoint's row, or another tenant's, does not open there —
 * it fails with a clear error instead of signing with, or showing, someone else's secret. Values sealed before
 * binding existed still open.
 */
describe('secrets at rest are bound to their tenant and endpoint', () => {
  let api: RunningApi;
  /** Plain SQL on the test's database, as someone with write access to it could run. */
  let sql: { query<T>(text: string, values: unknown[]): Promise<T[]> };
  const sdk = (key: string) => new Svix(key, { serverUrl: api.url, retryScheduleInMs: [] });

  beforeAll(async () => {
    api = await startApi();
    const prisma = api.app.get(PrismaService);
    sql = { query: (text, values) => prisma.$queryRawUnsafe(text, ...values) };
  });

  afterAll(async () => {
    await api.close();
  });

  async function tenantWithEndpoints(name: string, count: number) {
    const tenant = await api.newTenant(name);
    const svix = sdk(tenant.apiKey);
    const app = await svix.application.create({ name: `${name} app` });
    const endpoints = [];
    for (let i = 0; i < count; i++) {
      endpoints.push(
        await svix.endpoint.create(app.id, {
          url: `https://example.com/${name}/${i}`,
          headers: { 'X-Owner': `${name}-${i}`, Authorization: `Bearer ${name}-${i}` },
        }),
      );
    }
    return { tenant, svix, app, endpoints };
  }

  /** Copies one column of endpoint `from` into endpoint `to`, as a row swap in the database would. */
  async function copyColumn(column: 'secret' | 'headers' | 'oauth', from: string, to: string) {
    await sql.query(
      `UPDATE endpoints SET ${column} = (SELECT ${column} FROM endpoints WHERE id = $1) WHERE id = $2`,
      [from, to],
    );
  }

  it('refuses a signing secret copied into another endpoint of the same tenant, or of another tenant', async () => {
    const a = await tenantWithEndpoints('owner', 2);
    const b = await tenantWithEndpoints('other', 1);
    const [victim, sameTenant] = twoOf(a.endpoints);
    const otherTenant = b.endpoints[0]!;
    const victimSecret = (await a.svix.endpoint.getSecret(a.app.id, victim.id)).key;

    await copyColumn('secret', victim.id, sameTenant.id);
    await copyColumn('secret', victim.id, otherTenant.id);

    const repository = api.app.get(EndpointRepository);
    await expectSealError(
      repository.getSecret(a.tenant.id, a.app.id, sameTenant.id),
      'tampered',
      sameTenant.id,
    );
    await expectSealError(
      repository.getSecret(b.tenant.id, b.app.id, otherTenant.id),
      'tampered',
      otherTenant.id,
    );

    // Through the API: an error without internals, never the victim's secret.
    for (const [svix, appId, endpointId] of [
      [a.svix, a.app.id, sameTenant.id],
      [b.svix, b.app.id, otherTenant.id],
    ] as const) {
      const error = await svixError(svix.endpoint.getSecret(appId, endpointId));
      expect(error.code).toBe(500);
      const body: unknown = typeof error.body === 'string' ? JSON.parse(error.body) : error.body;
      expect(body).toMatchObject({ code: 'internal_error' });
      expect(JSON.stringify(error.body)).not.toContain(victimSecret);
    }
    // The victim's own row still opens.
    expect((await a.svix.endpoint.getSecret(a.app.id, victim.id)).key).toBe(victimSecret);
  });

  it('refuses custom headers copied into another endpoint’s row', async () => {
    const a = await tenantWithEndpoints('headers', 2);
    const [victim, thief] = twoOf(a.endpoints);
    await copyColumn('headers', victim.id, thief.id);

    await expectSealError(
      api.app.get(EndpointRepository).find(a.tenant.id, a.app.id, thief.id),
      'tampered',
      thief.id,
    );
    expect((await a.svix.endpoint.getHeaders(a.app.id, victim.id)).headers).toEqual({
      'X-Owner': 'headers-0',
    });
  });

  it('refuses OAuth secrets copied into another endpoint’s row', async () => {
    const a = await tenantWithEndpoints('oauth', 2);
    const [victim, thief] = twoOf(a.endpoints);
    const put = await a.tenant.client.put(`/api/v1/app/${a.app.id}/endpoint/${victim.id}/oauth`, {
      authMethod: 'clientSecretBasic',
      clientId: 'client',
      clientSecret: 'oauth-client-secret',
      grantType: 'clientCredentials',
      tokenUrl: 'https://auth.example.com/token',
    });
    expect(put.status).toBe(204);
    const stored = await sql.query<{ oauth: { clientSecret: string } }>(
      'SELECT oauth FROM endpoints WHERE id = $1',
      [victim.id],
    );
    expect(stored[0]!.oauth.clientSecret).toMatch(/^v1c:/);
    expect(JSON.stringify(stored[0]!.oauth)).not.toContain('oauth-client-secret');

    await copyColumn('oauth', victim.id, thief.id);
    const oauth = api.app.get(EndpointOauthRepository);
    const forThief = await oauth.findForDelivery(a.tenant.id, a.app.id, thief.id);
    expect(() => forThief!.open()).toThrow(SecretBoxError);
    expect(() => forThief!.open()).toThrow(/failed authentication/);
    const forVictim = await oauth.findForDelivery(a.tenant.id, a.app.id, victim.id);
    expect(forVictim!.open().clientSecret).toBe('oauth-client-secret');
  });

  it('still opens values sealed before binding existed (legacy "v1:" secrets, plain headers)', async () => {
    const a = await tenantWithEndpoints('legacy', 1);
    const endpoint = a.endpoints[0]!;
    const secret = 'whsec_' + Buffer.alloc(32, 5).toString('base64');
    await sql.query(`UPDATE endpoints SET secret = $2, headers = $3::jsonb WHERE id = $1`, [
      endpoint.id,
      legacySeal(secret, 1, api.config.encryptionKey),
      JSON.stringify({ 'X-Legacy': 'plain', Authorization: 'Bearer plain' }),
    ]);

    expect((await a.svix.endpoint.getSecret(a.app.id, endpoint.id)).key).toBe(secret);
    expect(await a.svix.endpoint.getHeaders(a.app.id, endpoint.id)).toEqual({
      headers: { 'X-Legacy': 'plain' },
      sensitive: ['Authorization'],
    });
    expect(api.app.get(AppSecretBox).needsReseal(legacySeal(secret, 1, api.config.encryptionKey))).toBe(true);

    // The next write of the headers seals them.
    await a.svix.endpoint.patchHeaders(a.app.id, endpoint.id, { headers: { 'X-More': '1' } });
    const [row] = await sql.query<{ headers: unknown }>('SELECT headers FROM endpoints WHERE id = $1', [
      endpoint.id,
    ]);
    expect(row!.headers).toMatch(/^v1c:/);
    expect((await a.svix.endpoint.getHeaders(a.app.id, endpoint.id)).headers).toEqual({
      'X-Legacy': 'plain',
      'X-More': '1',
    });
  });

  it('re-seals legacy rows and leaves a row it cannot open as it was, reporting it by id', async () => {
    const a = await tenantWithEndpoints('reseal', 2);
    const [legacy, broken] = twoOf(a.endpoints);
    const secret = 'whsec_' + Buffer.alloc(32, 6).toString('base64');
    await sql.query(`UPDATE endpoints SET secret = $2 WHERE id = $1`, [
      legacy.id,
      legacySeal(secret, 1, api.config.encryptionKey),
    ]);
    const foreign = legacySeal(secret, 1, randomBytes(32));
    await sql.query(`UPDATE endpoints SET secret = $2 WHERE id = $1`, [broken.id, foreign]);

    const report = await api.app.get(SecretResealService).tick();
    expect(report.ran).toBe(true);
    expect(report.unreadable).toEqual([broken.id]);
    expect(report.remaining).toBe(1);
    const rows = await sql.query<{ id: string; secret: string }>(
      'SELECT id, secret FROM endpoints WHERE id = ANY($1::text[])',
      [[legacy.id, broken.id]],
    );
    expect(rows.find((r) => r.id === broken.id)!.secret).toBe(foreign);
    expect(rows.find((r) => r.id === legacy.id)!.secret).toMatch(/^v1c:/);
    expect((await a.svix.endpoint.getSecret(a.app.id, legacy.id)).key).toBe(secret);
  });
});
