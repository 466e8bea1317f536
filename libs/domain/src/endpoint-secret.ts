import { randomBytes } from 'node:crypto';

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
