import {
  DEFAULT_SECRET_GRACE_MS,
  MAX_OLD_SECRETS,
  parseOldSecrets,
  retireSecret,
  unexpiredOldSecrets,
} from './old-secrets';

const now = new Date('2026-01-01T00:00:00.000Z');
const at = (offsetMs: number) => new Date(now.getTime() + offsetMs).toISOString();

describe('old signing secrets', () => {
  it('puts the retired secret first, expiring after the default 24 h grace period', () => {
    const existing = [{ secret: 'v1:older', expiresAt: at(60_000) }];
    expect(retireSecret(existing, 'v1:current', now)).toEqual([
      { secret: 'v1:current', expiresAt: at(DEFAULT_SECRET_GRACE_MS) },
      { secret: 'v1:older', expiresAt: at(60_000) },
    ]);
    expect(DEFAULT_SECRET_GRACE_MS).toBe(86_400_000);
  });

  it('drops expired secrets, including one expiring exactly now', () => {
    const existing = [
      { secret: 'v1:live', expiresAt: at(1) },
      { secret: 'v1:now', expiresAt: at(0) },
      { secret: 'v1:gone', expiresAt: at(-1) },
    ];
    expect(retireSecret(existing, 'v1:current', now, 1000).map((s) => s.secret)).toEqual([
      'v1:current',
      'v1:live',
    ]);
    expect(unexpiredOldSecrets(existing, now).map((s) => s.secret)).toEqual(['v1:live']);
  });

  it('keeps only the newest ten', () => {
    let list = retireSecret([], 'v1:0', now);
    for (let i = 1; i < 15; i++) list = retireSecret(list, `v1:${i}`, now);
    expect(list).toHaveLength(MAX_OLD_SECRETS);
    expect(list[0]!.secret).toBe('v1:14');
    expect(list[MAX_OLD_SECRETS - 1]!.secret).toBe('v1:5');
  });

  it('retires at once with a zero grace period', () => {
    const existing = [{ secret: 'v1:live', expiresAt: at(5000) }];
    expect(retireSecret(existing, 'v1:current', now, 0)).toEqual(existing);
  });

  it('reads only well-formed entries from the JSON column', () => {
    const good = { secret: 'v1:a', expiresAt: at(1000) };
    expect(parseOldSecrets([good, { secret: 1 }, null, 'x', { secret: 'v1:b', expiresAt: 'soon' }])).toEqual([
      good,
    ]);
    expect(parseOldSecrets({})).toEqual([]);
    expect(parseOldSecrets(null)).toEqual([]);
  });
});
