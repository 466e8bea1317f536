import { Pool } from 'undici';
import { waitFor } from '@app/testing';

/** What one message create got back. */
export interface SendResult {
  seq: number;
  eventType: string;
  /** 0 when no HTTP answer came (connection refused or reset, timeout). */
  status: number;
  /** The message id, from a 2xx answer. */
  msgId?: string;
  retryAfter?: string;
  latencyMs: number;
  error?: string;
}

export interface LoadOptions {
  /** The API's base URL. */
  url: string;
  apiKey: string;
  appId: string;
  count: number;
  ratePerSecond: number;
  /** Requests in flight at most. */
  concurrency?: number;
  /** Event types, used in turn (message i gets eventTypes[i % n]). */
  eventTypes: string[];
  /** Per-message extra fields of the create body (deliverAt, say). */
  extra?: (seq: number) => Record<string, unknown>;
  timeoutMs?: number;
}

/**
 * A bounded load generator: `count` message creates at `ratePerSecond`, at most `concurrency` at a time,
 * through one undici pool. It records every answer: 2xx (accepted) and everything else, which a scenario
 * may allow (a 503 while PostgreSQL is down, a refused connection while the API restarts) but never count
 * as accepted.
 */
export class LoadGenerator {
  readonly results: SendResult[] = [];
  issued = 0;
  /** Requests sent and not answered yet. */
  inFlight = 0;
  readonly done: Promise<SendResult[]>;
  private readonly pool: Pool;

  constructor(private readonly options: LoadOptions) {
    this.pool = new Pool(options.url, { connections: options.concurrency ?? 16 });
    this.done = this.run().finally(() => this.pool.close());
  }

  accepted(): SendResult[] {
    return this.results.filter((r) => r.status >= 200 && r.status < 300);
  }

  refused(): SendResult[] {
    return this.results.filter((r) => r.status < 200 || r.status >= 300);
  }

  /** The refusals counted by what came back: "503", "500", or "no answer: <error>". */
  refusalsByKind(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const r of this.refused()) {
      const key = r.status === 0 ? `no answer: ${r.error?.slice(0, 60)}` : String(r.status);
      counts[key] = (counts[key] ?? 0) + 1;
    }
    return counts;
  }

  /** Resolves once `n` messages were accepted (for a fault that should hit mid-load). */
  waitForAccepted(n: number, timeoutMs = 60_000): Promise<boolean> {
    return waitFor(
      `${n} accepted messages (${this.accepted().length} so far)`,
      () => this.accepted().length >= n,
      {
        timeoutMs,
      },
    );
  }

  /**
   * Holds back new requests (a client backing off while the API restarts) until `resume()`; requests in
   * flight go on. The pacing picks up where it stopped.
   */
  pause(): void {
    this.paused ??= { since: Date.now(), resumed: new Promise((done) => (this.resumeNow = done)) };
  }

  resume(): void {
    this.resumeNow?.();
  }

  private paused?: { since: number; resumed: Promise<void> };
  private resumeNow?: () => void;

  private async run(): Promise<SendResult[]> {
    const { count, ratePerSecond, concurrency = 16 } = this.options;
    let started = Date.now();
    const running = new Set<Promise<void>>();
    for (let seq = 0; seq < count; seq++) {
      if (this.paused) {
        await this.paused.resumed;
        started += Date.now() - this.paused.since;
        this.paused = undefined;
      }
      // Pacing: message `seq` leaves no earlier than its slot in the rate.
      const due = started + (seq * 1000) / ratePerSecond;
      if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
      while (running.size >= concurrency) await Promise.race(running);
      this.issued++;
      this.inFlight++;
      const send = this.send(seq).then((result) => {
        this.inFlight--;
        this.results.push(result);
        running.delete(send);
      });
      running.add(send);
    }
    await Promise.all(running);
    return this.results;
  }

  private async send(seq: number): Promise<SendResult> {
    const { apiKey, appId, eventTypes, extra, timeoutMs = 10_000 } = this.options;
    const eventType = eventTypes[seq % eventTypes.length]!;
    const body = JSON.stringify({ eventType, payload: { seq, sentAt: Date.now() }, ...extra?.(seq) });
    const t0 = performance.now();
    try {
      const res = await this.pool.request({
        method: 'POST',
        path: `/api/v1/app/${appId}/msg`,
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      const text = await res.body.text();
      const retryAfter = res.headers['retry-after'];
      let msgId: string | undefined;
      if (res.statusCode >= 200 && res.statusCode < 300) msgId = (JSON.parse(text) as { id?: string }).id;
      return {
        seq,
        eventType,
        status: res.statusCode,
        msgId,
        retryAfter: typeof retryAfter === 'string' ? retryAfter : undefined,
        latencyMs: Math.round(performance.now() - t0),
        error: res.statusCode >= 300 ? text.slice(0, 200) : undefined,
      };
    } catch (error) {
      return {
        seq,
        eventType,
        status: 0,
        latencyMs: Math.round(performance.now() - t0),
        error: (error as Error).message,
      };
    }
  }
}
