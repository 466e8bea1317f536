import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { waitFor } from '@app/testing';

/** One request as it reached the receiver. */
export interface Arrival {
  endpoint: string;
  webhookId: string;
  /** 1 for the first request of this webhook-id at this endpoint, 2 for the next… */
  nth: number;
  at: number;
}

/** What the receiver answers: a status with headers and body, or nothing at all (the socket stays open). */
export type Reply = { status: number; headers?: Record<string, string>; body?: string | Buffer } | 'hang';

/** How one endpoint answers each request. */
export type Behaviour = (arrival: Arrival) => Reply | Promise<Reply>;

const NUL_AND_BAD_UTF8 = Buffer.concat([
  Buffer.from('received'),
  Buffer.from([0x00, 0xff, 0xfe, 0x00]),
  Buffer.from(' \u0000 and a broken sequence '),
  Buffer.from([0xc3, 0x28, 0xe2, 0x82]),
]);

/** About 1 MB of response headers: 256 headers of 4000 bytes. */
const HEADER_BLOCK = Object.fromEntries(
  Array.from({ length: 256 }, (_, i) => [`x-padding-${i}`, 'h'.repeat(4000)]),
);

/** Ready-made behaviours. */
export const answer = {
  ok: (): Behaviour => () => ({ status: 204 }),
  /** Holds each request `ms` (a slow receiver), then answers `status`. */
  slow:
    (ms: number, status = 204): Behaviour =>
    () =>
      new Promise((done) => setTimeout(() => done({ status }), ms)),
  status:
    (status: number): Behaviour =>
    () => ({ status, body: `refused with ${status}` }),
  /** The first request of each message fails, later ones succeed: every message has a delayed retry. */
  failFirst:
    (status = 500): Behaviour =>
    (a) =>
      a.nth === 1 ? { status, body: 'try again later' } : { status: 204 },
  /** 200 with a body holding NUL bytes and invalid UTF-8 (PostgreSQL `text` refuses U+0000). */
  nulBody: (): Behaviour => () => ({
    status: 200,
    headers: { 'content-type': 'text/plain' },
    body: NUL_AND_BAD_UTF8,
  }),
  /** 200 with a ~1 MB header block (far beyond the 16 KiB HTTP clients accept). */
  hugeHeaders: (): Behaviour => () => ({ status: 200, headers: HEADER_BLOCK, body: 'ok' }),
  /** Never answers: the sender's timeout has to end it. */
  hang: (): Behaviour => () => 'hang',
};

/** Counts of one webhook-id at one endpoint. */
interface Tally {
  arrivals: number;
  /** Answered 2xx: the message reached the endpoint. */
  acked: number;
}

/**
 * The chaos suite's receiver, on 127.0.0.1: each endpoint is a path `/ep/<key>` with its own behaviour. It
 * keeps a ledger of every request's `webhook-id` per endpoint (arrivals, and how many were answered 2xx),
 * and checks the signature of every tenth request with the `standardwebhooks` library.
 */
export class LedgerReceiver {
  readonly arrivals: Arrival[] = [];
  /** Requests being answered right now (held, hanging). */
  inFlight = 0;
  verifiedSignatures = 0;
  readonly badSignatures: string[] = [];
  private readonly tallies = new Map<string, Map<string, Tally>>();
  private readonly behaviours = new Map<string, Behaviour>();
  private readonly secrets = new Map<string, string>();
  private server?: Server;

  static async start(): Promise<LedgerReceiver> {
    const receiver = new LedgerReceiver();
    await receiver.listen();
    return receiver;
  }

  url(endpoint: string): string {
    const { port } = this.server!.address() as AddressInfo;
    return `http://127.0.0.1:${port}/ep/${endpoint}`;
  }

  /** How `endpoint` answers from now on, and (for the signature sample) its `whsec_` secret. */
  configure(endpoint: string, behaviour: Behaviour, secret?: string): void {
    this.behaviours.set(endpoint, behaviour);
    if (secret) this.secrets.set(endpoint, secret);
  }

  tally(endpoint: string, webhookId: string): Tally {
    return this.tallies.get(endpoint)?.get(webhookId) ?? { arrivals: 0, acked: 0 };
  }

  /** Every (endpoint, webhook-id) seen, with its counts. */
  *entries(): Generator<[string, string, Tally]> {
    for (const [endpoint, ids] of this.tallies) for (const [id, t] of ids) yield [endpoint, id, t];
  }

  async close(): Promise<void> {
    await new Promise<void>((done) => {
      if (!this.server) return done();
      this.server.closeAllConnections();
      this.server.close(() => done());
    });
  }

  private listen(): Promise<void> {
    // A 1 MB header block is answered, not refused: the receiver's own limit is on what it reads.
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 30_000;
    return new Promise((done) => this.server!.listen(0, '127.0.0.1', done));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const endpoint = (req.url ?? '').replace(/^\/ep\//, '');
    const webhookId = String(req.headers['webhook-id'] ?? '');
    const ids = this.tallies.get(endpoint) ?? new Map<string, Tally>();
    this.tallies.set(endpoint, ids);
    const tally = ids.get(webhookId) ?? { arrivals: 0, acked: 0 };
    ids.set(webhookId, tally);
    tally.arrivals++;
    const arrival: Arrival = { endpoint, webhookId, nth: tally.arrivals, at: Date.now() };
    this.arrivals.push(arrival);
    if (this.arrivals.length % 10 === 1) this.verify(endpoint, Buffer.concat(chunks).toString('utf8'), req);

    this.inFlight++;
    res.once('close', () => this.inFlight--);
    const behaviour = this.behaviours.get(endpoint) ?? answer.ok();
    const reply = await behaviour(arrival);
    if (reply === 'hang' || res.destroyed) return;
    if (reply.status >= 200 && reply.status < 300) tally.acked++;
    res.writeHead(reply.status, reply.headers);
    res.end(reply.body);
  }

  private verify(endpoint: string, body: string, req: IncomingMessage): void {
    const secret = this.secrets.get(endpoint);
    if (!secret) return;
    try {
      new Webhook(secret).verify(body, {
        'webhook-id': String(req.headers['webhook-id']),
        'webhook-timestamp': String(req.headers['webhook-timestamp']),
        'webhook-signature': String(req.headers['webhook-signature']),
      });
      this.verifiedSignatures++;
    } catch (error) {
      this.badSignatures.push(
        `${endpoint} ${String(req.headers['webhook-id'])}: ${(error as Error).message}`,
      );
    }
  }
}

/**
 * An endpoint behaviour the scenario steers: the first `holds` requests wait until the scenario releases
 * each with the reply it chooses; later requests get `then` at once.
 */
export class Gate {
  private readonly held: { arrival: Arrival; release: (reply: Reply) => void }[] = [];

  constructor(
    private readonly holds: number,
    private readonly then: Reply = { status: 204 },
  ) {}

  readonly behaviour: Behaviour = (arrival) => {
    if (this.held.length >= this.holds) return this.then;
    return new Promise<Reply>((release) => this.held.push({ arrival, release }));
  };

  /** Resolves true once `n` requests are held, false if the deadline passes first. */
  async waitForHeld(n: number, timeoutMs: number): Promise<boolean> {
    return waitFor(`${n} held request(s)`, () => this.held.length >= n, { timeoutMs }).then(
      () => true,
      () => false,
    );
  }

  /** Answers the i-th held request (0-based). */
  release(i: number, reply: Reply): void {
    this.held[i]?.release(reply);
  }
}
