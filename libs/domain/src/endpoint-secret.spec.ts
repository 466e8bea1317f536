import { Webhook as StandardWebhook } from 'standardwebhooks';

import {
  ENDPOINT_SECRET_PREFIX,
  formatEndpointSecret,
  generateEndpointSecret,
  parseEndpointSecret,
} from './endpoint-secret';

const b64 = (bytes: number, fill = 0x42) => Buffer.alloc(bytes, fill).toString('base64');

describe('generateEndpointSecret', () => {
  it('is whsec_ + base64 of 32 bytes and parses back', () => {
    const secret = generateEndpointSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const parsed = parseEndpointSecret(secret);
    expect(parsed.ok && parsed.key.length).toBe(32);
  });

  it('does not repeat', () => {
    const secrets = new Set(Array.from({ length: 1000 }, generateEndpointSecret));
    expect(secrets.size).toBe(1000);
  });

  it('is accepted by the Standard Webhooks reference library', () => {
    expect(() => new StandardWebhook(generateEndpointSecret())).not.toThrow();
  });
});

describe('parseEndpointSecret', () => {
  it.each([24, 32, 33, 64])('accepts %i bytes', (bytes) => {
    const parsed = parseEndpointSecret(ENDPOINT_SECRET_PREFIX + b64(bytes));
    expect(parsed).toEqual({ ok: true, key: Buffer.alloc(bytes, 0x42) });
  });

  it('accepts the upstream Standard Webhooks example secret', () => {
    const parsed = parseEndpointSecret('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
    expect(parsed.ok && parsed.key.toString('base64')).toBe('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
  });

  it.each([
    ['23 bytes', `whsec_${b64(23)}`, 'got 23'],
    ['65 bytes', `whsec_${b64(65)}`, 'got 65'],
    ['no prefix', b64(32), 'must start with'],
    ['a wrong prefix', `hwsec_${b64(32)}`, 'must start with'],
    ['an upper-case prefix', `WHSEC_${b64(32)}`, 'must start with'],
    ['the Ed25519 prefix', `whsk_${b64(64)}`, 'must start with'],
    ['an empty value', '', 'must start with'],
    ['the prefix alone', 'whsec_', 'base64'],
    ['url-safe base64', `whsec_${Buffer.alloc(32, 0xfb).toString('base64url')}=`, 'base64'],
    ['missing padding', `whsec_${b64(32).replace(/=+$/, '')}`, 'base64'],
    ['whitespace', `whsec_ ${b64(32)}`, 'base64'],
    ['a trailing newline', `whsec_${b64(32)}\n`, 'base64'],
    ['non-canonical trailing bits', `whsec_${b64(32).slice(0, -2)}R=`, 'canonical'],
  ])('rejects %s', (_name, secret, reason) => {
    const parsed = parseEndpointSecret(secret);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.reason).toContain(reason);
  });

  it('never echoes the secret in the reason', () => {
    const encoded = b64(16, 0x37);
    const parsed = parseEndpointSecret(`whsec_${encoded}`);
    expect(!parsed.ok && parsed.reason).not.toContain(encoded);
  });
});

describe('formatEndpointSecret', () => {
  it('round-trips with parseEndpointSecret', () => {
    const key = Buffer.alloc(40, 9);
    const parsed = parseEndpointSecret(formatEndpointSecret(key));
    expect(parsed).toEqual({ ok: true, key });
  });
});
