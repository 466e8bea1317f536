import {
  createHmac,
  createPublicKey,
  KeyObject,
  timingSafeEqual,
  verify as verifySignature,
} from 'node:crypto';

/**
 * Receiver-side verification of Standard Webhooks signatures, as Hookrelay (and Svix) send them:
 * `webhook-id`, `webhook-timestamp`, `webhook-signature` (or the same under `svix-`), the signature being
 * `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` with the endpoint's `whsec_` secret, several of them
 * space-separated while a secret rotates; or `v1a,<base64 ed25519>` checked with a `whpk_` public key.
 */

export type WebhookVerificationReason =
  /** The secret (or public key) given to the verifier is not one. */
  | 'invalid_secret'
  /** The body is not a string or bytes. */
  | 'invalid_body'
  /** No complete set of `webhook-*` (or `svix-*`) id, timestamp and signature headers. */
  | 'missing_headers'
  /** The timestamp header is not a whole number of seconds. */
  | 'invalid_timestamp'
  /** Signed more than the tolerance (5 minutes) ago: possibly replayed. */
  | 'timestamp_too_old'
  /** Signed more than the tolerance in the future: a clock is wrong, or the request is forged. */
  | 'timestamp_too_new'
  /** No signature in the header was made with this secret over these bytes. */
  | 'no_matching_signature'
  /** The signature matches but the body is not JSON. */
  | 'invalid_json';

const MESSAGES: Record<WebhookVerificationReason, string> = {
  invalid_secret:
    'The signing secret is not valid: expected whsec_ followed by base64, or a whpk_ public key.',
  invalid_body: 'The body must be the raw request body as a string or bytes, exactly as received.',
  missing_headers: 'Missing webhook-id, webhook-timestamp or webhook-signature (or their svix- equivalents).',
  invalid_timestamp: 'The webhook-timestamp header is not a whole number of seconds.',
  timestamp_too_old: 'The webhook timestamp is too old (more than the tolerance ago): it may be a replay.',
  timestamp_too_new: 'The webhook timestamp is too far in the future.',
  no_matching_signature:
    'No signature matches: check the secret, and verify the raw body (not JSON parsed and re-serialized).',
  invalid_json: 'The signature is valid but the body is not JSON.',
};

/** The only error `verifyWebhook` throws; `reason` is stable and machine-readable. */
export class WebhookVerificationError extends Error {
  constructor(readonly reason: WebhookVerificationReason) {
    super(MESSAGES[reason]);
    this.name = 'WebhookVerificationError';
  }
}

/** Request headers as Node (`req.headers`), Fetch (`Headers`) or a plain object with any casing give them. */
export type WebhookHeaders =
  | { get(name: string): string | null | undefined }
  | Record<string, string | string[] | number | undefined | null>;

export interface VerifyOptions {
  /** Seconds a timestamp may be off either way; default 300 (5 minutes), as every Standard Webhooks library. */
  toleranceSeconds?: number;
  /** The current time (tests). */
  now?: Date;
}

export interface VerifiedWebhook {
  /** The message id (`msg_…`): the same on every retry, so dedupe on it. */
  id: string;
  timestamp: Date;
  /** The parsed JSON body (undefined for an empty body). */
  payload: unknown;
}

/**
 * Checks a webhook request and returns its parsed payload, or throws `WebhookVerificationError` saying why
 * not. `secret` is the endpoint's `whsec_…` secret (or several, during a rotation on your side), or a `whpk_…`
 * public key. `body` must be the raw bytes received: a body parsed and serialized again no longer matches.
 * Nothing else is ever thrown, whatever the headers hold.
 */
export function verifyWebhook(
  secret: string | readonly string[],
  headers: WebhookHeaders,
  body: string | Uint8Array,
  options: VerifyOptions = {},
): VerifiedWebhook {
  try {
    return verifyOrThrow(secret, headers, body, options);
  } catch (error) {
    if (error instanceof WebhookVerificationError) throw error;
    // Any other failure (a hostile getter, a broken Headers object) is a request we cannot verify.
    throw new WebhookVerificationError('missing_headers');
  }
}

type Key = { kind: 'hmac'; key: Buffer } | { kind: 'ed25519'; key: KeyObject };

function verifyOrThrow(
  secret: string | readonly string[],
  headers: WebhookHeaders,
  body: string | Uint8Array,
  options: VerifyOptions,
): VerifiedWebhook {
  const keys = (typeof secret === 'string' ? [secret] : Array.isArray(secret) ? secret : [undefined]).map(
    parseKey,
  );
  const bytes = bodyBytes(body);
  const { id, timestamp, signature } = readHeaders(headers);
  if (!/^\d{1,12}$/.test(timestamp)) throw new WebhookVerificationError('invalid_timestamp');
  const seconds = Number(timestamp);
  const tolerance = options.toleranceSeconds ?? 300;
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  if (now - seconds > tolerance) throw new WebhookVerificationError('timestamp_too_old');
  if (seconds - now > tolerance) throw new WebhookVerificationError('timestamp_too_new');

  const content = Buffer.concat([Buffer.from(`${id}.${timestamp}.`, 'utf8'), bytes]);
  const candidates = signature.split(' ');
  const matches = keys.some((key) => {
    // Computed once per key; each candidate is compared in constant time with what it should be.
    const expected =
      key.kind === 'hmac'
        ? Buffer.from(createHmac('sha256', key.key).update(content).digest('base64'))
        : undefined;
    return candidates.some((candidate) => {
      const comma = candidate.indexOf(',');
      if (comma < 0) return false;
      const version = candidate.slice(0, comma);
      const presented = candidate.slice(comma + 1);
      if (key.kind === 'hmac' && version === 'v1' && expected) {
        const given = Buffer.from(presented, 'utf8');
        return given.length === expected.length && timingSafeEqual(given, expected);
      }
      if (key.kind === 'ed25519' && version === 'v1a') {
        if (presented.length !== 88 || !BASE64.test(presented)) return false;
        return verifySignature(null, content, key.key, Buffer.from(presented, 'base64'));
      }
      return false;
    });
  });
  if (!matches) throw new WebhookVerificationError('no_matching_signature');

  // An empty body is no payload (as the reference library answers); anything else must be JSON.
  let payload: unknown = undefined;
  try {
    if (bytes.length > 0) payload = JSON.parse(bytes.toString('utf8')) as unknown;
  } catch {
    throw new WebhookVerificationError('invalid_json');
  }
  return { id, timestamp: new Date(seconds * 1000), payload };
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
/** DER prefix of an ed25519 SubjectPublicKeyInfo; the raw 32-byte key follows. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

function parseKey(secret: unknown): Key {
  if (typeof secret !== 'string') throw new WebhookVerificationError('invalid_secret');
  if (secret.startsWith('whpk_')) {
    const raw = secret.slice(5);
    const key = BASE64.test(raw) ? Buffer.from(raw, 'base64') : Buffer.alloc(0);
    if (key.length !== 32) throw new WebhookVerificationError('invalid_secret');
    return {
      kind: 'ed25519',
      key: createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, key]), format: 'der', type: 'spki' }),
    };
  }
  const raw = secret.startsWith('whsec_') ? secret.slice(6) : secret;
  if (!BASE64.test(raw)) throw new WebhookVerificationError('invalid_secret');
  const key = Buffer.from(raw, 'base64');
  if (key.length === 0) throw new WebhookVerificationError('invalid_secret');
  return { kind: 'hmac', key };
}

function bodyBytes(body: unknown): Buffer {
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  throw new WebhookVerificationError('invalid_body');
}

function readHeaders(headers: WebhookHeaders): { id: string; timestamp: string; signature: string } {
  const get = headerReader(headers);
  for (const prefix of ['webhook', 'svix']) {
    const id = get(`${prefix}-id`);
    const timestamp = get(`${prefix}-timestamp`);
    const signature = get(`${prefix}-signature`);
    if (id !== undefined && timestamp !== undefined && signature !== undefined) {
      if (id === '' || signature === '') break;
      return { id, timestamp, signature };
    }
  }
  throw new WebhookVerificationError('missing_headers');
}

/** One header's value, whatever holds the headers; a repeated header's values joined by spaces. */
function headerReader(headers: unknown): (name: string) => string | undefined {
  if (typeof headers !== 'object' || headers === null) return () => undefined;
  const value = (raw: unknown): string | undefined => {
    if (typeof raw === 'string') return raw;
    if (typeof raw === 'number' && Number.isFinite(raw)) return String(raw);
    if (Array.isArray(raw) && raw.length > 0 && raw.every((v) => typeof v === 'string')) return raw.join(' ');
    return undefined;
  };
  const getter = (headers as { get?: unknown }).get;
  if (typeof getter === 'function') {
    return (name) => value((getter as (n: string) => unknown).call(headers, name));
  }
  const byName = new Map<string, unknown>();
  for (const [key, raw] of Object.entries(headers)) byName.set(key.toLowerCase(), raw);
  return (name) => value(byName.get(name));
}
