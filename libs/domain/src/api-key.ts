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

/** How a presented key compared with a stored hash (`rehash`: it matched under an older master key). */
export type ApiKeyMatch = 'no' | 'yes' | 'rehash';

/**
 * API-key hashing across master-key versions: new keys are hashed with the current master key's subkey and
 * record its version; a stored hash is checked with the subkey of the version it records, and one made under
 * an older version is reported as `rehash`, so the caller stores `hashWithCurrent` of the presented key (an
 * HMAC cannot be moved to a new key without the key itself, so this happens on a key's first use after a
 * rotation). A version no longer configured never matches.
 */
export class ApiKeyHasher {
  private readonly hashKeys: ReadonlyMap<number, Buffer>;
  readonly currentVersion: number;

  /** `keys[0]` is the current master key, as `AppConfig.encryptionKeys`. */
  constructor(keys: readonly { version: number; key: Buffer }[]) {
    if (keys.length === 0) throw new TypeError('ApiKeyHasher needs at least one key.');
    this.hashKeys = new Map(keys.map(({ version, key }) => [version, apiKeyHashKey(key)]));
    this.currentVersion = keys[0]!.version;
  }

  issue(): IssuedApiKey & { hashKeyVersion: number } {
    return { ...issueApiKey(this.hashKeys.get(this.currentVersion)!), hashKeyVersion: this.currentVersion };
  }

  matches(presented: string, stored: { hash: Uint8Array; hashKeyVersion: number }): ApiKeyMatch {
    const hashKey = this.hashKeys.get(stored.hashKeyVersion);
    if (!hashKey || !apiKeyMatches(hashKey, presented, stored.hash)) return 'no';
    return stored.hashKeyVersion === this.currentVersion ? 'yes' : 'rehash';
  }

  hashWithCurrent(presented: string): { hash: Buffer; hashKeyVersion: number } {
    return {
      hash: hashApiKey(this.hashKeys.get(this.currentVersion)!, presented),
      hashKeyVersion: this.currentVersion,
    };
  }
}
