import { randomBytes } from 'node:crypto';
import { encodeTime } from 'ulid';
import { newId } from './ids';
import {
  grantedCapabilities,
  hasCapability,
  PORTAL_CAPABILITIES,
  portalTokenIssuedAt,
  portalTokenKey,
  PortalRevocation,
  revocationOf,
} from './portal-access';
import { apiKeyHashKey } from './api-key';

describe('portal capabilities', () => {
  it('grants everything by default, as Svix does', () => {
    expect(grantedCapabilities({})).toEqual([...PORTAL_CAPABILITIES]);
  });

  it('grants only ViewBase for readOnly without a list', () => {
    expect(grantedCapabilities({ readOnly: true })).toEqual(['ViewBase']);
  });

  it('keeps an explicit list, deduplicated and in a stable order', () => {
    expect(grantedCapabilities({ capabilities: ['ManageEndpoint', 'ViewBase', 'ViewBase'] })).toEqual([
      'ViewBase',
      'ManageEndpoint',
    ]);
    expect(grantedCapabilities({ capabilities: [] })).toEqual([]);
  });

  it('refuses readOnly together with a capability that changes something', () => {
    expect(
      grantedCapabilities({ readOnly: true, capabilities: ['ViewBase', 'ManageEndpoint'] }),
    ).toBeUndefined();
    expect(grantedCapabilities({ readOnly: true, capabilities: ['ViewBase', 'ViewEndpointSecret'] })).toEqual(
      ['ViewBase', 'ViewEndpointSecret'],
    );
  });
});

describe('capability checks', () => {
  it('accept the capability itself', () => {
    expect(hasCapability(['ViewBase', 'CreateAttempts'], 'CreateAttempts')).toBe(true);
    expect(hasCapability(['ViewBase'], 'CreateAttempts')).toBe(false);
  });

  it('follow what Svix documents as included: rotating shows the secret, managing covers secrets', () => {
    expect(hasCapability(['ManageEndpointSecret'], 'ViewEndpointSecret')).toBe(true);
    expect(hasCapability(['ManageEndpoint'], 'ManageEndpointSecret')).toBe(true);
    expect(hasCapability(['ManageEndpoint'], 'ViewEndpointSecret')).toBe(true);
    expect(hasCapability(['ViewEndpointSecret'], 'ManageEndpointSecret')).toBe(false);
    expect(hasCapability(['ManageEndpointSecret'], 'ManageEndpoint')).toBe(false);
    expect(hasCapability(['ManageEndpoint'], 'CreateAttempts')).toBe(false);
  });
});

describe('portal token key', () => {
  it('is derived for portal tokens only: not the API-key hash key, and different per ENCRYPTION_KEY', () => {
    const master = randomBytes(32);
    expect(portalTokenKey(master)).toHaveLength(32);
    expect(portalTokenKey(master).equals(portalTokenKey(Buffer.from(master)))).toBe(true);
    expect(portalTokenKey(master).equals(apiKeyHashKey(master))).toBe(false);
    expect(portalTokenKey(master).equals(portalTokenKey(randomBytes(32)))).toBe(false);
  });
});

describe('portal token revocation', () => {
  const t0 = Date.UTC(2026, 0, 1, 12, 0, 0);
  /** A token id issued at `at` (newId is monotonic, so it cannot go back in time within one test). */
  const idAt = (at: number) => `ptok_${encodeTime(at, 10)}${'0123456789ABCDEFGHJKMNPQRS'.slice(0, 16)}`;
  const token = (at: number, sessionId: string | null = null) => ({ tokenId: idAt(at), sessionId });
  const revoke = (
    r: Partial<Omit<PortalRevocation, 'issuedBefore'>> & { issuedBefore: number },
  ): PortalRevocation => ({
    sessionId: null,
    tokenId: null,
    ...r,
    issuedBefore: new Date(r.issuedBefore),
    effectiveAt: r.effectiveAt ?? new Date(r.issuedBefore),
  });
  const now = new Date(t0 + 10_000);

  it('reads the issue time to the millisecond from the token id', () => {
    expect(portalTokenIssuedAt(idAt(t0 + 123))).toBe(t0 + 123);
    const before = Date.now();
    const fresh = newId('portalToken');
    expect(portalTokenIssuedAt(fresh)).toBeGreaterThanOrEqual(before);
    expect(portalTokenIssuedAt(fresh)).toBeLessThanOrEqual(Date.now());
    expect(portalTokenIssuedAt('ptok_not-a-ulid')).toBeUndefined();
    expect(portalTokenIssuedAt(newId('message'))).toBeUndefined();
  });

  it('refuses tokens issued before an application-wide revocation, even in the same second', () => {
    const all = [revoke({ issuedBefore: t0 + 500 })];
    expect(revocationOf(token(t0 + 499), all, now)).toBe(all[0]);
    expect(revocationOf(token(t0 + 501), all, now)).toBeUndefined();
  });

  it('refuses only the named session', () => {
    const one = [revoke({ issuedBefore: t0 + 500, sessionId: 'alice' })];
    expect(revocationOf(token(t0, 'alice'), one, now)).toBe(one[0]);
    expect(revocationOf(token(t0, 'bob'), one, now)).toBeUndefined();
    expect(revocationOf(token(t0, null), one, now)).toBeUndefined();
  });

  it('refuses only the named token on logout', () => {
    const first = token(t0);
    const second = token(t0 + 1);
    const out = [revoke({ issuedBefore: t0 + 500, tokenId: first.tokenId })];
    expect(revocationOf(first, out, now)).toBe(out[0]);
    expect(revocationOf(second, out, now)).toBeUndefined();
  });

  it('waits for a delayed revocation to take effect', () => {
    const later = [revoke({ issuedBefore: t0, effectiveAt: new Date(t0 + 60_000) })];
    expect(revocationOf(token(t0 - 1), later, now)).toBeUndefined();
    expect(revocationOf(token(t0 - 1), later, new Date(t0 + 60_000))).toBe(later[0]);
  });

  it('treats a token whose id carries no issue time as revoked', () => {
    expect(revocationOf({ tokenId: 'ptok_x', sessionId: null }, [], now)).toBeDefined();
  });
});
