import { randomBytes } from 'node:crypto';
import { apiKeyHashKey, apiKeyMatches, apiKeyPrefix, issueApiKey } from './api-key';

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
