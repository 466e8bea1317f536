import {
  createHmac,
  createPrivateKey,
  createPublicKey,
  sign as ed25519Sign,
  timingSafeEqual,
  verify as ed25519Verify,
  type KeyObject,
} from 'node:crypto';

import { parseEndpointSecret } from './endpoint-secret';

/**
 * Standard Webhooks signatures, as Svix sends them: every attempt signs `{msgId}.{timestamp}.{body}` with each
 * valid key of the endpoint and sends the results space-separated, `v1,` for HMAC-SHA256 and `v1a,` for Ed25519.
 */
export const SIGNATURE_TOLERANCE_SECONDS = 5 * 60;

/**
 * A key to sign or verify with: `whsec_…` or raw key bytes (HMAC, `v1`), `whsk_…` (Ed25519 secret key = seed
 * then public key, signs `v1a`), `whpk_…` (Ed25519 public key, verifies `v1a` only).
 */
export type WebhookKey = string | Uint8Array;

export interface SignInput {
  /** Our message id: stable across retries, the receiver's dedupe key. */
  msgId: string;
  /** Unix seconds of this attempt; a retry is signed again with its own time. */
  timestamp: number;
  /** The exact bytes put on the wire; re-serialising JSON here would break every receiver. */
  body: string | Uint8Array;
  /** The current key first, then the old keys still inside their rotation grace period. */
  secrets: readonly WebhookKey[];
}

export interface WebhookHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
  'svix-id': string;
  'svix-timestamp': string;
  'svix-signature': string;
}

export interface VerifyInput {
  msgId: string | undefined;
  /** The header value as received; only a plain decimal integer is accepted. */
  timestamp: string | number | undefined;
  signature: string | undefined;
  body: string | Uint8Array;
  /** `whsec_…`/raw keys check `v1` entries, `whpk_…` keys check `v1a` entries. */
  secrets: readonly WebhookKey[];
  /** Unix seconds; defaults to the clock. */
  now?: number;
  toleranceSeconds?: number;
}

export type VerifyFailure =
  | 'missing_header'
  | 'invalid_timestamp'
  | 'timestamp_too_old'
  | 'timestamp_too_new'
  | 'invalid_secret'
  | 'no_matching_signature';

export type VerifyResult = { ok: true } | { ok: false; reason: VerifyFailure };

/** The `webhook-signature` header value for one attempt. Throws on a malformed key or id: a bug, not a receiver fault. */
export function signPayload(input: SignInput): string {
  assertSignable(input);
  if (input.secrets.length === 0) throw new TypeError('At least one signing secret is required.');
  const content = signedContent(input.msgId, String(input.timestamp), input.body);
  return input.secrets
    .map((secret) => {
      const key = signingKey(secret);
      return key.scheme === 'v1'
        ? `v1,${createHmac('sha256', key.key).update(content).digest('base64')}`
        : `v1a,${ed25519Sign(null, content, key.key).toString('base64')}`;
    })
    .join(' ');
}

/** Both header families: `webhook-*` for Standard Webhooks receivers, `svix-*` for receivers written against Svix. */
export function webhookHeaders(input: SignInput): WebhookHeaders {
  const signature = signPayload(input);
  const timestamp = String(input.timestamp);
  return {
    'webhook-id': input.msgId,
    'webhook-timestamp': timestamp,
    'webhook-signature': signature,
    'svix-id': input.msgId,
    'svix-timestamp': timestamp,
    'svix-signature': signature,
  };
}

/**
 * Receiver-side check. Stricter than the reference libraries, which accept `"123abc"` as a timestamp and (in
 * Python) crash on malformed entries: here a bad header or entry is only ever a failed verification.
 */
export function verifySignature(input: VerifyInput): VerifyResult {
  const { msgId, signature } = input;
  if (!msgId || !signature || input.timestamp === undefined || input.timestamp === '') {
    return { ok: false, reason: 'missing_header' };
  }
  const timestamp = parseTimestamp(input.timestamp);
  if (timestamp === undefined) return { ok: false, reason: 'invalid_timestamp' };
  const now = input.now ?? Math.floor(Date.now() / 1000);
  const tolerance = input.toleranceSeconds ?? SIGNATURE_TOLERANCE_SECONDS;
  if (now - timestamp > tolerance) return { ok: false, reason: 'timestamp_too_old' };
  if (timestamp - now > tolerance) return { ok: false, reason: 'timestamp_too_new' };

  let keys: VerifierKey[];
  try {
    keys = input.secrets.map(verifierKey);
  } catch {
    return { ok: false, reason: 'invalid_secret' };
  }
  if (keys.length === 0) return { ok: false, reason: 'invalid_secret' };

  const content = signedContent(msgId, String(timestamp), input.body);
  const expectedHmacs = keys
    .filter((k): k is HmacKey => k.scheme === 'v1')
    .map((k) => Buffer.from(createHmac('sha256', k.key).update(content).digest('base64')));
  const publicKeys = keys.filter((k): k is Ed25519PublicKey => k.scheme === 'v1a').map((k) => k.key);

  for (const entry of signature.split(' ')) {
    const parts = entry.split(',');
    if (parts.length !== 2) continue;
    const [version, value] = parts as [string, string];
    if (version === 'v1') {
      const candidate = Buffer.from(value);
      if (expectedHmacs.some((e) => e.length === candidate.length && timingSafeEqual(e, candidate))) {
        return { ok: true };
      }
    } else if (version === 'v1a' && ED25519_SIGNATURE_BASE64.test(value)) {
      const sig = Buffer.from(value, 'base64');
      if (publicKeys.some((k) => ed25519Verify(null, content, k, sig))) return { ok: true };
    }
  }
  return { ok: false, reason: 'no_matching_signature' };
}

/** Verify from request headers, reading `webhook-*` first and `svix-*` otherwise (header names in lower case). */
export function verifyWebhookRequest(input: {
  headers: Record<string, string | string[] | undefined>;
  body: string | Uint8Array;
  secrets: readonly WebhookKey[];
  now?: number;
  toleranceSeconds?: number;
}): VerifyResult {
  const header = (name: string): string | undefined => {
    const value = input.headers[`webhook-${name}`] ?? input.headers[`svix-${name}`];
    return Array.isArray(value) ? undefined : value;
  };
  return verifySignature({
    msgId: header('id'),
    timestamp: header('timestamp'),
    signature: header('signature'),
    body: input.body,
    secrets: input.secrets,
    now: input.now,
    toleranceSeconds: input.toleranceSeconds,
  });
}

const ED25519_SECRET_PREFIX = 'whsk_';
const ED25519_PUBLIC_PREFIX = 'whpk_';
/** DER headers that turn a raw 32-byte Ed25519 seed / public key into PKCS#8 / SPKI for node:crypto. */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const ED25519_SIGNATURE_BASE64 = /^[A-Za-z0-9+/]{86}==$/;
const KEY_BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
/** The signed prefix must split unambiguously on `.`, and header values must not carry separators. */
const MSG_ID = /^[A-Za-z0-9_-]+$/;
/** A plain non-negative decimal: no sign, exponent, fraction, whitespace or leading zero. */
const TIMESTAMP = /^(?:0|[1-9]\d{0,15})$/;

interface HmacKey {
  scheme: 'v1';
  key: Buffer;
}
interface Ed25519PrivateKey {
  scheme: 'v1a';
  key: KeyObject;
}
interface Ed25519PublicKey {
  scheme: 'v1a';
  key: KeyObject;
}
type VerifierKey = HmacKey | Ed25519PublicKey;

function assertSignable({ msgId, timestamp }: SignInput): void {
  if (!MSG_ID.test(msgId)) throw new TypeError('Message id must match [A-Za-z0-9_-]+.');
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new TypeError('Timestamp must be a non-negative integer of unix seconds.');
  }
}

function signedContent(msgId: string, timestamp: string, body: string | Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(`${msgId}.${timestamp}.`, 'utf8'), Buffer.from(body)]);
}

function parseTimestamp(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  return TIMESTAMP.test(value) ? Number(value) : undefined;
}

function decodeKey(encoded: string, bytes: number, what: string): Buffer {
  const raw = KEY_BASE64.test(encoded) ? Buffer.from(encoded, 'base64') : Buffer.alloc(0);
  if (raw.length !== bytes) throw new TypeError(`${what} must be base64 of ${bytes} bytes.`);
  return raw;
}

function hmacKey(secret: string | Uint8Array): HmacKey {
  if (typeof secret !== 'string') {
    if (secret.length === 0) throw new TypeError('Signing key must not be empty.');
    return { scheme: 'v1', key: Buffer.from(secret) };
  }
  const parsed = parseEndpointSecret(secret);
  if (!parsed.ok) throw new TypeError(`Invalid endpoint secret: ${parsed.reason}.`);
  return { scheme: 'v1', key: parsed.key };
}

function signingKey(secret: WebhookKey): HmacKey | Ed25519PrivateKey {
  if (typeof secret !== 'string' || !secret.startsWith(ED25519_SECRET_PREFIX)) return hmacKey(secret);
  const raw = decodeKey(secret.slice(ED25519_SECRET_PREFIX.length), 64, 'An Ed25519 secret key');
  const key = createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, raw.subarray(0, 32)]),
    format: 'der',
    type: 'pkcs8',
  });
  // The second half is the public key receivers hold; a mismatch would sign what nobody can verify.
  const derived = createPublicKey(key).export({ format: 'der', type: 'spki' }).subarray(-32);
  if (!derived.equals(raw.subarray(32))) throw new TypeError('Ed25519 secret key halves do not match.');
  return { scheme: 'v1a', key };
}

function verifierKey(secret: WebhookKey): VerifierKey {
  if (typeof secret !== 'string' || !secret.startsWith(ED25519_PUBLIC_PREFIX)) return hmacKey(secret);
  const raw = decodeKey(secret.slice(ED25519_PUBLIC_PREFIX.length), 32, 'An Ed25519 public key');
  return {
    scheme: 'v1a',
    key: createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, raw]), format: 'der', type: 'spki' }),
  };
}
