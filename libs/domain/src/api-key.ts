import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { deriveSubkey } from './secret-box';

/**
 * Tenant API keys: `hr_` + base64url of 32 random bytes (no `.`: the Svix SDKs read a region suffix after one).
 * Only an HMAC-SHA256 of the key (keyed with a server secret) and a short display prefix are stored.
 */
export const API_KEY_PREFIX = 'hr_';
const RANDOM_BYTES = 32;
/** Characters of the key shown in listings and used to find the row; 8 random characters follow `hr_`. */
const DISPLAY_PREFIX_LENGTH = API_KEY_PREFIX.length + 8;
const KEY_SHAPE = /^hr_[A-Za-z0-9_-]{43}$/;

export interface IssuedApiKey {
  key: string;
  prefix: string;
  hash: Buffer;
}

export function issueApiKey(hashKey: Buffer): IssuedApiKey {
  const key = API_KEY_PREFIX + randomBytes(RANDOM_BYTES).toString('base64url');
  return { key, prefix: key.slice(0, DISPLAY_PREFIX_LENGTH), hash: hashApiKey(hashKey, key) };
}

/** The lookup prefix of a presented key, or undefined if it cannot be one of ours. */
export function apiKeyPrefix(key: string): string | undefined {
  return KEY_SHAPE.test(key) ? key.slice(0, DISPLAY_PREFIX_LENGTH) : undefined;
}

export function hashApiKey(hashKey: Buffer, key: string): Buffer {
  return createHmac('sha256', hashKey).update(key).digest();
}

export function apiKeyMatches(hashKey: Buffer, presented: string, storedHash: Uint8Array): boolean {
  const candidate = hashApiKey(hashKey, presented);
  return candidate.length === storedHash.length && timingSafeEqual(candidate, storedHash);
}

/** The HMAC key for API-key hashes, derived from ENCRYPTION_KEY so operators manage one secret. */
export function apiKeyHashKey(encryptionKey: Buffer): Buffer {
  return deriveSubkey(encryptionKey, 'hookrelay/api-key-hash/v1');
}
