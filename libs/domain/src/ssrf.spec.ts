import {
  classifyAddress,
  isAddressAllowed,
  judgeDestination,
  parseCidrList,
  type AddressClass,
} from './ssrf';

const TABLE: [string, AddressClass][] = [
  // Public control cases.
  ['1.1.1.1', 'allowed'],
  ['8.8.8.8', 'allowed'],
  ['93.184.216.34', 'allowed'],
  ['2606:4700:4700::1111', 'allowed'],
  ['2001:4860:4860::8888', 'allowed'],
  ['[2606:4700:4700::1111]', 'allowed'],
  ['::ffff:8.8.8.8', 'allowed'],
  ['192.175.48.1', 'allowed'],

  // IPv4 (research/reliability.md test 1, Svix is_allowed_test).
  ['0.0.0.0', 'unspecified'],
  ['0.1.2.3', 'unspecified'],
  ['127.0.0.1', 'loopback'],
  ['127.255.255.254', 'loopback'],
  ['10.0.0.1', 'private'],
  ['10.254.0.0', 'private'],
  ['172.16.0.1', 'private'],
  ['172.31.255.255', 'private'],
  ['172.32.0.1', 'allowed'],
  ['192.168.1.1', 'private'],
  ['169.254.0.1', 'link-local'],
  ['169.254.45.1', 'link-local'],
  ['100.64.0.1', 'carrier-grade-nat'],
  ['100.127.255.255', 'carrier-grade-nat'],
  ['100.128.0.1', 'allowed'],
  ['192.0.0.0', 'reserved'],
  ['192.0.0.255', 'reserved'],
  ['192.88.99.1', 'reserved'],
  ['192.0.2.1', 'documentation'],
  ['198.51.100.65', 'documentation'],
  ['203.0.113.6', 'documentation'],
  ['198.18.0.1', 'benchmarking'],
  ['198.19.255.255', 'benchmarking'],
  ['198.20.0.1', 'allowed'],
  ['224.0.0.1', 'multicast'],
  ['239.255.255.250', 'multicast'],
  ['240.0.0.1', 'reserved'],
  ['250.10.20.30', 'reserved'],
  ['255.255.255.255', 'broadcast'],

  // Metadata endpoints, including the public Azure one and those inside otherwise-classified ranges.
  ['169.254.169.254', 'metadata'],
  ['169.254.170.2', 'metadata'],
  ['169.254.170.23', 'metadata'],
  ['168.63.129.16', 'metadata'],
  ['100.100.100.200', 'metadata'],
  ['192.0.0.192', 'metadata'],
  ['fd00:ec2::254', 'metadata'],
  ['[fd00:ec2::254]', 'metadata'],
  ['fd00:ec2::23', 'metadata'],
  ['fd20:ce::254', 'metadata'],

  // IPv6 (test 3, Svix test_blocked_ip).
  ['::', 'unspecified'],
  ['::1', 'loopback'],
  ['[::1]', 'loopback'],
  ['0:0:0:0:0:0:0:1', 'loopback'],
  ['0000:0000:0000:0000:0000:0000:0000:0001', 'loopback'],
  ['fe80::1', 'link-local'],
  ['fe80::1%eth0', 'link-local'],
  ['febf::1', 'link-local'],
  ['fc00::1', 'private'],
  ['fd12:3456::1', 'private'],
  ['fec0::1', 'private'],
  ['ff02::1', 'multicast'],
  ['2001:db8::1', 'documentation'],
  ['3fff::1', 'documentation'],
  ['2001:2::1', 'benchmarking'],
  ['2001:1::1', 'reserved'],
  ['2001:10::1', 'reserved'],
  ['5f00::1', 'reserved'],
  ['100::1', 'reserved'],
  ['4000::1', 'reserved'],
  ['::2:1', 'tunnel'],

  // IPv4-mapped: judged as the IPv4 address.
  ['::ffff:127.0.0.1', 'loopback'],
  ['::ffff:7f00:1', 'loopback'],
  ['[::ffff:7f00:1]', 'loopback'],
  ['0000:0000:0000:0000:0000:ffff:7f00:0001', 'loopback'],
  ['::ffff:10.0.0.1', 'private'],
  ['::ffff:a9fe:a9fe', 'metadata'],
  ['::ffff:0.0.0.1', 'unspecified'],

  // IPv4-compatible (::/96), SIIT, local-use NAT64, Teredo: blocked outright.
  ['::7f00:1', 'tunnel'],
  ['::127.0.0.1', 'tunnel'],
  ['::8.8.8.8', 'tunnel'],
  ['::ffff:0:8.8.8.8', 'tunnel'],
  ['::ffff:0:a9fe:a9fe', 'tunnel'],
  ['64:ff9b:1::1', 'tunnel'],
  ['64:ff9b:1::808:808', 'tunnel'],
  ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'tunnel'],
  ['2001::1', 'tunnel'],

  // NAT64 64:ff9b::/96 and 6to4 2002::/16: judged by the embedded IPv4.
  ['64:ff9b::a9fe:a9fe', 'metadata'],
  ['64:ff9b::7f00:1', 'loopback'],
  ['64:ff9b::10.0.0.1', 'private'],
  ['64:ff9b::808:808', 'allowed'],
  ['2002:a9fe:a9fe::1', 'metadata'],
  ['2002:7f00:1::1', 'loopback'],
  ['2002:c0a8:101::1', 'private'],
  ['2002:808:808::1', 'allowed'],

  // Not canonical literals: these never reach the dialler as such, so they are not judged as IPs.
  ['2130706433', 'invalid'],
  ['0x7f000001', 'invalid'],
  ['017700000001', 'invalid'],
  ['0177.0.0.1', 'invalid'],
  ['127.1', 'invalid'],
  ['0x7f.1', 'invalid'],
  ['010.0.0.1', 'invalid'],
  ['127.0.0.1.', 'invalid'],
  ['256.0.0.1', 'invalid'],
  [' 127.0.0.1', 'invalid'],
  ['::ffff:127.1', 'invalid'],
  ['1::2::3', 'invalid'],
  ['[::1', 'invalid'],
  ['localhost', 'invalid'],
  ['', 'invalid'],
];

describe('classifyAddress', () => {
  it.each(TABLE)('%s → %s', (ip, expected) => {
    expect(classifyAddress(ip)).toBe(expected);
  });
});

describe('isAddressAllowed', () => {
  it.each(TABLE)('%s with no allowlist follows its class (%s)', (ip, kind) => {
    expect(isAddressAllowed(ip, [])).toBe(kind === 'allowed');
  });

  it('lets the local-development allowlist through', () => {
    const allow = ['127.0.0.0/8', '::1'];
    expect(isAddressAllowed('127.0.0.1', allow)).toBe(true);
    expect(isAddressAllowed('127.5.5.5', allow)).toBe(true);
    expect(isAddressAllowed('::1', allow)).toBe(true);
    expect(isAddressAllowed('[::1]', allow)).toBe(true);
    expect(isAddressAllowed('::ffff:127.0.0.1', allow)).toBe(true);
    expect(isAddressAllowed('10.0.0.1', allow)).toBe(false);
    expect(isAddressAllowed('::2', allow)).toBe(false);
  });

  it('compares NAT64 and 6to4 forms as the IPv6 addresses they are', () => {
    expect(isAddressAllowed('64:ff9b::7f00:1', ['127.0.0.0/8'])).toBe(false);
    expect(isAddressAllowed('64:ff9b::7f00:1', ['64:ff9b::/96'])).toBe(true);
  });

  it('never lets metadata endpoints through, even when allowlisted', () => {
    const allowEverything = ['0.0.0.0/0', '::/0'];
    for (const ip of [
      '169.254.169.254',
      '169.254.170.2',
      '168.63.129.16',
      '100.100.100.200',
      '192.0.0.192',
      'fd00:ec2::254',
      'fd20:ce::254',
      '::ffff:169.254.169.254',
      '64:ff9b::a9fe:a9fe',
      '2002:a9fe:a9fe::1',
    ]) {
      expect(isAddressAllowed(ip, allowEverything)).toBe(false);
      expect(isAddressAllowed(ip, [ip.includes(':') ? `${ip}/128` : `${ip}/32`])).toBe(false);
    }
    expect(isAddressAllowed('169.254.169.254', ['169.254.0.0/16'])).toBe(false);
    expect(isAddressAllowed('169.254.1.1', ['169.254.0.0/16'])).toBe(true);
    expect(isAddressAllowed('100.100.100.200', ['100.64.0.0/10'])).toBe(false);
    expect(isAddressAllowed('100.64.0.1', ['100.64.0.0/10'])).toBe(true);
  });

  it('never lets an unparseable address through', () => {
    expect(isAddressAllowed('2130706433', ['0.0.0.0/0'])).toBe(false);
    expect(isAddressAllowed('localhost', ['0.0.0.0/0', '::/0'])).toBe(false);
  });

  it('accepts pre-parsed CIDRs', () => {
    const parsed = parseCidrList('10.0.0.0/8');
    if (!parsed.ok) throw new Error(parsed.reason);
    expect(isAddressAllowed('10.1.2.3', parsed.cidrs)).toBe(true);
  });

  it('throws on an invalid allowlist entry (configuration is validated at start-up)', () => {
    expect(() => isAddressAllowed('10.0.0.1', ['10.0.0.0/33'])).toThrow(TypeError);
  });
});

describe('parseCidrList', () => {
  it('parses the documented example', () => {
    const parsed = parseCidrList('127.0.0.0/8,::1');
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.cidrs.map((c) => [c.text, c.address.toString(), c.prefixLength])).toEqual([
      ['127.0.0.0/8', '127.0.0.0', 8],
      ['::1', '::1', 128],
    ]);
  });

  it('trims items, and reads an empty list as no exemptions', () => {
    expect(parseCidrList('')).toEqual({ ok: true, cidrs: [] });
    expect(parseCidrList('   ')).toEqual({ ok: true, cidrs: [] });
    const parsed = parseCidrList(' 10.0.0.0/8 , fd00::/8 ');
    expect(parsed.ok && parsed.cidrs.map((c) => c.text)).toEqual(['10.0.0.0/8', 'fd00::/8']);
  });

  it('reads a bare address as a single host', () => {
    const parsed = parseCidrList('192.168.1.10,[::1]');
    expect(parsed.ok && parsed.cidrs.map((c) => c.prefixLength)).toEqual([32, 128]);
  });

  it('turns an IPv4-mapped range into the IPv4 range', () => {
    const parsed = parseCidrList('::ffff:127.0.0.0/104,::ffff:10.0.0.1');
    expect(
      parsed.ok && parsed.cidrs.map((c) => [c.address.kind(), c.address.toString(), c.prefixLength]),
    ).toEqual([
      ['ipv4', '127.0.0.0', 8],
      ['ipv4', '10.0.0.1', 32],
    ]);
  });

  it.each([
    ['127.0.0.0/8,nope', 'nope', 'not an IPv4 or IPv6 address'],
    ['127.0.0.0/33', '127.0.0.0/33', 'prefix length must be 0–32'],
    ['::1/129', '::1/129', 'prefix length must be 0–128'],
    ['10.0.0.0/', '10.0.0.0/', 'prefix length'],
    ['10.0.0.0/-1', '10.0.0.0/-1', 'prefix length'],
    ['10.0.0.0/8/8', '10.0.0.0/8/8', 'prefix length'],
    ['10.0.0.0/ 8', '10.0.0.0/ 8', 'prefix length'],
    ['127.1/8', '127.1/8', 'not an IPv4 or IPv6 address'],
    ['10.0.0.0/8,,::1', '', 'empty item'],
    ['10.0.0.0/8,', '', 'empty item'],
    ['fe80::/10%eth0', 'fe80::/10%eth0', 'prefix length'],
    ['fe80::1%eth0', 'fe80::1%eth0', 'zone ids are not allowed'],
  ])('names the bad item in %j', (text, item, reason) => {
    const parsed = parseCidrList(text);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.item).toBe(item);
    expect(parsed.reason).toContain(reason);
  });

  describe('judgeDestination (the endpoint URL check, at write time and at send time)', () => {
    const judge = (url: string, allowed: string[] = []) => judgeDestination(new URL(url), allowed).allowed;

    it.each([
      'http://0x7f000001/',
      'http://2130706433/',
      'http://0177.0.0.1/',
      'http://127.1/',
      'http://%31%32%37.0.0.1/',
      'http://[::ffff:7f00:1]/',
      'http://localhost/',
      'http://LOCALHOST./',
      'http://a.b.localhost/',
      'http://metadata.google.internal/',
      'http://0/',
      'http://[::]/',
    ])('refuses %s', (url) => expect(judge(url)).toBe(false));

    it.each([
      'https://example.com/',
      'http://1.1.1.1/',
      'http://[2606:4700:4700::1111]/',
      'http://internal/',
    ])('lets %s through (names are checked when connecting)', (url) => expect(judge(url)).toBe(true));

    it('honours DELIVERY_ALLOWED_CIDRS, but never for metadata addresses', () => {
      expect(judge('http://127.0.0.1:8080/', ['127.0.0.0/8'])).toBe(true);
      expect(judge('http://localhost:8080/', ['127.0.0.0/8', '::1/128'])).toBe(true);
      expect(judge('http://localhost:8080/', ['127.0.0.0/8'])).toBe(false);
      expect(judge('http://169.254.169.254/', ['169.254.0.0/16'])).toBe(false);
      expect(judge('http://metadata.google.internal/', ['169.254.0.0/16'])).toBe(false);
      expect(judge('http://169.254.1.1/', ['169.254.0.0/16'])).toBe(true);
    });

    it('says which address and class were refused, for the logs', () => {
      expect(judgeDestination(new URL('http://0xA9FEA9FE/'))).toEqual({
        allowed: false,
        address: '169.254.169.254',
        kind: 'metadata',
      });
    });
  });
});
