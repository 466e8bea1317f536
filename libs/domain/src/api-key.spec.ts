import { randomBytes } from 'node:crypto';
import { ApiKeyHasher, apiKeyHashKey, apiKeyMatches, apiKeyPrefix, issueApiKey } from './api-key';

describe('API keys', () => {
  const hashKey = apiKeyHashKey(randomBytes(32));

  it('are 32 random bytes, url-safe, without a dot, and stored only as a keyed hash', () => {
    const issued = issueApiKey(hashKey);
    expect(issued.key).toMatch(/^hr_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(issued.key.slice(3), 'base64url')).toHaveLength(32);
    expect(issued.key).not.toContain('.');
    expect(issued.prefix).toBe(issued.key.slice(0, 11));
    expect(issued.hash).toHaveLength(32);
    expect(issued.hash.toString('hex')).not.toContain(Buffer.from(issued.key).toString('hex'));
    expect(issueApiKey(hashKey).key).not.toBe(issued.key);
  });

  it('match only the exact key under the same hash key', () => {
    const issued = issueApiKey(hashKey);
    expect(apiKeyMatches(hashKey, issued.key, issued.hash)).toBe(true);
    expect(apiKeyMatches(hashKey, issued.key.slice(0, -1) + 'A', issued.hash)).toBe(issued.key.endsWith('A'));
    expect(apiKeyMatches(apiKeyHashKey(randomBytes(32)), issued.key, issued.hash)).toBe(false);
    expect(apiKeyMatches(hashKey, issued.key, issued.hash.subarray(0, 16))).toBe(false);
  });

  it('reject anything that is not shaped like one of ours before touching the database', () => {
    expect(apiKeyPrefix(issueApiKey(hashKey).key)).toMatch(/^hr_.{8}$/);
    expect(apiKeyPrefix('hr_short')).toBeUndefined();
    expect(apiKeyPrefix('sk_' + 'a'.repeat(43))).toBeUndefined();
    expect(apiKeyPrefix('hr_' + 'a'.repeat(42) + '.')).toBeUndefined();
  });
});

describe('ApiKeyHasher (API keys across a master-key rotation)', () => {
  const a = { version: 1, key: randomBytes(32) };
  const b = { version: 2, key: randomBytes(32) };

  it('hashes new keys under the current version and matches them', () => {
    const hasher = new ApiKeyHasher([b, a]);
    const issued = hasher.issue();
    expect(issued.hashKeyVersion).toBe(2);
    expect(hasher.matches(issued.key, issued)).toBe('yes');
    expect(hasher.matches(issued.key.slice(0, -1) + (issued.key.endsWith('A') ? 'B' : 'A'), issued)).toBe(
      'no',
    );
  });

  it('matches a key hashed under a previous version and asks for a re-hash, which then matches as current', () => {
    const issued = new ApiKeyHasher([a]).issue();
    const rotated = new ApiKeyHasher([b, a]);
    expect(rotated.matches(issued.key, issued)).toBe('rehash');
    const rehashed = rotated.hashWithCurrent(issued.key);
    expect(rehashed.hashKeyVersion).toBe(2);
    expect(rotated.matches(issued.key, rehashed)).toBe('yes');
    // Once the old key is dropped, only the re-hashed form still matches.
    const dropped = new ApiKeyHasher([b]);
    expect(dropped.matches(issued.key, rehashed)).toBe('yes');
    expect(dropped.matches(issued.key, issued)).toBe('no');
  });

  it('never matches a hash under the wrong version label', () => {
    const issued = new ApiKeyHasher([a]).issue();
    expect(new ApiKeyHasher([b, a]).matches(issued.key, { ...issued, hashKeyVersion: 2 })).toBe('no');
  });
});
