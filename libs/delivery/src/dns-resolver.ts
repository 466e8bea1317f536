import { promises as dns } from 'node:dns';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { LRUCache } from 'lru-cache';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

export interface DnsResolverOptions {
  /** Deadline of one resolution (both record types), in ms. */
  timeoutMs: number;
  /** `ip` or `ip:port` of the servers to ask; empty: the system's (/etc/resolv.conf). */
  servers?: readonly string[];
  /** The hosts file, consulted before DNS as the system resolver does. */
  hostsPath?: string;
}

/** Answers are kept for their TTL, at most this long. */
const MAX_TTL_MS = 5 * 60_000;
const MAX_ENTRIES = 10_000;
/** How often the hosts file is read again (asynchronously; the old copy serves meanwhile). */
const HOSTS_REFRESH_MS = 60_000;
/** What the resolver answers for `localhost` and `*.localhost` (RFC 6761), without asking anyone. */
const LOOPBACK: readonly ResolvedAddress[] = [
  { address: '127.0.0.1', family: 4 },
  { address: '::1', family: 6 },
];
/** c-ares codes that say the name or the record type does not exist, as opposed to a failure to ask. */
const ABSENT: ReadonlySet<string> = new Set([dns.NOTFOUND, dns.NODATA]);

/**
 * Name resolution for outbound webhooks without the libuv thread pool. `dns.lookup` runs getaddrinfo on one
 * of libuv's 4 threads and cannot be cancelled, so 4 names whose servers do not answer stall every other
 * lookup (and the process's file I/O) until the OS gives up. This asks DNS through c-ares
 * (`dns.promises.Resolver`, on the event loop) with a deadline, keeps answers for their TTL, shares one
 * query among concurrent callers, and keeps what the system resolver would also answer: IP literals as
 * they are, `localhost` and `*.localhost` as loopback, and names from the hosts file.
 *
 * Not the system resolver: no search domains (a single-label name is asked as is), no mDNS or NSS modules.
 * It only resolves; the SSRF guard in WebhookSender checks every address it returns.
 */
export class DnsResolver {
  private readonly resolver: dns.Resolver;
  private readonly timeoutMs: number;
  private readonly hostsPath: string;
  private readonly cache = new LRUCache<string, readonly ResolvedAddress[]>({ max: MAX_ENTRIES });
  private readonly pending = new Map<string, Promise<readonly ResolvedAddress[]>>();
  private hosts = new Map<string, ResolvedAddress[]>();
  private hostsReadAt = -Infinity;
  private hostsLoading: Promise<void> | undefined;

  constructor(options: DnsResolverOptions) {
    this.timeoutMs = options.timeoutMs;
    this.hostsPath = options.hostsPath ?? '/etc/hosts';
    // c-ares retries with a doubling per-try timeout: a third of the deadline, twice, fits within it.
    this.resolver = new dns.Resolver({ timeout: Math.max(Math.floor(options.timeoutMs / 3), 1), tries: 2 });
    if (options.servers && options.servers.length > 0) this.resolver.setServers([...options.servers]);
  }

  /** The addresses of `hostname` of the given family (0: both, IPv4 first), or an error with a dns code. */
  async resolve(hostname: string, family: 0 | 4 | 6 = 0): Promise<ResolvedAddress[]> {
    const name = hostname.toLowerCase().replace(/\.$/, '');
    const literal = isIP(name);
    const found =
      literal !== 0
        ? [{ address: name, family: literal as 4 | 6 }]
        : name === 'localhost' || name.endsWith('.localhost')
          ? LOOPBACK
          : ((await this.fromHosts(name)) ?? (await this.fromDns(name)));
    const wanted = found.filter((a) => family === 0 || a.family === family);
    if (wanted.length === 0)
      throw dnsError('ENOTFOUND', `${hostname} has no IPv${family || ''} address`, hostname);
    return wanted;
  }

  private async fromHosts(name: string): Promise<readonly ResolvedAddress[] | undefined> {
    if (performance.now() - this.hostsReadAt > HOSTS_REFRESH_MS) {
      this.hostsLoading ??= this.readHosts().finally(() => (this.hostsLoading = undefined));
      // The first read is waited for; later ones refresh in the background.
      if (this.hostsReadAt === -Infinity) await this.hostsLoading;
    }
    return this.hosts.get(name);
  }

  private async readHosts(): Promise<void> {
    const text = await readFile(this.hostsPath, 'utf8').catch(() => '');
    this.hosts = parseHosts(text);
    this.hostsReadAt = performance.now();
  }

  private fromDns(name: string): Promise<readonly ResolvedAddress[]> {
    const cached = this.cache.get(name);
    if (cached) return Promise.resolve(cached);
    let query = this.pending.get(name);
    if (!query) {
      query = this.query(name).finally(() => this.pending.delete(name));
      this.pending.set(name, query);
    }
    return query;
  }

  private async query(name: string): Promise<readonly ResolvedAddress[]> {
    let timer: NodeJS.Timeout | undefined;
    // c-ares keeps its own timeouts; this deadline stops waiting even if they add up to more.
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.timeoutMs);
    });
    const answers = Promise.allSettled([
      this.resolver.resolve4(name, { ttl: true }),
      this.resolver.resolve6(name, { ttl: true }),
    ]);
    const settled = await Promise.race([answers, deadline]).finally(() => clearTimeout(timer));
    if (settled === 'timeout') {
      throw dnsError('EAI_AGAIN', `DNS lookup of ${name} timed out after ${this.timeoutMs} ms`, name);
    }
    const [v4, v6] = settled;
    const records = [
      ...(v4.status === 'fulfilled' ? v4.value.map((r) => ({ ...r, family: 4 as const })) : []),
      ...(v6.status === 'fulfilled' ? v6.value.map((r) => ({ ...r, family: 6 as const })) : []),
    ];
    if (records.length === 0) {
      const failures = [v4, v6].flatMap((r) =>
        r.status === 'rejected' ? [r.reason as NodeJS.ErrnoException] : [],
      );
      const failed = failures.find((e) => !ABSENT.has(e.code ?? ''));
      if (failed) throw dnsError('EAI_AGAIN', `DNS lookup of ${name} failed (${failed.code})`, name);
      throw dnsError('ENOTFOUND', `${name} does not exist in DNS`, name);
    }
    const addresses = records.map(({ address, family }) => ({ address, family }));
    const ttlMs = Math.min(...records.map((r) => r.ttl * 1000), MAX_TTL_MS);
    if (ttlMs > 0) this.cache.set(name, addresses, { ttl: ttlMs });
    return addresses;
  }
}

/** `/etc/hosts` lines: an address, then names; `#` starts a comment. Names are case-insensitive. */
export function parseHosts(text: string): Map<string, ResolvedAddress[]> {
  const hosts = new Map<string, ResolvedAddress[]>();
  for (const line of text.split('\n')) {
    const [address, ...names] = line.replace(/#.*/, '').trim().split(/\s+/);
    const family = address ? isIP(address) : 0;
    if (family === 0) continue;
    for (const name of names) {
      const key = name.toLowerCase().replace(/\.$/, '');
      const list = hosts.get(key) ?? [];
      list.push({ address: address!, family: family as 4 | 6 });
      hosts.set(key, list);
    }
  }
  // IPv4 first, as the DNS answers are ordered.
  for (const list of hosts.values()) list.sort((a, b) => a.family - b.family);
  return hosts;
}

function dnsError(code: 'ENOTFOUND' | 'EAI_AGAIN', message: string, hostname: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code, hostname });
}
