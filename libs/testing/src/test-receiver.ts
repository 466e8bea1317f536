import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { waitFor } from './wait-for';

export interface ReceivedWebhook {
  at: number;
  path: string;
  headers: IncomingHttpHeaders;
  /** The exact body bytes, as text. */
  body: string;
  /** When the reply was sent; unset while it is held (`Reply.delayMs`). */
  respondedAt?: number;
}

export interface Reply {
  status: number;
  /** Bytes as given: a Buffer can carry what is not valid UTF-8. */
  body?: string | Buffer;
  headers?: Record<string, string>;
  /** Hold the response this long (to provoke timeouts). */
  delayMs?: number;
  /** Hold the response until this settles: an event of the test, such as another request's arrival. */
  until?: Promise<unknown>;
}

/** Decides the reply to the n-th request (0-based). */
export type Responder = (request: ReceivedWebhook, index: number) => Reply;

/**
 * A real HTTP receiver on a loopback port. It records every request byte for byte and, given the
 * endpoint's secret, checks each one with the reference Standard Webhooks verifier.
 */
export class TestReceiver {
  readonly received: ReceivedWebhook[] = [];
  /** Requests received and not answered yet, and the most there ever were at once. */
  inFlight = 0;
  maxInFlight = 0;
  private server?: Server;
  private responder: Responder = () => ({ status: 204 });
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  static async start(responder?: Responder): Promise<TestReceiver> {
    const receiver = new TestReceiver();
    if (responder) receiver.respondWith(responder);
    await receiver.listen();
    return receiver;
  }

  get url(): string {
    const address = this.server?.address() as AddressInfo | undefined;
    if (!address) throw new Error('receiver is not listening');
    return `http://127.0.0.1:${address.port}/webhook`;
  }

  respondWith(responder: Responder): void {
    this.responder = responder;
  }

  /** Resolves once `count` requests have arrived (or fails with a clear message after the deadline). */
  async waitForRequests(count: number, timeoutMs = 15_000): Promise<ReceivedWebhook[]> {
    return waitFor(
      `${count} webhook(s) at ${this.url} (got ${this.received.length})`,
      () => (this.received.length >= count ? this.received.slice(0, count) : undefined),
      { timeoutMs },
    );
  }

  /** Verifies a request with the `standardwebhooks` library; throws if the signature does not check out. */
  static verify(request: ReceivedWebhook, secret: string): unknown {
    return new Webhook(secret).verify(request.body, {
      'webhook-id': String(request.headers['webhook-id']),
      'webhook-timestamp': String(request.headers['webhook-timestamp']),
      'webhook-signature': String(request.headers['webhook-signature']),
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    await new Promise<void>((resolve) => {
      if (!this.server) return resolve();
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }

  private listen(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const request: ReceivedWebhook = {
          at: Date.now(),
          path: req.url ?? '/',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        };
        const index = this.received.push(request) - 1;
        this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
        // Answered, or given up by the client (a timeout): no longer in flight.
        res.once('close', () => this.inFlight--);
        const reply = this.responder(request, index);
        const send = () => {
          if (this.closed || res.destroyed) return;
          request.respondedAt = Date.now();
          res.writeHead(reply.status, reply.headers ?? {});
          res.end(reply.body ?? '');
        };
        if (reply.until) return void reply.until.then(send, send);
        if (!reply.delayMs) return send();
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          send();
        }, reply.delayMs);
        this.timers.add(timer);
      });
    });
    return new Promise((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
  }
}
