import ipaddr from 'ipaddr.js';

/**
 * The SSRF guard's address policy: which IPs a webhook may be delivered to. It classifies the exact address
 * about to be dialled (after DNS, and for IP-literal URLs too, which never reach a resolver).
 *
 * IPv4: Svix's `is_allowed` list (private, loopback, link-local, broadcast, documentation, CGNAT, 192.0.0.0/24,
 * 240/4, benchmarking, 0/8) plus 192.88.99.0/24 and multicast.
 * IPv6: only global unicast 2000::/3 can be allowed at all, minus its special blocks; IPv6 forms that carry an
 * IPv4 address are unwrapped (mapped, NAT64 64:ff9b::/96, 6to4) and judged by that address, or blocked outright
 * where the embedding cannot be trusted (Teredo, IPv4-compatible, SIIT, local-use NAT64) — Svix lets Teredo
 * through, smokescreen does not.
 */
export type AddressClass =
  | 'allowed'
  | 'invalid'
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'metadata'
  | 'multicast'
  | 'broadcast'
  | 'carrier-grade-nat'
  | 'documentation'
  | 'benchmarking'
  | 'tunnel'
  | 'reserved';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

export interface Cidr {
  /** As configured, for messages. */
  text: string;
  address: Address;
  prefixLength: number;
}

export type CidrListParse = { ok: true; cidrs: Cidr[] } | { ok: false; item: string; reason: string };

/**
 * Cloud instance-metadata and credential endpoints. Blocked even when an allowlisted range covers them: an
 * allowlist such as 169.254.0.0/16 or 100.64.0.0/10 is meant for local receivers, never for cloud credentials.
 */
const METADATA_ADDRESSES = [
  '169.254.169.254', // AWS, GCP, Azure IMDS, OpenStack, DigitalOcean, …
  '169.254.170.2', // AWS ECS task credentials
  '169.254.170.23', // AWS EKS Pod Identity agent
  '169.254.42.42', // Scaleway
  '168.63.129.16', // Azure WireServer (a public address, so only this list catches it)
  '100.100.100.200', // Alibaba Cloud
  '192.0.0.192', // Oracle Cloud Classic
  'fd00:ec2::254', // AWS IMDS over IPv6
  'fd00:ec2::23', // AWS EKS Pod Identity agent over IPv6
  'fd20:ce::254', // GCP over IPv6
].map((text) => ipaddr.parse(text));

const cidrs = (...texts: string[]): [Address, number][] => texts.map((text) => ipaddr.parseCIDR(text));

/** First match wins. */
const IPV4_RULES: [AddressClass, [Address, number][]][] = [
  ['unspecified', cidrs('0.0.0.0/8')],
  ['loopback', cidrs('127.0.0.0/8')],
  ['private', cidrs('10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16')],
  ['link-local', cidrs('169.254.0.0/16')],
  ['carrier-grade-nat', cidrs('100.64.0.0/10')],
  ['documentation', cidrs('192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24')],
  ['benchmarking', cidrs('198.18.0.0/15')],
  ['multicast', cidrs('224.0.0.0/4')],
  ['broadcast', cidrs('255.255.255.255/32')],
  // IETF protocol assignments, the deprecated 6to4 relay anycast (RFC 7526), and the old class E.
  ['reserved', cidrs('192.0.0.0/24', '192.88.99.0/24', '240.0.0.0/4')],
];

const IPV4_COMPATIBLE_DOTTED = /^::(\d{1,3}(?:\.\d{1,3}){3})(?:%.+)?$/;
const NAT64_WELL_KNOWN = ipaddr.parseCIDR('64:ff9b::/96');
const SIX_TO_FOUR = ipaddr.parseCIDR('2002::/16');
const GLOBAL_UNICAST = ipaddr.parseCIDR('2000::/3');

/** First match wins; NAT64 and 6to4 are decoded before these, IPv4-mapped addresses before everything. */
const IPV6_RULES: [AddressClass, [Address, number][]][] = [
  ['unspecified', cidrs('::/128')],
  ['loopback', cidrs('::1/128')],
  // IPv4-compatible (deprecated), SIIT-translated, local-use NAT64 (its embedding depends on an unknown prefix
  // length), Teredo (the client address is obfuscated and the relay is anyone's).
  ['tunnel', cidrs('::/96', '::ffff:0:0:0/96', '64:ff9b:1::/48', '2001::/32')],
  ['benchmarking', cidrs('2001:2::/48')],
  ['documentation', cidrs('2001:db8::/32', '3fff::/20')],
  ['reserved', cidrs('2001::/23')],
  ['private', cidrs('fc00::/7', 'fec0::/10')],
  ['link-local', cidrs('fe80::/10')],
  ['multicast', cidrs('ff00::/8')],
];

export function classifyAddress(ip: string): AddressClass {
  const address = parseAddress(ip);
  return address ? classify(address) : 'invalid';
}

/**
 * Whether a delivery may connect to `ip`. Allowlisted ranges (local development, tests) lift the guard for the
 * addresses they contain, compared in the form that will be dialled (an IPv4-mapped address as its IPv4), but
 * never for metadata endpoints or an unparseable address.
 */
export function isAddressAllowed(ip: string, allowedCidrs: readonly (string | Cidr)[] = []): boolean {
  const address = parseAddress(ip);
  if (!address) return false;
  const kind = classify(address);
  if (kind === 'allowed') return true;
  if (kind === 'metadata') return false;
  return allowedCidrs.some((entry) => {
    const cidr = typeof entry === 'string' ? parseCidrOrThrow(entry) : entry;
    return cidr.address.kind() === address.kind() && address.match(cidr.address, cidr.prefixLength);
  });
}

/**
 * A comma-separated list such as `DELIVERY_ALLOWED_CIDRS=127.0.0.0/8,::1`. A bare address is a single host.
 * The first bad item is named so the configuration error can say which one.
 */
export function parseCidrList(text: string): CidrListParse {
  if (text.trim() === '') return { ok: true, cidrs: [] };
  const parsed: Cidr[] = [];
  for (const raw of text.split(',')) {
    const item = raw.trim();
    const result = parseCidr(item);
    if (typeof result === 'string') return { ok: false, item, reason: result };
    parsed.push(result);
  }
  return { ok: true, cidrs: parsed };
}

function parseCidrOrThrow(text: string): Cidr {
  const result = parseCidr(text.trim());
  if (typeof result === 'string') throw new TypeError(`Invalid CIDR "${text}": ${result}.`);
  return result;
}

function parseCidr(item: string): Cidr | string {
  if (item === '') return 'empty item';
  const slash = item.indexOf('/');
  const host = slash < 0 ? item : item.slice(0, slash);
  if (host.includes('%')) return 'zone ids are not allowed';
  const address = parseAddress(host, false);
  if (!address) return 'not an IPv4 or IPv6 address';
  const max = address.kind() === 'ipv4' ? 32 : 128;
  let prefixLength = max;
  if (slash >= 0) {
    const prefix = item.slice(slash + 1);
    if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > max) return `prefix length must be 0–${max}`;
    prefixLength = Number(prefix);
  }
  // `::ffff:127.0.0.1/128` means the IPv4 host, which is how isAddressAllowed sees a mapped address.
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress() && prefixLength >= 96) {
    return { text: item, address: (address as ipaddr.IPv6).toIPv4Address(), prefixLength: prefixLength - 96 };
  }
  return { text: item, address, prefixLength };
}

/**
 * Only canonical literals: dotted-quad IPv4 without leading zeros (what WHATWG URL and DNS hand over), or IPv6,
 * optionally in URL brackets. ipaddr.js alone would also read `127.1` or `0x7f000001`; refusing those here keeps
 * "the address we judged" and "the address we dial" the same string.
 */
function parseAddress(ip: string, unmap = true): Address | undefined {
  const text = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  if (!text.includes(':'))
    return ipaddr.IPv4.isValidFourPartDecimal(text) ? ipaddr.IPv4.parse(text) : undefined;
  // ipaddr.js reads `::1.2.3.4` as IPv4-mapped; it is IPv4-compatible (::102:304), which is what gets dialled.
  const compatible = IPV4_COMPATIBLE_DOTTED.exec(text);
  if (compatible && ipaddr.IPv4.isValidFourPartDecimal(compatible[1]!)) {
    const [a, b, c, d] = ipaddr.IPv4.parse(compatible[1]!).octets as [number, number, number, number];
    return new ipaddr.IPv6([0, 0, 0, 0, 0, 0, (a << 8) | b, (c << 8) | d]);
  }
  if (!ipaddr.IPv6.isValid(text)) return undefined;
  return unmap ? ipaddr.process(text) : ipaddr.IPv6.parse(text);
}

function classify(address: Address): AddressClass {
  if (address.kind() === 'ipv4') return classifyIpv4(address as ipaddr.IPv4);
  const v6 = address as ipaddr.IPv6;
  if (isMetadata(v6)) return 'metadata';
  if (v6.match(NAT64_WELL_KNOWN)) return classifyIpv4(embeddedIpv4(v6.parts[6]!, v6.parts[7]!));
  if (v6.match(SIX_TO_FOUR)) return classifyIpv4(embeddedIpv4(v6.parts[1]!, v6.parts[2]!));
  const rule = IPV6_RULES.find(([, ranges]) => ranges.some((range) => v6.match(range)));
  if (rule) return rule[0];
  // Outside 2000::/3 nothing is assigned for global unicast; unknown space is refused, not trusted.
  return v6.match(GLOBAL_UNICAST) ? 'allowed' : 'reserved';
}

function classifyIpv4(address: ipaddr.IPv4): AddressClass {
  if (isMetadata(address)) return 'metadata';
  const rule = IPV4_RULES.find(([, ranges]) => ranges.some((range) => address.match(range)));
  return rule ? rule[0] : 'allowed';
}

function isMetadata(address: Address): boolean {
  return METADATA_ADDRESSES.some(
    (known) => known.kind() === address.kind() && address.match(known, known.kind() === 'ipv4' ? 32 : 128),
  );
}

function embeddedIpv4(high: number, low: number): ipaddr.IPv4 {
  return new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
}

/** A URL's destination as far as it can be judged without DNS. */
export type DestinationVerdict =
  | { allowed: true }
  | {
      allowed: false;
      /** The address refused, for logs only: never shown to tenants. */ address: string;
      kind: AddressClass;
    };

/**
 * Names that always mean an address, without asking DNS: `localhost` and `*.localhost` (RFC 6761, which the
 * delivery resolver answers as loopback itself) and the metadata name every GCP instance resolves.
 */
const NAMED_ADDRESSES: readonly [(host: string) => boolean, readonly string[]][] = [
  [(host) => host === 'localhost' || host.endsWith('.localhost'), ['127.0.0.1', '::1']],
  [(host) => host === 'metadata.google.internal', ['169.254.169.254']],
];

/**
 * The one judgement of a webhook URL's host, used when an endpoint is written (422 `url_destination_blocked`)
 * and again when it is sent to (a blocked attempt). The host is the WHATWG URL parser's, the parser the HTTP
 * client uses, which has already turned every IPv4 spelling (`0x7f000001`, `2130706433`, `0177.0.0.1`,
 * `127.1`, `%31%32%37.0.0.1`, full-width digits) into its dotted quad and every IPv6 literal into its
 * compressed form, so what is judged here is what would be dialled. Other names pass: what they resolve to is
 * checked when the connection is made, every time.
 */
export function judgeDestination(
  url: URL,
  allowedCidrs: readonly (string | Cidr)[] = [],
): DestinationVerdict {
  const host = url.hostname
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
    .toLowerCase();
  const literal = parseAddress(host);
  const addresses = literal
    ? [host]
    : (NAMED_ADDRESSES.find(([matches]) => matches(host))?.[1] ?? (host.includes(':') ? [host] : []));
  for (const address of addresses) {
    if (!isAddressAllowed(address, allowedCidrs)) {
      return { allowed: false, address, kind: classifyAddress(address) };
    }
  }
  return { allowed: true };
}
