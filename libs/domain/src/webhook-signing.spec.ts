import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';

import { generateEndpointSecret } from './endpoint-secret';
import { signPayload, verifySignature, verifyWebhookRequest, webhookHeaders } from './webhook-signing';

interface SignedVector {
  name?: string;
  secret: string;
  id: string;
  timestamp: number;
  body: string;
  signature: string;
}
interface Vectors {
  v1: SignedVector[];
  rotationHeader: { secrets: string[]; id: string; timestamp: number; body: string; header: string };
  v1a: {
    secretKey: string;
    publicKey: string;
    id: string;
    timestamp: number;
    body: string;
    signature: string;
  };
  mustFail: {
    why: string;
    secret: string;
    id: string;
    timestamp: number | string;
    body: string;
    header: string;
    verifyAt?: number;
  }[];
}

// Signing vectors checked against the reference library; kept in the repository so a bare clone's tests run.
const VECTORS_PATH = join(__dirname, '../../../test/fixtures/standard-webhooks.json');
const vectors = JSON.parse(readFileSync(VECTORS_PATH, 'utf8')) as Vectors;

function atTime<T>(unixSeconds: number, fn: () => T): T {
  const spy = jest.spyOn(Date, 'now').mockReturnValue(unixSeconds * 1000);
  try {
    return fn();
  } finally {
    spy.mockRestore();
  }
}

describe('signPayload', () => {
  it.each(vectors.v1.map((v) => [v.name ?? v.id, v] as const))('reproduces v1 vector %s', (_name, v) => {
    expect(signPayload({ msgId: v.id, timestamp: v.timestamp, body: v.body, secrets: [v.secret] })).toBe(
      v.signature,
    );
  });

  it('reproduces the rotation header (current key first)', () => {
    const r = vectors.rotationHeader;
    // The vector lists secrets oldest first; our API takes the current key first, which is the header's order.
    const secrets = [...r.secrets].reverse();
    expect(signPayload({ msgId: r.id, timestamp: r.timestamp, body: r.body, secrets })).toBe(r.header);
  });

  it('reproduces the v1a (Ed25519) vector', () => {
    const v = vectors.v1a;
    expect(signPayload({ msgId: v.id, timestamp: v.timestamp, body: v.body, secrets: [v.secretKey] })).toBe(
      v.signature,
    );
  });

  it('signs raw key bytes exactly like the whsec_ form of the same key', () => {
    const v = vectors.v1[0]!;
    const raw = Buffer.from(v.secret.slice('whsec_'.length), 'base64');
    expect(signPayload({ msgId: v.id, timestamp: v.timestamp, body: v.body, secrets: [raw] })).toBe(
      v.signature,
    );
  });

  it('signs a Buffer body as the same bytes as the string', () => {
    const v = vectors.v1[1]!;
    const body = Buffer.from(v.body, 'utf8');
    expect(signPayload({ msgId: v.id, timestamp: v.timestamp, body, secrets: [v.secret] })).toBe(v.signature);
  });

  it.each([
    ['no secrets', { secrets: [] }],
    ['an unprefixed secret', { secrets: ['MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'] }],
    ['a too-short secret', { secrets: ['whsec_' + Buffer.alloc(16).toString('base64')] }],
    ['an empty raw key', { secrets: [Buffer.alloc(0)] }],
    ['a msg id with a dot', { msgId: 'msg_1.2' }],
    ['a fractional timestamp', { timestamp: 1674087231.5 }],
    ['a negative timestamp', { timestamp: -1 }],
    ['a whsk_ key whose halves disagree', { secrets: ['whsk_' + Buffer.alloc(64, 1).toString('base64')] }],
  ])('throws for %s', (_name, override) => {
    const base = { msgId: 'msg_x', timestamp: 1674087231, body: '{}', secrets: [generateEndpointSecret()] };
    expect(() => signPayload({ ...base, ...override })).toThrow(TypeError);
  });

  it('never puts the secret in an error message', () => {
    const secret = 'whsec_' + Buffer.alloc(16, 7).toString('base64');
    expect(() => signPayload({ msgId: 'msg_x', timestamp: 1, body: '', secrets: [secret] })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining(secret.slice(6)) }),
    );
  });
});

describe('webhookHeaders', () => {
  it('returns the webhook-* and svix-* twins with the same values', () => {
    const v = vectors.v1[1]!;
    expect(
      webhookHeaders({ msgId: v.id, timestamp: v.timestamp, body: v.body, secrets: [v.secret] }),
    ).toEqual({
      'webhook-id': v.id,
      'webhook-timestamp': String(v.timestamp),
      'webhook-signature': v.signature,
      'svix-id': v.id,
      'svix-timestamp': String(v.timestamp),
      'svix-signature': v.signature,
    });
  });
});

describe('cross-check with the reference verifiers', () => {
  const cases = [
    ...vectors.v1.map((v) => ({ name: v.name ?? v.id, ...v, secrets: [v.secret], verifyWith: [v.secret] })),
    ...vectors.rotationHeader.secrets.map((secret, i) => ({
      name: `rotation, verifier holding key ${i}`,
      ...vectors.rotationHeader,
      secrets: [...vectors.rotationHeader.secrets].reverse(),
      verifyWith: [secret],
    })),
  ];

  it.each(cases.map((c) => [c.name, c] as const))(
    'standardwebhooks and svix accept our headers: %s',
    (_n, c) => {
      const headers = webhookHeaders({
        msgId: c.id,
        timestamp: c.timestamp,
        body: c.body,
        secrets: c.secrets,
      });
      for (const secret of c.verifyWith) {
        atTime(c.timestamp, () => {
          const standard = new StandardWebhook(secret).verify(c.body, {
            'webhook-id': headers['webhook-id'],
            'webhook-timestamp': headers['webhook-timestamp'],
            'webhook-signature': headers['webhook-signature'],
          });
          const svix = new SvixWebhook(secret).verify(c.body, {
            'svix-id': headers['svix-id'],
            'svix-timestamp': headers['svix-timestamp'],
            'svix-signature': headers['svix-signature'],
          });
          expect(standard).toEqual(JSON.parse(c.body));
          expect(svix).toEqual(JSON.parse(c.body));
        });
      }
    },
  );

  it('agrees with the reference libraries on freshly generated secrets and odd bodies', () => {
    const bodies = [
      '{"zebra":1,"alpha":2,"mango":3, "n": 1.0, "s":"\\u00e9"}',
      '{"emoji":"🎉","nul":"\\u0000"}',
    ];
    for (const body of bodies) {
      const secret = generateEndpointSecret();
      const msgId = 'msg_01J0000000000000000000000';
      const timestamp = 1_700_000_000;
      const headers = webhookHeaders({ msgId, timestamp, body, secrets: [secret] });
      atTime(timestamp, () => {
        expect(() => new StandardWebhook(secret).verify(body, headers)).not.toThrow();
        expect(() => new SvixWebhook(secret).verify(body, headers)).not.toThrow();
      });
      expect(new StandardWebhook(secret).sign(msgId, new Date(timestamp * 1000), body)).toBe(
        headers['webhook-signature'],
      );
    }
  });
});

describe('verifySignature', () => {
  const v = vectors.v1[1]!;
  const good = { msgId: v.id, timestamp: String(v.timestamp), signature: v.signature, body: v.body };

  it('accepts every v1 vector at its own time', () => {
    for (const s of vectors.v1) {
      expect(
        verifySignature({
          msgId: s.id,
          timestamp: String(s.timestamp),
          signature: s.signature,
          body: s.body,
          secrets: [s.secret],
          now: s.timestamp,
        }),
      ).toEqual({ ok: true });
    }
  });

  it('accepts the rotation header with either secret alone', () => {
    const r = vectors.rotationHeader;
    for (const secret of r.secrets) {
      expect(
        verifySignature({
          msgId: r.id,
          timestamp: r.timestamp,
          signature: r.header,
          body: r.body,
          secrets: [secret],
          now: r.timestamp,
        }),
      ).toEqual({ ok: true });
    }
  });

  it('accepts the v1a vector with the public key, and not with the HMAC secret', () => {
    const a = vectors.v1a;
    const input = {
      msgId: a.id,
      timestamp: a.timestamp,
      signature: a.signature,
      body: a.body,
      now: a.timestamp,
    };
    expect(verifySignature({ ...input, secrets: [a.publicKey] })).toEqual({ ok: true });
    expect(verifySignature({ ...input, secrets: [v.secret] })).toEqual({
      ok: false,
      reason: 'no_matching_signature',
    });
  });

  it.each(vectors.mustFail.map((f) => [f.why, f] as const))('rejects vector: %s', (_why, f) => {
    const result = verifySignature({
      msgId: f.id,
      timestamp: String(f.timestamp),
      signature: f.header,
      body: f.body,
      secrets: [f.secret],
      // Verify at the vector's own time unless it names one, so only the named fault can fail it.
      now: f.verifyAt ?? Number.parseInt(String(f.timestamp), 10),
    });
    expect(result.ok).toBe(false);
  });

  it('allows exactly 5 minutes of skew in both directions', () => {
    const at = (now: number) => verifySignature({ ...good, secrets: [v.secret], now });
    expect(at(v.timestamp + 300)).toEqual({ ok: true });
    expect(at(v.timestamp - 300)).toEqual({ ok: true });
    expect(at(v.timestamp + 301)).toEqual({ ok: false, reason: 'timestamp_too_old' });
    expect(at(v.timestamp - 301)).toEqual({ ok: false, reason: 'timestamp_too_new' });
  });

  it.each([
    '1e9',
    '123abc',
    ' 1674087231',
    '1674087231 ',
    '1674087231.0',
    '-1674087231',
    '01674087231',
    '0x1',
  ])('rejects the timestamp %j', (timestamp) => {
    expect(verifySignature({ ...good, timestamp, secrets: [v.secret], now: v.timestamp })).toEqual({
      ok: false,
      reason: 'invalid_timestamp',
    });
  });

  it.each([
    ['empty id', { msgId: '' }],
    ['no id', { msgId: undefined }],
    ['empty timestamp', { timestamp: '' }],
    ['no timestamp', { timestamp: undefined }],
    ['empty signature', { signature: '' }],
  ])('reports a missing header: %s', (_name, override) => {
    expect(verifySignature({ ...good, ...override, secrets: [v.secret], now: v.timestamp })).toEqual({
      ok: false,
      reason: 'missing_header',
    });
  });

  it.each([
    'v1',
    'v1,a,b',
    'garbage',
    'v1,!!!',
    ',',
    ' ',
    `v2,${v.signature.slice(3)}`,
    `v1a,${v.signature.slice(3)}`,
  ])('fails (without throwing) on the malformed entry %j', (signature) => {
    expect(verifySignature({ ...good, signature, secrets: [v.secret], now: v.timestamp })).toEqual({
      ok: false,
      reason: 'no_matching_signature',
    });
  });

  it('finds the valid entry among unknown and invalid ones', () => {
    const signature = `v2,${v.signature.slice(3)} v1,a,b v1,AAAA v1a,!! ${v.signature}`;
    expect(verifySignature({ ...good, signature, secrets: [v.secret], now: v.timestamp })).toEqual({
      ok: true,
    });
  });

  it.each([
    ['no secrets', []],
    ['an empty secret', ['']],
    ['an unprefixed secret', ['MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw']],
    ['a bad public key', ['whpk_AAAA']],
  ])('reports invalid_secret for %s', (_name, secrets) => {
    expect(verifySignature({ ...good, secrets, now: v.timestamp })).toEqual({
      ok: false,
      reason: 'invalid_secret',
    });
  });

  it('uses the clock when now is not given', () => {
    atTime(v.timestamp, () =>
      expect(verifySignature({ ...good, secrets: [v.secret] })).toEqual({ ok: true }),
    );
  });
});

describe('verifyWebhookRequest', () => {
  const v = vectors.v1[0]!;
  const headers = webhookHeaders({ msgId: v.id, timestamp: v.timestamp, body: v.body, secrets: [v.secret] });

  it('reads webhook-* headers', () => {
    const only = {
      'webhook-id': headers['webhook-id'],
      'webhook-timestamp': headers['webhook-timestamp'],
      'webhook-signature': headers['webhook-signature'],
    };
    expect(
      verifyWebhookRequest({ headers: only, body: v.body, secrets: [v.secret], now: v.timestamp }),
    ).toEqual({
      ok: true,
    });
  });

  it('falls back to svix-* headers', () => {
    const only = {
      'svix-id': headers['svix-id'],
      'svix-timestamp': headers['svix-timestamp'],
      'svix-signature': headers['svix-signature'],
    };
    expect(
      verifyWebhookRequest({ headers: only, body: v.body, secrets: [v.secret], now: v.timestamp }),
    ).toEqual({
      ok: true,
    });
  });

  it('treats a repeated header as missing', () => {
    const repeated = { ...headers, 'webhook-signature': [v.signature, v.signature] };
    expect(
      verifyWebhookRequest({ headers: repeated, body: v.body, secrets: [v.secret], now: v.timestamp }),
    ).toEqual({ ok: false, reason: 'missing_header' });
  });
});
