import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import nacl from 'tweetnacl';

import {
  ED25519_PUBLIC_PREFIX,
  ED25519_SECRET_PREFIX,
  generateSigningSecret,
  parseSigningSecret,
  publicSigningKey,
} from './endpoint-secret';
import { signPayload, verifySignature } from './webhook-signing';

/**
 * The `v1a` vectors are made with node:crypto (OpenSSL); tweetnacl is an independent Ed25519 implementation
 * (a port of TweetNaCl), so agreement here is not one library agreeing with itself.
 */
interface V1aVector {
  seedHex: string;
  secretKey: string;
  publicKey: string;
  id: string;
  timestamp: number;
  body: string;
  signature: string;
}
const vectors = JSON.parse(
  readFileSync(join(__dirname, '../../../test/fixtures/standard-webhooks.json'), 'utf8'),
) as { v1a: V1aVector };

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const content = (id: string, timestamp: number, body: string) =>
  new Uint8Array(Buffer.from(`${id}.${timestamp}.${body}`, 'utf8'));

describe('Ed25519 (v1a) against tweetnacl', () => {
  const v = vectors.v1a;

  it('derives the vector key pair from its seed', () => {
    const pair = nacl.sign.keyPair.fromSeed(new Uint8Array(Buffer.from(v.seedHex, 'hex')));
    expect(ED25519_SECRET_PREFIX + b64(pair.secretKey)).toBe(v.secretKey);
    expect(ED25519_PUBLIC_PREFIX + b64(pair.publicKey)).toBe(v.publicKey);
    expect(publicSigningKey(v.secretKey)).toBe(v.publicKey);
  });

  it('makes the vector signature, which node:crypto also makes', () => {
    const pair = nacl.sign.keyPair.fromSeed(new Uint8Array(Buffer.from(v.seedHex, 'hex')));
    const sig = nacl.sign.detached(content(v.id, v.timestamp, v.body), pair.secretKey);
    expect(`v1a,${b64(sig)}`).toBe(v.signature);
    expect(signPayload({ msgId: v.id, timestamp: v.timestamp, body: v.body, secrets: [v.secretKey] })).toBe(
      v.signature,
    );
  });

  it('verifies what a generated whsk_ key signs, and our verifier accepts what tweetnacl signs', () => {
    const secret = generateSigningSecret('ed25519');
    expect(parseSigningSecret(secret)).toEqual({ ok: true, kind: 'ed25519' });
    const publicKey = Buffer.from(publicSigningKey(secret).slice(ED25519_PUBLIC_PREFIX.length), 'base64');
    const header = signPayload({ msgId: 'msg_a', timestamp: 1700000000, body: '{"a":1}', secrets: [secret] });
    const sig = Buffer.from(header.slice('v1a,'.length), 'base64');
    expect(nacl.sign.detached.verify(content('msg_a', 1700000000, '{"a":1}'), sig, publicKey)).toBe(true);
    expect(nacl.sign.detached.verify(content('msg_a', 1700000000, '{"a":2}'), sig, publicKey)).toBe(false);

    const other = nacl.sign.keyPair();
    const theirs = b64(nacl.sign.detached(content('msg_b', 1700000000, '{}'), other.secretKey));
    expect(
      verifySignature({
        msgId: 'msg_b',
        timestamp: 1700000000,
        signature: `v1a,${theirs}`,
        body: '{}',
        secrets: [ED25519_PUBLIC_PREFIX + b64(other.publicKey)],
        now: 1700000000,
      }),
    ).toEqual({ ok: true });
  });
});

describe('parseSigningSecret', () => {
  const pair = nacl.sign.keyPair.fromSeed(new Uint8Array(32).fill(9));
  const whsk = (bytes: Uint8Array) => ED25519_SECRET_PREFIX + b64(bytes);

  it.each([
    ['a whsec_ secret', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'hmac'],
    ['a whsk_ key pair', whsk(pair.secretKey), 'ed25519'],
  ])('accepts %s', (_name, secret, kind) => {
    expect(parseSigningSecret(secret)).toEqual({ ok: true, kind });
  });

  it.each([
    ['the 32-byte seed alone', whsk(pair.secretKey.subarray(0, 32)), 'got 32'],
    ['halves that do not match', whsk(new Uint8Array(64).fill(1)), 'not an Ed25519 key pair'],
    ['a public key', publicSigningKey(whsk(pair.secretKey)), 'must start with'],
    ['url-safe base64', ED25519_SECRET_PREFIX + Buffer.from(pair.secretKey).toString('base64url'), 'base64'],
    ['a short whsec_', 'whsec_' + b64(new Uint8Array(8)), 'got 8'],
  ])('rejects %s', (_name, secret, reason) => {
    const parsed = parseSigningSecret(secret);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.reason).toContain(reason);
  });

  it('shows an HMAC secret as itself and never the private half of an Ed25519 one', () => {
    const secret = whsk(pair.secretKey);
    expect(publicSigningKey('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')).toBe(
      'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    );
    expect(publicSigningKey(secret)).toBe(ED25519_PUBLIC_PREFIX + b64(pair.publicKey));
    expect(publicSigningKey(secret)).not.toContain(b64(pair.secretKey.subarray(0, 32)).slice(0, 40));
  });
});
