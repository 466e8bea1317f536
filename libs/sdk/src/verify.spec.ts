import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import { verifyWebhook, WebhookVerificationError, WebhookVerificationReason } from './verify';

const vectors = JSON.parse(
  readFileSync(join(__dirname, '../../../test/fixtures/standard-webhooks.json'), 'utf8'),
) as {
  v1: { id: string; timestamp: number; body: string; secret: string; signature: string; name: string }[];
  rotationHeader: { id: string; timestamp: number; body: string; secrets: string[]; header: string };
  v1a: { id: string; timestamp: number; body: string; publicKey: string; signature: string };
  mustFail: {
    id: string;
    timestamp: number;
    body: string;
    secret: string;
    header: string;
    verifyAt?: number;
    why: string;
  }[];
};

const at = (seconds: number) => new Date(seconds * 1000);
const headersOf = (id: string, timestamp: number | string, signature: string, prefix = 'webhook') => ({
  [`${prefix}-id`]: id,
  [`${prefix}-timestamp`]: String(timestamp),
  [`${prefix}-signature`]: signature,
});

function reasonOf(run: () => unknown): WebhookVerificationReason | 'accepted' {
  try {
    run();
    return 'accepted';
  } catch (error) {
    if (error instanceof WebhookVerificationError) return error.reason;
    throw error;
  }
}

describe('verifyWebhook against the Standard Webhooks vectors', () => {
  it.each(vectors.v1.map((v) => [v.name, v] as const))('accepts %s', (_name, v) => {
    const out = verifyWebhook(v.secret, headersOf(v.id, v.timestamp, v.signature), v.body, {
      now: at(v.timestamp),
    });
    expect(out).toEqual({ id: v.id, timestamp: at(v.timestamp), payload: JSON.parse(v.body) });
  });

  it('accepts a rotation header with either secret alone, and with both', () => {
    const r = vectors.rotationHeader;
    for (const secret of [r.secrets[0]!, r.secrets[1]!, r.secrets]) {
      expect(
        verifyWebhook(secret, headersOf(r.id, r.timestamp, r.header), r.body, { now: at(r.timestamp) }).id,
      ).toBe(r.id);
    }
  });

  it('accepts the v1a (ed25519) vector with the whpk_ public key', () => {
    const v = vectors.v1a;
    const out = verifyWebhook(v.publicKey, headersOf(v.id, v.timestamp, v.signature), v.body, {
      now: at(v.timestamp),
    });
    expect(out.payload).toEqual(JSON.parse(v.body));
    // The public key does not accept an HMAC signature, nor the HMAC secret an ed25519 one.
    const hmac = vectors.v1[1]!;
    expect(
      reasonOf(() =>
        verifyWebhook(v.publicKey, headersOf(hmac.id, hmac.timestamp, hmac.signature), hmac.body, {
          now: at(hmac.timestamp),
        }),
      ),
    ).toBe('no_matching_signature');
    expect(
      reasonOf(() =>
        verifyWebhook(hmac.secret, headersOf(v.id, v.timestamp, v.signature), v.body, {
          now: at(v.timestamp),
        }),
      ),
    ).toBe('no_matching_signature');
  });

  it.each(vectors.mustFail.map((v) => [v.why, v] as const))('refuses: %s', (_why, v) => {
    const reason = reasonOf(() =>
      verifyWebhook(v.secret, headersOf(v.id, v.timestamp, v.header), v.body, {
        now: at(v.verifyAt ?? v.timestamp),
      }),
    );
    const expected = v.verifyAt
      ? 'timestamp_too_old'
      : /non-integer/.test(v.why)
        ? 'invalid_timestamp'
        : 'no_matching_signature';
    expect(reason).toBe(expected);
  });
});

describe('verifyWebhook rules', () => {
  const v = vectors.v1[1]!;
  const check = (headers: unknown, options: { now?: Date; body?: unknown; secret?: unknown } = {}) =>
    reasonOf(() =>
      verifyWebhook(
        ('secret' in options ? options.secret : v.secret) as string,
        headers as Record<string, string>,
        ('body' in options ? options.body : v.body) as string,
        { now: options.now ?? at(v.timestamp) },
      ),
    );

  it('reads svix-* headers, any casing, Fetch Headers, node arrays and Buffers', () => {
    expect(check(headersOf(v.id, v.timestamp, v.signature, 'svix'))).toBe('accepted');
    expect(
      check({
        'Webhook-Id': v.id,
        'WEBHOOK-TIMESTAMP': String(v.timestamp),
        'webhook-Signature': v.signature,
      }),
    ).toBe('accepted');
    expect(check(new Headers(headersOf(v.id, v.timestamp, v.signature)))).toBe('accepted');
    expect(
      check({ ...headersOf(v.id, v.timestamp, v.signature), 'webhook-signature': ['v1,bogus', v.signature] }),
    ).toBe('accepted');
    expect(check(headersOf(v.id, v.timestamp, v.signature), { body: Buffer.from(v.body) })).toBe('accepted');
    expect(check(headersOf(v.id, v.timestamp, v.signature), { body: new TextEncoder().encode(v.body) })).toBe(
      'accepted',
    );
    // A secret without its whsec_ prefix is the same key.
    expect(check(headersOf(v.id, v.timestamp, v.signature), { secret: v.secret.slice(6) })).toBe('accepted');
  });

  it('takes a complete set of one prefix only', () => {
    expect(
      check({ 'webhook-id': v.id, 'svix-timestamp': String(v.timestamp), 'webhook-signature': v.signature }),
    ).toBe('missing_headers');
    expect(check({})).toBe('missing_headers');
    expect(check(headersOf('', v.timestamp, v.signature))).toBe('missing_headers');
  });

  it('wants a strict whole number of seconds within 5 minutes either way', () => {
    for (const bad of [
      '',
      ' 1674087231',
      '1674087231.0',
      '1e9',
      '-1674087231',
      '0x63c8',
      '1674087231abc',
      'NaN',
    ]) {
      expect([bad, check(headersOf(v.id, bad, v.signature))]).toEqual([bad, 'invalid_timestamp']);
    }
    expect(check(headersOf(v.id, v.timestamp, v.signature), { now: at(v.timestamp + 300) })).toBe('accepted');
    expect(check(headersOf(v.id, v.timestamp, v.signature), { now: at(v.timestamp + 301) })).toBe(
      'timestamp_too_old',
    );
    expect(check(headersOf(v.id, v.timestamp, v.signature), { now: at(v.timestamp - 300) })).toBe('accepted');
    expect(check(headersOf(v.id, v.timestamp, v.signature), { now: at(v.timestamp - 301) })).toBe(
      'timestamp_too_new',
    );
  });

  it('names a bad secret or body instead of failing later', () => {
    for (const secret of ['whsec_', 'whsec_not base64!', 'whpk_AAAA', 42, null]) {
      expect(check(headersOf(v.id, v.timestamp, v.signature), { secret })).toBe('invalid_secret');
    }
    for (const body of [{}, 42, null]) {
      expect(check(headersOf(v.id, v.timestamp, v.signature), { body })).toBe('invalid_body');
    }
  });

  it('refuses a valid signature over a body that is not JSON', () => {
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    const sign = (body: string) =>
      `v1,${createHmac('sha256', Buffer.from(secret.slice(6), 'base64'))
        .update(`${v.id}.${v.timestamp}.${body}`)
        .digest('base64')}`;
    expect(check(headersOf(v.id, v.timestamp, sign('not json')), { secret, body: 'not json' })).toBe(
      'invalid_json',
    );
  });

  it('throws nothing but its own error, whatever the headers hold', () => {
    const hostile = fc.oneof(
      fc.anything(),
      fc.dictionary(fc.string(), fc.anything()),
      fc.record({
        'webhook-id': fc.anything(),
        'webhook-timestamp': fc.anything(),
        'webhook-signature': fc.anything(),
      }),
      fc.constant({
        get: () => {
          throw new Error('broken Headers');
        },
      }),
      fc.constant(
        Object.defineProperty({}, 'webhook-id', {
          enumerable: true,
          get: () => {
            throw new Error('trap');
          },
        }),
      ),
    );
    fc.assert(
      fc.property(hostile, fc.anything(), fc.anything(), (headers, body, secret) => {
        try {
          verifyWebhook(secret as string, headers as Record<string, string>, body as string);
        } catch (error) {
          return error instanceof WebhookVerificationError;
        }
        return true;
      }),
      { numRuns: 2000 },
    );
  });
});

describe('verifyWebhook agrees with the standardwebhooks library', () => {
  const now = Math.floor(Date.now() / 1000);
  // Both verifiers read the clock; frozen, a second ticking between their two calls cannot part them.
  beforeAll(() => jest.useFakeTimers({ now: now * 1000 + 500 }));
  afterAll(() => jest.useRealTimers());
  const sign = (key: Buffer, id: string, ts: number, body: string) =>
    `v1,${createHmac('sha256', key).update(`${id}.${ts}.${body}`).digest('base64')}`;

  it('accepts and refuses exactly the same requests (random keys, ids, times, bodies and headers)', () => {
    const entry = (key: Buffer, otherKey: Buffer, id: string, ts: number, body: string) =>
      fc.oneof(
        fc.constant(sign(key, id, ts, body)),
        fc.constant(sign(otherKey, id, ts, body)),
        fc.constant(sign(key, id, ts, `${body} `)),
        fc.constant(sign(key, id, ts + 1, body)),
        fc.base64String({ minLength: 44, maxLength: 44 }).map((s) => `v1,${s}`),
        fc.constant(sign(key, id, ts, body).replace('v1,', 'v2,')),
        fc.constant(sign(key, id, ts, body).replace('v1,', 'v1a,')),
        fc.constant(sign(key, id, ts, body).slice(0, -2)),
        fc.string({ maxLength: 20 }).filter((s) => !s.includes(' ')),
      );
    const scenario = fc
      .record({
        key: fc.uint8Array({ minLength: 24, maxLength: 64 }).map((b) => Buffer.from(b)),
        otherKey: fc.uint8Array({ minLength: 24, maxLength: 64 }).map((b) => Buffer.from(b)),
        id: fc.stringMatching(/^msg_[A-Za-z0-9]{1,30}$/),
        skew: fc.integer({ min: -600, max: 600 }),
        body: fc.oneof(fc.json(), fc.string(), fc.constant('{"a":1}')),
      })
      .chain((s) =>
        fc.record({
          s: fc.constant(s),
          entries: fc.array(entry(s.key, s.otherKey, s.id, now + s.skew, s.body), {
            minLength: 1,
            maxLength: 4,
          }),
          prefix: fc.constantFrom('webhook', 'svix'),
        }),
      );
    let accepted = 0;
    fc.assert(
      fc.property(scenario, ({ s, entries, prefix }) => {
        const secret = `whsec_${s.key.toString('base64')}`;
        const ts = now + s.skew;
        const signature = entries.join(' ');
        const ours = reasonOf(() => verifyWebhook(secret, headersOf(s.id, ts, signature, prefix), s.body));
        let theirs = true;
        try {
          // standardwebhooks reads webhook-* only; it gets the same values under those names.
          new Webhook(secret).verify(s.body, headersOf(s.id, ts, signature));
        } catch {
          theirs = false;
        }
        if (ours === 'accepted') accepted++;
        return (ours === 'accepted') === theirs;
      }),
      { numRuns: 3000 },
    );
    // The generator must reach both outcomes, or the agreement above would mean little.
    expect(accepted).toBeGreaterThan(100);
  });
});
