import { Svix } from 'svix';
import { svixError } from '@app/testing';
import { AppSecretBox, ApplicationRepository, openHeaders, parseOldSecrets, PrismaService } from '@app/db';
import { parseEndpointSecret, SealContext } from '@app/domain';
import { startApi, RunningApi } from '../../../../test/support/running-api';

/** The svix SDK's `operationalWebhookEndpoint` routes against the real API, plus raw HTTP for bad input. */
describe('operational webhook endpoints via the svix SDK', () => {
  let api: RunningApi;
  const sdk = (key: string) => new Svix(key, { serverUrl: api.url, retryScheduleInMs: [] });

  beforeAll(async () => {
    api = await startApi();
  });

  afterAll(async () => {
    await api.close();
  });

  /** An endpoint's rotated-out secrets as stored, opened, newest first. */
  async function oldSecretsOf(endpointId: string) {
    const row = await api.app.get(PrismaService).endpoint.findUniqueOrThrow({ where: { id: endpointId } });
    return parseOldSecrets(row.oldSecrets).map((o) => ({
      ...o,
      secret: api.app.get(AppSecretBox).open(o.secret, SealContext.endpointSecret(row.tenantId, endpointId)),
    }));
  }

  async function newTenant(name: string) {
    const tenant = await api.newTenant(name);
    return { tenant, svix: sdk(tenant.apiKey) };
  }

  it('has nothing to list or find before the first endpoint is created', async () => {
    const { tenant, svix } = await newTenant('op-empty');
    const ops = svix.operationalWebhook.endpoint;
    expect(await ops.list()).toMatchObject({ data: [], done: true, iterator: null });
    for (const call of [
      ops.get('ep_2xxxxxxxxxxxxxxxxxxxxxxxxxx'),
      ops.getSecret('anything'),
      ops.getHeaders('anything'),
      ops.delete('anything'),
      ops.rotateSecret('anything', {}),
      ops.updateHeaders('anything', { headers: { 'X-A': '1' } }),
    ]) {
      const error = await svixError(call);
      expect(error.code).toBe(404);
      expect(error.body).toMatchObject({ code: 'endpoint_not_found' });
    }
    // Looking did not create the hidden application.
    expect(await api.app.get(ApplicationRepository).findOperational(tenant.id)).toBeUndefined();
  });

  it('creates, gets by id and uid, replaces, lists and deletes, with operational filterTypes', async () => {
    const { svix } = await newTenant('op-crud');
    const ops = svix.operationalWebhookEndpoint;
    // No event types were created: operational endpoints filter on Hookrelay's own event names.
    const created = await ops.create({
      url: 'https://example.com/ops',
      uid: 'ops-main',
      description: 'Ops',
      filterTypes: ['message.attempt.exhausted', 'endpoint.disabled'],
      metadata: { team: 'sre' },
      throttleRate: 5,
    });
    expect(created).toMatchObject({
      uid: 'ops-main',
      url: 'https://example.com/ops',
      description: 'Ops',
      disabled: false,
      filterTypes: ['message.attempt.exhausted', 'endpoint.disabled'],
      metadata: { team: 'sre' },
      throttleRate: 5,
      rateLimit: 5,
    });
    expect(created.id).toMatch(/^ep_/);
    expect(created.createdAt).toBeInstanceOf(Date);
    expect(created).not.toHaveProperty('channels');
    expect(created).not.toHaveProperty('version');

    expect((await ops.get(created.id)).id).toBe(created.id);
    expect((await ops.get('ops-main')).id).toBe(created.id);

    const replaced = await ops.update('ops-main', { url: 'https://example.com/ops2', uid: 'ops-main' });
    expect(replaced).toMatchObject({
      id: created.id,
      url: 'https://example.com/ops2',
      description: '',
      filterTypes: null,
      metadata: {},
      throttleRate: null,
    });

    const second = await ops.create({ url: 'https://example.com/second', disabled: true });
    expect(second.disabled).toBe(true);
    expect((await ops.list()).data.map((e) => e.id)).toEqual([second.id, created.id]);
    const page = await ops.list({ limit: 1, order: 'ascending' as any });
    expect(page).toMatchObject({ done: false, iterator: created.id });
    expect(page.data.map((e) => e.id)).toEqual([created.id]);

    await ops.delete('ops-main');
    expect((await svixError(ops.get(created.id))).code).toBe(404);
    expect((await ops.list()).data.map((e) => e.id)).toEqual([second.id]);
  });

  it('PUT creates the endpoint when it does not exist yet (201), with the path as uid', async () => {
    const { tenant, svix } = await newTenant('op-put');
    const created = await tenant.client.put('/api/v1/operational-webhook/endpoint/by-put', {
      url: 'https://example.com/put',
      filterTypes: ['message.attempt.failing'],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ uid: 'by-put', filterTypes: ['message.attempt.failing'] });
    const replaced = await tenant.client.put('/api/v1/operational-webhook/endpoint/by-put', {
      url: 'https://example.com/put2',
      uid: 'by-put',
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ id: created.body.id, url: 'https://example.com/put2' });
    expect((await svix.operationalWebhook.endpoint.list()).data).toHaveLength(1);
  });

  it('refuses filterTypes that are not operational events, and bad input, with 422', async () => {
    const { tenant, svix } = await newTenant('op-invalid');
    await svix.eventType.create({ name: 'invoice.paid', description: 'a tenant event type' });
    const ops = svix.operationalWebhook.endpoint;
    const unknown = await svixError(
      ops.create({ url: 'https://example.com/x', filterTypes: ['invoice.paid', 'endpoint.disabled'] }),
    );
    expect(unknown.code).toBe(422);
    expect(unknown.body.detail).toEqual([
      expect.objectContaining({
        loc: ['body', 'filterTypes'],
        msg: "The following event types don't exist: invoice.paid",
      }),
    ]);
    const ok = await ops.create({ url: 'https://example.com/ok' });
    const onUpdate = await svixError(
      ops.update(ok.id, { url: 'https://example.com/ok', filterTypes: ['x.y'] }),
    );
    expect(onUpdate.code).toBe(422);

    for (const body of [
      {},
      { url: 'ftp://example.com' },
      { url: 'https://example.com', uid: 'ep_looks_like_an_id' },
      { url: 'https://example.com', filterTypes: [] },
      { url: 'https://example.com', secret: 'not-a-secret' },
    ]) {
      const res = await tenant.client.post('/api/v1/operational-webhook/endpoint', body);
      expect(res.status).toBe(422);
    }
    // Ordinary endpoints still need the tenant's event types: the operational names are not among them.
    const app = await svix.application.create({ name: 'plain' });
    const plain = await svixError(
      svix.endpoint.create(app.id, { url: 'https://example.com/p', filterTypes: ['endpoint.disabled'] }),
    );
    expect(plain.code).toBe(422);
  });

  it('takes the filter as eventTypes (svix 2.x) or filterTypes (1.x), and headers on create; emits both names', async () => {
    const { tenant } = await newTenant('op-v2');
    const path = '/api/v1/operational-webhook/endpoint';
    const created = await tenant.client.post(path, {
      url: 'https://example.com/ops-v2',
      eventTypes: ['endpoint.disabled'],
      headers: { 'X-Team': 'sre' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      eventTypes: ['endpoint.disabled'],
      filterTypes: ['endpoint.disabled'],
    });
    expect((await tenant.client.get(`${path}/${created.body.id}/headers`)).body).toEqual({
      headers: { 'X-Team': 'sre' },
      sensitive: [],
    });
    const listed = await tenant.client.get(path);
    expect(listed.body.data[0]).toMatchObject({
      eventTypes: ['endpoint.disabled'],
      filterTypes: ['endpoint.disabled'],
    });

    const replaced = await tenant.client.put(`${path}/${created.body.id}`, {
      url: 'https://example.com/ops-v2',
      eventTypes: ['message.attempt.exhausted'],
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({
      eventTypes: ['message.attempt.exhausted'],
      filterTypes: ['message.attempt.exhausted'],
    });

    const notOperational = await tenant.client.post(path, {
      url: 'https://example.com/x',
      eventTypes: ['invoice.paid'],
    });
    expect(notOperational.status).toBe(422);
    expect(notOperational.body.detail).toEqual([expect.objectContaining({ loc: ['body', 'eventTypes'] })]);
    const conflict = await tenant.client.post(path, {
      url: 'https://example.com/x',
      eventTypes: ['endpoint.disabled'],
      filterTypes: ['message.attempt.exhausted'],
    });
    expect(conflict.status).toBe(422);
    expect(conflict.body.detail).toEqual([
      expect.objectContaining({ loc: ['body', 'eventTypes'], type: 'conflicting_fields' }),
    ]);
    // Operational endpoints have no channels or version: sending them is an unknown field, not a silent drop.
    const channels = await tenant.client.post(path, { url: 'https://example.com/x', channels: ['eu'] });
    expect(channels.status).toBe(422);
    expect(channels.body).toMatchObject({ code: 'unknown_field', detail: [{ loc: ['body', 'channels'] }] });
    expect((await tenant.client.get(path)).body.data).toHaveLength(1);
  });

  it('rotates the secret with gracePeriodSeconds, as svix 2.x sends it', async () => {
    const { tenant, svix } = await newTenant('op-grace');
    const endpoint = await svix.operationalWebhook.endpoint.create({ url: 'https://example.com/g' });
    const path = `/api/v1/operational-webhook/endpoint/${endpoint.id}/secret/rotate`;
    const first = (await svix.operationalWebhook.endpoint.getSecret(endpoint.id)).key;
    expect((await tenant.client.post(path, { gracePeriodSeconds: 0 })).status).toBe(204);
    const current = (await svix.operationalWebhook.endpoint.getSecret(endpoint.id)).key;
    expect(current).not.toBe(first);
    // Grace 0 keeps nothing; an hour keeps the replaced secret until then. What signs is checked at a
    // receiver (test/e2e/operational.e2e-spec.ts).
    expect(await oldSecretsOf(endpoint.id)).toEqual([]);
    const rotatedAt = Date.now();
    expect((await tenant.client.post(path, { gracePeriodSeconds: 3600 })).status).toBe(204);
    const [kept] = await oldSecretsOf(endpoint.id);
    expect(kept!.secret).toBe(current);
    expect(Date.parse(kept!.expiresAt)).toBeGreaterThanOrEqual(rotatedAt + 3600_000);
    expect(Date.parse(kept!.expiresAt)).toBeLessThanOrEqual(Date.now() + 3600_000);
    const bad = await tenant.client.post(path, { gracePeriodSeconds: -1 });
    expect(bad.status).toBe(422);
    expect(bad.body.detail[0].loc).toEqual(['body', 'gracePeriodSeconds']);
  });

  it('manages the signing secret and custom headers', async () => {
    const { svix } = await newTenant('op-secret');
    const ops = svix.operationalWebhook.endpoint;
    const endpoint = await ops.create({ url: 'https://example.com/s' });
    const first = (await ops.getSecret(endpoint.id)).key;
    expect(parseEndpointSecret(first).ok).toBe(true);

    await ops.rotateSecret(endpoint.id);
    const second = (await ops.getSecret(endpoint.id)).key;
    expect(second).not.toBe(first);
    const custom = 'whsec_' + Buffer.alloc(32, 9).toString('base64');
    await ops.rotateSecret(endpoint.id, { key: custom });
    expect((await ops.getSecret(endpoint.id)).key).toBe(custom);

    await ops.updateHeaders(endpoint.id, { headers: { 'X-Team': 'sre', Authorization: 'Bearer t' } });
    expect(await ops.getHeaders(endpoint.id)).toEqual({
      headers: { 'X-Team': 'sre' },
      sensitive: ['Authorization'],
    });
    // Hidden from GET but kept, with the rotated-out secrets; that both are sent and sign is checked at a
    // receiver (test/e2e/operational.e2e-spec.ts).
    const row = await api.app.get(PrismaService).endpoint.findUniqueOrThrow({ where: { id: endpoint.id } });
    expect(row.headers).toMatch(/^v1c:/);
    expect(openHeaders(api.app.get(AppSecretBox), row.tenantId, endpoint.id, row.headers)).toEqual({
      'X-Team': 'sre',
      Authorization: 'Bearer t',
    });
    expect((await oldSecretsOf(endpoint.id)).map((o) => o.secret)).toEqual([second, first]);
    const bad = await svixError(ops.updateHeaders(endpoint.id, { headers: { 'webhook-id': 'x' } }));
    expect(bad.code).toBe(422);
  });

  it('keeps the operational application out of ordinary routes, and each tenant to its own', async () => {
    const { tenant, svix } = await newTenant('op-owner');
    const app = await svix.application.create({ name: 'visible', uid: 'visible' });
    const endpoint = await svix.operationalWebhook.endpoint.create({
      url: 'https://example.com/mine',
      uid: 'mine',
    });
    const operational = (await api.app.get(ApplicationRepository).findOperational(tenant.id))!;
    expect(operational).toBeDefined();

    expect((await svix.application.list()).data.map((a) => a.id)).toEqual([app.id]);
    for (const call of [
      svix.application.get(operational.id),
      svix.application.get('__operational_webhooks__'),
      svix.endpoint.list(operational.id),
      svix.endpoint.get(operational.id, endpoint.id),
      svix.endpoint.patch(operational.id, endpoint.id, { disabled: true }),
      svix.message.create(operational.id, { eventType: 'endpoint.disabled', payload: {} }),
    ]) {
      expect((await svixError(call)).code).toBe(404);
    }
    // Nor does another application of the tenant reach it.
    expect((await svixError(svix.endpoint.get(app.id, endpoint.id))).code).toBe(404);

    const intruder = sdk((await api.newTenant('op-intruder')).apiKey).operationalWebhook.endpoint;
    expect((await intruder.list()).data).toEqual([]);
    for (const id of [endpoint.id, 'mine']) {
      for (const call of [
        intruder.get(id),
        intruder.getSecret(id),
        intruder.getHeaders(id),
        intruder.updateHeaders(id, { headers: { 'X-Evil': '1' } }),
        intruder.rotateSecret(id, {}),
        intruder.delete(id),
      ]) {
        const error = await svixError(call);
        expect(error.code).toBe(404);
        expect(error.body).toMatchObject({ code: 'endpoint_not_found' });
      }
    }
    // PUT by the owner's id creates the intruder's own endpoint; the owner's is untouched.
    const theirs = await intruder.update(endpoint.id, { url: 'https://example.com/theirs' });
    expect(theirs.id).not.toBe(endpoint.id);
    await intruder.create({ url: 'https://example.com/theirs2' });
    const mine = await svix.operationalWebhook.endpoint.get(endpoint.id);
    expect(mine).toMatchObject({ url: 'https://example.com/mine', disabled: false });
    expect((await svix.operationalWebhook.endpoint.getHeaders(endpoint.id)).headers).toEqual({});
    expect((await svix.operationalWebhook.endpoint.list()).data.map((e) => e.id)).toEqual([endpoint.id]);
  });
});
