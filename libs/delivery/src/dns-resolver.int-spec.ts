import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StubDnsServer } from '@app/testing';
import { DnsResolver, parseHosts } from './dns-resolver';

/** The resolver against a DNS server on 127.0.0.1 that the test controls; no query leaves the machine. */
describe('DnsResolver', () => {
  let dns: StubDnsServer;
  let hostsPath: string;

  beforeAll(async () => {
    dns = await StubDnsServer.start({
      'public.test': { a: ['93.184.216.34'], aaaa: ['2606:2800:220:1::1'] },
      'short.test': { a: ['93.184.216.35'], ttl: 0 },
      'v6only.test': { aaaa: ['2606:2800:220:1::2'] },
    });
    hostsPath = join(await mkdtemp(join(tmpdir(), 'hookrelay-hosts-')), 'hosts');
    await writeFile(
      hostsPath,
      '# comment\n10.1.2.3  Intranet.Example intranet  # trailing\n::1 six.example\n',
    );
  });

  afterAll(async () => {
    await dns.close();
  });

  const resolver = (timeoutMs = 2_000) => new DnsResolver({ timeoutMs, servers: [dns.address], hostsPath });
  const asked = (name: string) => dns.questions.filter((q) => q.name === name).length;

  it('resolves A and AAAA records, IPv4 first, and filters by family', async () => {
    const r = resolver();
    expect(await r.resolve('Public.Test.')).toEqual([
      { address: '93.184.216.34', family: 4 },
      { address: '2606:2800:220:1::1', family: 6 },
    ]);
    expect(await r.resolve('public.test', 6)).toEqual([{ address: '2606:2800:220:1::1', family: 6 }]);
    expect(await r.resolve('v6only.test')).toEqual([{ address: '2606:2800:220:1::2', family: 6 }]);
    await expect(r.resolve('v6only.test', 4)).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });

  it('keeps an answer for its TTL and asks again when the TTL is 0', async () => {
    const r = resolver();
    await r.resolve('public.test');
    const before = asked('public.test');
    await r.resolve('public.test');
    expect(asked('public.test')).toBe(before);
    await r.resolve('short.test');
    await r.resolve('short.test');
    expect(asked('short.test')).toBe(4); // A and AAAA, twice
  });

  it('reports a name that does not exist as ENOTFOUND', async () => {
    await expect(resolver().resolve('missing.test')).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });

  it('answers IP literals, localhost and hosts-file names without asking DNS', async () => {
    const r = resolver();
    const before = dns.questions.length;
    expect(await r.resolve('10.0.0.1')).toEqual([{ address: '10.0.0.1', family: 4 }]);
    expect(await r.resolve('localhost')).toEqual([
      { address: '127.0.0.1', family: 4 },
      { address: '::1', family: 6 },
    ]);
    expect(await r.resolve('api.LOCALHOST')).toHaveLength(2);
    expect(await r.resolve('INTRANET.example')).toEqual([{ address: '10.1.2.3', family: 4 }]);
    expect(await r.resolve('six.example')).toEqual([{ address: '::1', family: 6 }]);
    expect(dns.questions.length).toBe(before);
  });

  it('gives up at its deadline when the server never answers, without blocking the thread pool', async () => {
    dns.silent = true;
    try {
      const r = resolver(300);
      // More stuck lookups than libuv has threads (4): with dns.lookup, file reads would now queue behind them.
      const stuck = Array.from({ length: 8 }, (_, i) =>
        r.resolve(`stuck-${i}.test`).catch((e: unknown) => e),
      );
      let settled = 0;
      for (const s of stuck) void s.then(() => settled++);
      await readFile(hostsPath, 'utf8');
      expect(settled).toBe(0);
      for (const error of await Promise.all(stuck)) {
        expect(error).toMatchObject({
          code: 'EAI_AGAIN',
          message: expect.stringMatching(/timed out after 300 ms/),
        });
      }
    } finally {
      dns.silent = false;
    }
  });

  it('parses a hosts file: comments, several names, case', () => {
    const hosts = parseHosts('127.0.0.1 localhost Box\n#10.0.0.9 hidden\nnot-an-ip name\n::1 localhost\n');
    expect(hosts.get('box')).toEqual([{ address: '127.0.0.1', family: 4 }]);
    expect(hosts.get('localhost')).toHaveLength(2);
    expect(hosts.has('hidden')).toBe(false);
    expect(hosts.has('name')).toBe(false);
  });
});
