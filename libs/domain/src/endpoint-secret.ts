import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';

/**
 * Endpoint signing secrets, Standard Webhooks symmetric keys: `whsec_` + standard base64 of 24–64 random bytes.
 *
 * Only the prefixed form is accepted. Svix's OpenAPI pattern says the prefix is optional, but the Svix server
 * rejects an unprefixed custom secret with "invalid prefix" (its `EndpointSecret` deserializer), so requiring it
 * keeps us as strict as the server SDK users already talk to. It also keeps the door open for other key types
 * (`whsk_` Ed25519) without guessing what a bare base64 string was meant to be.
 */
export const ENDPOINT_SECRET_PREFIX = 'whsec_';
export const ENDPOINT_SECRET_MIN_BYTES = 24;
export const ENDPOINT_SECRET_MAX_BYTES = 64;
const GENERATED_BYTES = 32;

/** Canonical padded standard base64; url-safe characters, whitespace and missing padding are refused. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export type EndpointSecretParse = { ok: true; key: Buffer } | { ok: false; reason: string };

export function generateEndpointSecret(): string {
  return formatEndpointSecret(randomBytes(GENERATED_BYTES));
}

export function formatEndpointSecret(key: Uint8Array): string {
  return ENDPOINT_SECRET_PREFIX + Buffer.from(key).toString('base64');
}

/** The HMAC key of a `whsec_` secret. Reasons are safe to show to the user: they never echo the secret. */
export function parseEndpointSecret(secret: string): EndpointSecretParse {
  if (!secret.startsWith(ENDPOINT_SECRET_PREFIX)) {
    return { ok: false, reason: `must start with "${ENDPOINT_SECRET_PREFIX}"` };
  }
  const encoded = secret.slice(ENDPOINT_SECRET_PREFIX.length);
  if (encoded.length === 0 || !BASE64.test(encoded)) {
    return { ok: false, reason: `must be "${ENDPOINT_SECRET_PREFIX}" followed by standard padded base64` };
  }
  const key = Buffer.from(encoded, 'base64');
  // Non-zero trailing bits would make two different strings the same key; refuse the non-canonical one.
  if (key.toString('base64') !== encoded) {
    return { ok: false, reason: 'base64 is not canonical' };
  }
  if (key.length < ENDPOINT_SECRET_MIN_BYTES || key.length > ENDPOINT_SECRET_MAX_BYTES) {
    return {
      ok: false,
      reason: `must decode to ${ENDPOINT_SECRET_MIN_BYTES}–${ENDPOINT_SECRET_MAX_BYTES} bytes (got ${key.length})`,
    };
  }
  return { ok: true, key };
}

/**
 * Ed25519 endpoint keys (`v1a`), in Svix's encoding: the secret is `whsk_` + standard base64 of the 64-byte
 * Ed25519 secret key (the 32-byte seed, then the 32-byte public key, as libsodium and ed25519-compact hold it);
 * the public key receivers verify with is `whpk_` + standard base64 of the 32 public-key bytes.
 */
export const ED25519_SECRET_PREFIX = 'whsk_';
export const ED25519_PUBLIC_PREFIX = 'whpk_';
const ED25519_SECRET_BYTES = 64;
const ED25519_HALF = 32;
/** DER headers that turn a raw 32-byte seed / public key into PKCS#8 / SPKI for node:crypto. */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** `hmac` signs `v1` (HMAC-SHA256), `ed25519` signs `v1a`. */
export type SigningSecretKind = 'hmac' | 'ed25519';

export type SigningSecretParse = { ok: true; kind: SigningSecretKind } | { ok: false; reason: string };

/** The kind of a stored (already valid) secret, by its prefix. */
export function signingSecretKind(secret: string): SigningSecretKind {
  return secret.startsWith(ED25519_SECRET_PREFIX) ? 'ed25519' : 'hmac';
}

/** A new secret of the given kind: what creation and rotation use when the caller names none. */
export function generateSigningSecret(kind: SigningSecretKind = 'hmac'): string {
  if (kind === 'hmac') return generateEndpointSecret();
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const seed = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(-ED25519_HALF);
  const pub = publicKey.export({ format: 'der', type: 'spki' }).subarray(-ED25519_HALF);
  return ED25519_SECRET_PREFIX + Buffer.concat([seed, pub]).toString('base64');
}

/**
 * Any secret an endpoint may be given: `whsec_…` (see `parseEndpointSecret`) or `whsk_…` whose public half
 * really is the seed's public key (a mismatch would sign what no receiver can verify). Reasons never echo it.
 */
export function parseSigningSecret(secret: string): SigningSecretParse {
  if (!secret.startsWith(ED25519_SECRET_PREFIX)) {
    const hmac = parseEndpointSecret(secret);
    if (hmac.ok) return { ok: true, kind: 'hmac' };
    return {
      ok: false,
      reason: secret.startsWith(ENDPOINT_SECRET_PREFIX)
        ? hmac.reason
        : `must start with "${ENDPOINT_SECRET_PREFIX}" (HMAC) or "${ED25519_SECRET_PREFIX}" (Ed25519)`,
    };
  }
  const raw = decodeCanonical(secret.slice(ED25519_SECRET_PREFIX.length));
  if (!raw) {
    return { ok: false, reason: `must be "${ED25519_SECRET_PREFIX}" followed by canonical standard base64` };
  }
  if (raw.length !== ED25519_SECRET_BYTES) {
    return {
      ok: false,
      reason: `must decode to the ${ED25519_SECRET_BYTES}-byte Ed25519 secret key, seed then public key (got ${raw.length})`,
    };
  }
  if (!ed25519PublicOfSeed(raw.subarray(0, ED25519_HALF)).equals(raw.subarray(ED25519_HALF))) {
    return {
      ok: false,
      reason: 'is not an Ed25519 key pair: its second half is not the public key of its first',
    };
  }
  return { ok: true, kind: 'ed25519' };
}

/**
 * What may be shown of a secret: an Ed25519 secret's public key (`whpk_…`), never its private half; an HMAC
 * secret is its own verification key, so it is shown as is (Svix's `serialize_public_key`).
 */
export function publicSigningKey(secret: string): string {
  if (signingSecretKind(secret) === 'hmac') return secret;
  const raw = Buffer.from(secret.slice(ED25519_SECRET_PREFIX.length), 'base64');
  return ED25519_PUBLIC_PREFIX + raw.subarray(ED25519_HALF).toString('base64');
}

function decodeCanonical(encoded: string): Buffer | undefined {
  if (encoded.length === 0 || !BASE64.test(encoded)) return undefined;
  const raw = Buffer.from(encoded, 'base64');
  return raw.toString('base64') === encoded ? raw : undefined;
}

function ed25519PublicOfSeed(seed: Buffer): Buffer {
  const key = createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  });
  return createPublicKey(key).export({ format: 'der', type: 'spki' }).subarray(-ED25519_HALF);
}
