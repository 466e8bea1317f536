import { randomBytes } from 'node:crypto';

import { SecretBox, SecretBoxError } from './secret-box';

const k1 = { version: 1, key: randomBytes(32) };
const k2 = { version: 2, key: randomBytes(32) };
const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

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

describe('SecretBox', () => {
  const box = new SecretBox([k1]);

  it('round-trips', () => {
    for (const text of [secret, '', 'é 🎉 \u0000', 'x'.repeat(10_000)]) {
      expect(box.open(box.seal(text))).toBe(text);
    }
  });

  it('produces "v<version>:" + base64 of iv|tag|ciphertext, never containing the plaintext', () => {
    const sealed = box.seal(secret);
    expect(sealed).toMatch(/^v1:[A-Za-z0-9+/]+={0,2}$/);
    expect(Buffer.from(sealed.slice(3), 'base64')).toHaveLength(12 + 16 + Buffer.byteLength(secret));
    expect(sealed).not.toContain(secret.slice(6));
    expect(sealed.length).toBeGreaterThan(secret.length);
  });

  it('uses a fresh IV each time', () => {
    const a = box.seal(secret);
    const b = box.seal(secret);
    expect(a).not.toBe(b);
    expect(Buffer.from(a.slice(3), 'base64').subarray(0, 12)).not.toEqual(
      Buffer.from(b.slice(3), 'base64').subarray(0, 12),
    );
  });

  it.each([
    ['the IV', 0],
    ['the tag', 12],
    ['the ciphertext', 28],
  ])('detects a change to %s', (_part, index) => {
    expectError(() => box.open(flip(box.seal(secret), index)), 'tampered');
  });

  it('detects a truncated ciphertext', () => {
    const sealed = box.seal(secret);
    const raw = Buffer.from(sealed.slice(3), 'base64');
    expectError(() => box.open(`v1:${raw.subarray(0, raw.length - 1).toString('base64')}`), 'tampered');
  });

  it('detects a value relabelled with another key version (the prefix is authenticated)', () => {
    const both = new SecretBox([k2, { version: 1, key: k2.key }]);
    const sealed = both.seal(secret);
    expectError(() => both.open(sealed.replace(/^v2:/, 'v1:')), 'tampered');
  });

  it('opens values sealed with an older key after rotation, and seals with the new one', () => {
    const before = new SecretBox([k1]);
    const sealedV1 = before.seal(secret);

    const after = new SecretBox([k2, k1]);
    expect(after.currentVersion).toBe(2);
    expect(after.open(sealedV1)).toBe(secret);
    expect(after.needsReseal(sealedV1)).toBe(true);

    const sealedV2 = after.seal(secret);
    expect(sealedV2.startsWith('v2:')).toBe(true);
    expect(after.needsReseal(sealedV2)).toBe(false);
    expectError(() => before.open(sealedV2), 'unknown_key_version');
  });

  it('names the unknown version in the error, and nothing secret', () => {
    const sealed = new SecretBox([k2]).seal(secret);
    const error = expectError(() => box.open(sealed), 'unknown_key_version');
    expect(error.message).toContain('version 2');
    expect(error.message).not.toContain(sealed.slice(3));
  });

  it('does not open with the wrong key under the right version', () => {
    const sealed = new SecretBox([{ version: 1, key: randomBytes(32) }]).seal(secret);
    expectError(() => box.open(sealed), 'tampered');
  });

  it.each([
    '',
    'v1',
    'v1:',
    'v1:AAAA',
    '1:AAAA',
    'v0:AAAA',
    'v01:AAAA',
    'V1:AAAA',
    `v1:${'A'.repeat(40)}!`,
    secret,
  ])('rejects the malformed value %j', (sealed) => {
    expectError(() => box.open(sealed), 'malformed');
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
    const sealed = own.seal(secret);
    key.fill(0);
    expect(own.open(sealed)).toBe(secret);
  });
});
