import nacl from 'tweetnacl';
import { PrismaService } from '@app/db';
import { verifyWebhook } from '@app/sdk';
import { HttpClient, svixError, testConfig } from '@app/testing';
import { DeliveryWorld } from '../support/delivery-world';

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
});
