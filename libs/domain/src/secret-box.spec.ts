import { createCipheriv, hkdfSync, randomBytes } from 'node:crypto';

import { apiKeyHashKey } from './api-key';
import { portalTokenKey } from './portal-access';
import { deriveSubkey, SealContext, SecretBox, SecretBoxError } from './secret-box';

const k1 = { version: 1, key: randomBytes(32) };
const k2 = { version: 2, key: randomBytes(32) };
const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const ctx = SealContext.endpointSecret('org_A', 'ep_1');

function expectError(fn: () => unknown, code: SecretBoxError['code']): SecretBoxError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SecretBoxError);
    expect((error as SecretBoxError).code).toBe(code);
    return error as SecretBoxError;
  }
  throw new Error(`expected a SecretBoxError ${code}`);
}

/** Flip one bit of the decoded payload at `index` and re-encode, keeping the prefix. */
function flip(sealed: string, index: number): string {
  const [prefix, body] = sealed.split(':') as [string, string];
  const raw = Buffer.from(body, 'base64');
  raw[index]! ^= 0x01;
  return `${prefix}:${raw.toString('base64')}`;
}

/** A value as the SecretBox before contexts sealed it: the raw master key, the prefix alone as AAD. */
function legacySeal(plaintext: string, key: { version: number; key: Buffer }): string {
  const prefix = `v${key.version}:`;
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key.key, iv, { authTagLength: 16 });
  cipher.setAAD(Buffer.from(prefix, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return prefix + Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64');
}

describe('SecretBox', () => {
  const box = new SecretBox([k1]);

  it('round-trips', () => {
    for (const text of [secret, '', 'é 🎉 \u0000', 'x'.repeat(10_000)]) {
      expect(box.open(box.seal(text, ctx), ctx)).toBe(text);
    }
  });

  it('produces "v<version>c:" + base64 of iv|tag|ciphertext, never containing the plaintext', () => {
    const sealed = box.seal(secret, ctx);
    expect(sealed).toMatch(/^v1c:[A-Za-z0-9+/]+={0,2}$/);
    expect(Buffer.from(sealed.slice(4), 'base64')).toHaveLength(12 + 16 + Buffer.byteLength(secret));
    expect(sealed).not.toContain(secret.slice(6));
    expect(box.currentPrefix).toBe('v1c:');
  });

  it('uses a fresh IV each time', () => {
    const a = box.seal(secret, ctx);
    const b = box.seal(secret, ctx);
    expect(a).not.toBe(b);
    expect(Buffer.from(a.slice(4), 'base64').subarray(0, 12)).not.toEqual(
      Buffer.from(b.slice(4), 'base64').subarray(0, 12),
    );
  });

  it.each([
    ['the IV', 0],
    ['the tag', 12],
    ['the ciphertext', 28],
  ])('detects a change to %s', (_part, index) => {
    expectError(() => box.open(flip(box.seal(secret, ctx), index), ctx), 'tampered');
  });

  it('detects a truncated ciphertext', () => {
    const sealed = box.seal(secret, ctx);
    const raw = Buffer.from(sealed.slice(4), 'base64');
    expectError(() => box.open(`v1c:${raw.subarray(0, raw.length - 1).toString('base64')}`, ctx), 'tampered');
  });

  describe('binds each value to its owner and place', () => {
    const sealed = box.seal(secret, ctx);

    it.each([
      ['another endpoint', SealContext.endpointSecret('org_A', 'ep_2')],
      ['another tenant', SealContext.endpointSecret('org_B', 'ep_1')],
      ['another purpose', SealContext.endpointHeaders('org_A', 'ep_1')],
      ['the URL credentials purpose', SealContext.endpointUrlCredentials('org_A', 'ep_1')],
      ['another field', SealContext.endpointOauth('org_A', 'ep_1', 'clientSecret')],
      ['another field of the same purpose', { ...ctx, field: 'other' }],
    ])('refuses to open under %s, naming the endpoint it was asked for', (_name, other) => {
      const error = expectError(() => box.open(sealed, other), 'tampered');
      expect(error.message).toContain(other.endpointId);
      expect(error.message).toContain('another tenant, endpoint or field');
      expect(error.message).not.toContain(sealed.slice(4));
    });

    it('keeps ids apart however they are split (the context is a JSON array, not a concatenation)', () => {
      const a = box.seal(secret, { ...ctx, tenantId: 'org_A', endpointId: 'x' });
      expectError(() => box.open(a, { ...ctx, tenantId: 'org_', endpointId: 'Ax' }), 'tampered');
    });
  });

  it('detects a value relabelled with another key version (the prefix is authenticated)', () => {
    const both = new SecretBox([k2, { version: 1, key: k2.key }]);
    const sealed = both.seal(secret, ctx);
    expectError(() => both.open(sealed.replace(/^v2c:/, 'v1c:'), ctx), 'tampered');
  });

  it('seals with a per-purpose subkey, never with the master key', () => {
    const sealed = box.seal(secret, ctx);
    // The same bytes under the same AAD, but keyed with the raw master key, do not authenticate.
    const asLegacy = new SecretBox([k1]);
    const relabelled = sealed.replace(/^v1c:/, 'v1:');
    expectError(() => asLegacy.open(relabelled, ctx), 'tampered');
    // Each purpose's subkey differs from the master key and from the others, and is plain HKDF-SHA256.
    const labels = ['endpoint-secret', 'endpoint-oauth', 'endpoint-headers', 'endpoint-url-credentials'].map(
      (p) => `hookrelay/secret-box/${p}/v1`,
    );
    const subkeys = labels.map((label) => deriveSubkey(k1.key, label).toString('hex'));
    expect(new Set([...subkeys, k1.key.toString('hex')]).size).toBe(5);
    expect(subkeys[0]).toBe(
      Buffer.from(hkdfSync('sha256', k1.key, Buffer.alloc(0), labels[0]!, 32)).toString('hex'),
    );
  });

  it('keeps the portal-token and API-key-hash derivations (issued tokens and stored hashes stay valid)', () => {
    const label = (l: string) => Buffer.from(hkdfSync('sha256', k1.key, Buffer.alloc(0), l, 32));
    expect(portalTokenKey(k1.key)).toEqual(label('hookrelay/portal-token/v1'));
    expect(apiKeyHashKey(k1.key)).toEqual(label('hookrelay/api-key-hash/v1'));
  });

  describe('legacy values (sealed before contexts, "v<n>:")', () => {
    const legacy = legacySeal(secret, k1);

    it('still open, under any context, and are due for a re-seal', () => {
      expect(box.open(legacy, ctx)).toBe(secret);
      expect(box.needsReseal(legacy)).toBe(true);
    });

    it('move to the bound form on re-seal, after which the context is enforced', () => {
      const resealed = box.reseal(legacy, ctx);
      expect(resealed.startsWith('v1c:')).toBe(true);
      expect(box.open(resealed, ctx)).toBe(secret);
      expect(box.needsReseal(resealed)).toBe(false);
      expect(box.reseal(resealed, ctx)).toBe(resealed);
      expectError(() => box.open(resealed, SealContext.endpointSecret('org_A', 'ep_2')), 'tampered');
    });

    it('are never accepted for a bound value: a "c" value is not tried the legacy way', () => {
      const bound = box.seal(secret, ctx);
      expectError(() => box.open(bound.replace(/^v1c:/, 'v1:'), ctx), 'tampered');
    });
  });

  it('opens values sealed with an older key after rotation, seals with the new one, and re-seals', () => {
    const before = new SecretBox([k1]);
    const sealedV1 = before.seal(secret, ctx);

    const after = new SecretBox([k2, k1]);
    expect(after.currentVersion).toBe(2);
    expect(after.open(sealedV1, ctx)).toBe(secret);
    expect(after.needsReseal(sealedV1)).toBe(true);

    const sealedV2 = after.reseal(sealedV1, ctx);
    expect(sealedV2.startsWith('v2c:')).toBe(true);
    expect(after.needsReseal(sealedV2)).toBe(false);
    expect(new SecretBox([k2]).open(sealedV2, ctx)).toBe(secret);
    expectError(() => before.open(sealedV2, ctx), 'unknown_key_version');
  });

  it('names the unknown version and where to configure it in the error, and nothing secret', () => {
    const sealed = new SecretBox([k2]).seal(secret, ctx);
    const error = expectError(() => box.open(sealed, ctx), 'unknown_key_version');
    expect(error.message).toContain('version 2');
    expect(error.message).toContain('ENCRYPTION_KEY_PREVIOUS');
    expect(error.message).not.toContain(sealed.slice(4));
  });

  it('does not open with the wrong key under the right version', () => {
    const sealed = new SecretBox([{ version: 1, key: randomBytes(32) }]).seal(secret, ctx);
    expectError(() => box.open(sealed, ctx), 'tampered');
  });

  it.each([
    '',
    'v1',
    'v1:',
    'v1c:',
    'v1:AAAA',
    'v1c:AAAA',
    '1:AAAA',
    'v0:AAAA',
    'v01:AAAA',
    'V1:AAAA',
    'v1C:AAAA',
    'v1x:AAAA',
    `v1c:${'A'.repeat(40)}!`,
    secret,
  ])('rejects the malformed value %j', (sealed) => {
    expectError(() => box.open(sealed, ctx), 'malformed');
  });

  it.each([
    ['no keys', []],
    ['a short key', [{ version: 1, key: randomBytes(16) }]],
    ['version 0', [{ version: 0, key: randomBytes(32) }]],
    ['a fractional version', [{ version: 1.5, key: randomBytes(32) }]],
    ['a duplicate version', [k1, { version: 1, key: randomBytes(32) }]],
  ])('refuses to build with %s', (_name, keys) => {
    expect(() => new SecretBox(keys)).toThrow(TypeError);
  });

  it('keeps its own copy of the keys', () => {
    const key = Buffer.from(k1.key);
    const own = new SecretBox([{ version: 1, key }]);
    const sealed = own.seal(secret, ctx);
    const legacy = legacySeal(secret, { version: 1, key });
    key.fill(0);
    expect(own.open(sealed, ctx)).toBe(secret);
    expect(own.open(legacy, ctx)).toBe(secret);
  });
});
