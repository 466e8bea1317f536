import { createSocket, RemoteInfo, Socket } from 'node:dgram';
import ipaddr from 'ipaddr.js';

export interface StubRecords {
  a?: string[];
  aaaa?: string[];
  /** Seconds; default 60. */
  ttl?: number;
}

const TYPE_A = 1;
const TYPE_AAAA = 28;

/**
 * A DNS server on 127.0.0.1 (UDP) for tests: answers A/AAAA questions from a table, NXDOMAIN for other
 * names, or, when `silent`, nothing at all (a server that never answers). Counts the questions it got.
 */
export class StubDnsServer {
  readonly questions: { name: string; type: number }[] = [];
  silent = false;
  private readonly socket: Socket = createSocket('udp4');

  private constructor(private readonly records: Record<string, StubRecords>) {}

  static async start(records: Record<string, StubRecords> = {}): Promise<StubDnsServer> {
    const server = new StubDnsServer(records);
    server.socket.on('message', (message, peer) => server.answer(message, peer));
    await new Promise<void>((resolve) => server.socket.bind(0, '127.0.0.1', resolve));
    return server;
  }

  /** `127.0.0.1:<port>`, as DELIVERY_DNS_SERVERS takes it. */
  get address(): string {
    return `127.0.0.1:${this.socket.address().port}`;
  }

  /** Answers `name` from now on with these records (a DNS rebinding, when the answer changes to a private one). */
  set(name: string, records: StubRecords): void {
    this.records[name.toLowerCase()] = records;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }

  private answer(query: Buffer, peer: RemoteInfo): void {
    // Header (12 bytes), then the question: length-prefixed labels, a zero, type and class.
    const labels: string[] = [];
    let offset = 12;
    while (query[offset]! > 0) {
      labels.push(query.subarray(offset + 1, offset + 1 + query[offset]!).toString('ascii'));
      offset += query[offset]! + 1;
    }
    const questionEnd = offset + 5;
    const type = query.readUInt16BE(offset + 1);
    const name = labels.join('.').toLowerCase();
    this.questions.push({ name, type });
    if (this.silent) return;
    const entry = this.records[name];
    const addresses = (type === TYPE_A ? entry?.a : type === TYPE_AAAA ? entry?.aaaa : undefined) ?? [];
    const header = Buffer.alloc(12);
    query.copy(header, 0, 0, 2);
    header.writeUInt16BE(entry ? 0x8180 : 0x8183, 2); // response, recursion available; NXDOMAIN if unknown
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(addresses.length, 6);
    const answers = addresses.map((address) => {
      const rdata = Buffer.from(ipaddr.parse(address).toByteArray());
      const record = Buffer.alloc(12);
      record.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
      record.writeUInt16BE(type, 2);
      record.writeUInt16BE(1, 4); // class IN
      record.writeUInt32BE(entry?.ttl ?? 60, 6);
      record.writeUInt16BE(rdata.length, 10);
      return Buffer.concat([record, rdata]);
    });
    this.socket.send(
      Buffer.concat([header, query.subarray(12, questionEnd), ...answers]),
      peer.port,
      peer.address,
    );
  }
}
