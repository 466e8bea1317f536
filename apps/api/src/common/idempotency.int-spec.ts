import { createHash, randomUUID } from 'node:crypto';
import { ApiException, Svix } from 'svix';
import { IdempotencyRepository } from '@app/db';
import type { HttpClient } from '@app/testing';
import { startApi, RunningApi } from '../../../../test/support/running-api';

/** `Idempotency-Key` on tenant POSTs, with application create as the subject. */
describe('Idempotency-Key (real API over HTTP)', () => {
  let api: RunningApi;
  let repository: IdempotencyRepository;

  beforeAll(async () => {
    api = await startApi();
    repository = api.app.get(IdempotencyRepository);
  });

  afterAll(async () => {
    await api.close();
  });

  const newKey = () => `test_${randomUUID()}`;
  const create = (client: HttpClient, body: unknown, key?: string, query = '') =>
    client.post(`/api/v1/app${query}`, body, key === undefined ? {} : { 'idempotency-key': key });
  const listIds = async (client: HttpClient): Promise<string[]> => {
    const page = await client.get('/api/v1/app?limit=250');
    expect(page.status).toBe(200);
    return page.body.data.map((a: { id: string }) => a.id);
  };
  /** What the interceptor keys a request on: method and URL, and the hash of the body bytes as sent. */
  const fingerprint = (body: unknown, url = '/api/v1/app') => ({
    route: `POST ${url}`,
    requestHash: createHash('sha256').update(JSON.stringify(body)).digest('hex'),
  });

  it('replays the first response (status, body) with idempotent-replayed, and creates once', async () => {
    const { client } = await api.newTenant();
    const key = newKey();
    const first = await create(client, { name: 'once' }, key);
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();

    const again = await create(client, { name: 'once' }, key);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.headers.get('content-type')).toMatch(/^application\/json/);
    expect(again.body).toEqual(first.body);
    expect(await listIds(client)).toEqual([first.body.id]);
  });

  it('replays the status a handler chose itself (200 from get_if_exists)', async () => {
    const { client } = await api.newTenant();
    const existing = await create(client, { name: 'existing', uid: 'taken' });
    expect(existing.status).toBe(201);
    const key = newKey();
    const found = await create(client, { name: 'x', uid: 'taken' }, key, '?get_if_exists=true');
    expect(found.status).toBe(200);
    expect(found.body.id).toBe(existing.body.id);

    const replayed = await create(client, { name: 'x', uid: 'taken' }, key, '?get_if_exists=true');
    expect(replayed.status).toBe(200);
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expect(replayed.body).toEqual(found.body);
  });

  it('answers 422 idempotency_conflict for the same key with another body or on another URL', async () => {
    const { client } = await api.newTenant();
    const key = newKey();
    const first = await create(client, { name: 'original' }, key);
    expect(first.status).toBe(201);

    for (const conflicting of [
      // Another body, even one that differs only in its bytes: nothing is normalised.
      create(client, { name: 'changed' }, key),
      client.post('/api/v1/app', '{"name":  "original"}', { 'idempotency-key': key }),
      // Same body, another URL.
      create(client, { name: 'original' }, key, '?get_if_exists=true'),
    ]) {
      const res = await conflicting;
      expect(res.status).toBe(422);
      expect(res.body).toEqual({
        code: 'idempotency_conflict',
        detail: [
          { loc: ['header', 'idempotency-key'], msg: expect.any(String), type: 'idempotency_conflict' },
        ],
      });
    }
    expect(await listIds(client)).toEqual([first.body.id]);
  });

  it('scopes keys per tenant', async () => {
    const a = await api.newTenant();
    const b = await api.newTenant();
    const key = newKey();
    const fromA = await create(a.client, { name: 'same' }, key);
    const fromB = await create(b.client, { name: 'same' }, key);
    expect([fromA.status, fromB.status]).toEqual([201, 201]);
    expect(fromB.headers.get('idempotent-replayed')).toBeNull();
    expect(fromB.body.id).not.toBe(fromA.body.id);
    // Another body in the other tenant is no conflict either.
    expect((await create(b.client, { name: 'other' }, newKey())).status).toBe(201);
    expect(await listIds(a.client)).toEqual([fromA.body.id]);
  });

  it('frees the key when the request fails, so a corrected retry with the same key succeeds', async () => {
    const { client } = await api.newTenant();
    const key = newKey();
    const invalid = await create(client, { name: '' }, key);
    expect(invalid.status).toBe(422);
    expect(invalid.body.detail[0].loc).toEqual(['body', 'name']);

    const corrected = await create(client, { name: 'fixed' }, key);
    expect(corrected.status).toBe(201);
    expect(corrected.headers.get('idempotent-replayed')).toBeNull();
    expect((await create(client, { name: 'fixed' }, key)).body.id).toBe(corrected.body.id);
  });

  it('does not store an error the service raised (409 uid conflict)', async () => {
    const { client } = await api.newTenant();
    await create(client, { name: 'first', uid: 'dup' });
    const key = newKey();
    const conflict = await create(client, { name: 'second', uid: 'dup' }, key);
    expect(conflict.status).toBe(409);
    expect(conflict.body.code).toBe('conflict');
    expect((await client.delete('/api/v1/app/dup')).status).toBe(204);
    const retried = await create(client, { name: 'second', uid: 'dup' }, key);
    expect(retried.status).toBe(201);
    expect(retried.headers.get('idempotent-replayed')).toBeNull();
  });

  it('answers 409 idempotency_in_flight while the first request with the key is running', async () => {
    const { id: tenantId, client } = await api.newTenant();
    const key = newKey();
    const body = { name: 'in flight' };
    // Hold the key exactly as a running first request does.
    const claim = await repository.claim(tenantId, key, fingerprint(body), 60_000);
    if (claim.outcome !== 'reserved') throw new Error('expected a fresh reservation');

    const second = await create(client, body, key);
    expect(second.status).toBe(409);
    expect(second.body).toEqual({ code: 'idempotency_in_flight', detail: expect.any(String) });
    // A different body is still a conflict, in flight or not.
    expect((await create(client, { name: 'other' }, key)).status).toBe(422);
    expect(await listIds(client)).toEqual([]);

    await repository.release(tenantId, key, claim.reservedAt);
    expect((await create(client, body, key)).status).toBe(201);
  });

  it('creates exactly one application for a concurrent double submit', async () => {
    const { client } = await api.newTenant();
    const key = newKey();
    const responses = await Promise.all(
      Array.from({ length: 8 }, () => create(client, { name: 'double submit' }, key)),
    );
    const ids = await listIds(client);
    expect(ids).toHaveLength(1);
    for (const res of responses) {
      if (res.status === 409) {
        expect(res.body.code).toBe('idempotency_in_flight');
      } else {
        expect(res.status).toBe(201);
        expect(res.body.id).toBe(ids[0]);
      }
    }
    const originals = responses.filter((r) => r.status === 201 && !r.headers.get('idempotent-replayed'));
    expect(originals).toHaveLength(1);
  });

  it.each([
    ['an empty key', ''],
    ['a key over 256 characters', 'k'.repeat(257)],
    ['a non-ASCII key', 'clé'],
    ['a key with a control character', 'tab\there'],
  ])('refuses %s with 422 naming the header', async (_, key) => {
    const { client } = await api.newTenant();
    const res = await create(client, { name: 'x' }, key);
    expect(res.status).toBe(422);
    expect(res.body).toEqual({
      code: 'validation_error',
      detail: [{ loc: ['header', 'idempotency-key'], msg: expect.any(String), type: 'value_error' }],
    });
    expect(await listIds(client)).toEqual([]);
  });

  it('accepts a 256-character printable key, and ignores the header outside tenant POSTs', async () => {
    const { client } = await api.newTenant();
    const longest = ' ~'.repeat(128).replace(/^ /, '!');
    expect((await create(client, { name: 'long key' }, longest)).status).toBe(201);
    expect((await create(client, { name: 'long key' }, longest)).headers.get('idempotent-replayed')).toBe(
      'true',
    );
    // GET, and the operator API, are not idempotency-keyed.
    expect((await client.get('/api/v1/app', { 'idempotency-key': '' })).status).toBe(200);
    const admin = await api.admin.post('/admin/v1/tenants', { name: 'keyed' }, { 'idempotency-key': '' });
    expect(admin.status).toBe(201);
  });

  it('treats an expired key as absent and overwrites it', async () => {
    const { id: tenantId, client } = await api.newTenant();
    const key = newKey();
    // An entry whose time is already up (a negative lease), for another body.
    const stale = await repository.claim(tenantId, key, fingerprint({ name: 'long ago' }), -1000);
    expect(stale.outcome).toBe('reserved');

    const fresh = await create(client, { name: 'today' }, key);
    expect(fresh.status).toBe(201);
    expect(fresh.headers.get('idempotent-replayed')).toBeNull();
    expect((await create(client, { name: 'today' }, key)).body.id).toBe(fresh.body.id);
  });

  it('deleteExpired removes expired entries only, at most `limit` at a time', async () => {
    const { id: tenantId } = await api.newTenant();
    const expired = [newKey(), newKey(), newKey()];
    for (const key of expired) await repository.claim(tenantId, key, fingerprint({}), -1000);
    const live = newKey();
    await repository.claim(tenantId, live, fingerprint({}), 60_000);

    expect(await repository.deleteExpired(2)).toBe(2);
    while ((await repository.deleteExpired(100)) === 100);
    expect(await repository.deleteExpired(100)).toBe(0);
    expect(await repository.claim(tenantId, live, fingerprint({}), 60_000)).toMatchObject({
      outcome: 'existing',
      response: null,
    });
  });

  describe('with the svix SDK', () => {
    const sdk = (key: string) => new Svix(key, { serverUrl: api.url, retryScheduleInMs: [] });

    it('returns the same application for a repeated idempotencyKey', async () => {
      const svix = sdk((await api.newTenant()).apiKey);
      const key = newKey();
      const first = await svix.application.create({ name: 'sdk' }, { idempotencyKey: key });
      const second = await svix.application.create({ name: 'sdk' }, { idempotencyKey: key });
      expect(second.id).toBe(first.id);
      expect(second.createdAt).toEqual(first.createdAt);
      expect((await svix.application.list()).data.map((a) => a.id)).toEqual([first.id]);
    });

    it('keeps creating distinct applications with its automatic keys', async () => {
      const svix = sdk((await api.newTenant()).apiKey);
      const a = await svix.application.create({ name: 'same' });
      const b = await svix.application.create({ name: 'same' });
      expect(a.id).not.toBe(b.id);
    });

    it('surfaces a conflict as an ApiException with an HTTPValidationError body', async () => {
      const svix = sdk((await api.newTenant()).apiKey);
      const key = newKey();
      await svix.application.create({ name: 'one' }, { idempotencyKey: key });
      const error: unknown = await svix.application.create({ name: 'two' }, { idempotencyKey: key }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ApiException);
      const { code, body } = error as ApiException<any>;
      expect(code).toBe(422);
      expect(body.detail[0]).toMatchObject({
        loc: ['header', 'idempotency-key'],
        type: 'idempotency_conflict',
      });
    });
  });
});
