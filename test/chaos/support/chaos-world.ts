import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Pool } from 'pg';
import { HttpClient, waitFor } from '@app/testing';
import { AppKind, AppProcess, freePort } from './app-process';
import { chaosEnv } from './chaos-env';
import { answer, Behaviour, LedgerReceiver } from './ledger-receiver';
import { LoadGenerator, LoadOptions, SendResult } from './load-generator';

/** The event types every scenario's messages use in turn; the `only-a` style endpoints filter on the first. */
export const EVENT_TYPES = ['chaos.a', 'chaos.b'];

export interface EndpointSpec {
  /** The receiver path (`/ep/<key>`), and how the scenario names it. */
  key: string;
  filterTypes?: string[];
  behaviour?: Behaviour;
}

export interface CreatedEndpoint {
  key: string;
  id: string;
  filterTypes?: string[];
}

/** One (message, endpoint) pair an accepted message must reach. */
export interface Pair {
  msgId: string;
  endpoint: string;
}

/** What a scenario writes to results.json: the figures, and the expectations it found broken. */
export interface ScenarioResult {
  name: string;
  sent: number;
  accepted: number;
  /** Accepted messages × their matching endpoints. */
  expected: number;
  /** Pairs answered 2xx by the receiver at least once. */
  delivered: number;
  /** 2xx answers beyond the first, over all pairs. */
  duplicates: number;
  lost: number;
  durationMs: number;
  failures: string[];
  notes?: Record<string, unknown>;
}

/**
 * One scenario's world: the built API and worker as child processes on their own queue prefix, a ledger
 * receiver, a tenant with an application and endpoints, a PostgreSQL pool for looking at outcomes, and the
 * figures it reports. Settings are test-sized (millisecond retries, short timeouts, a fast sweeper).
 */
export class ChaosWorld {
  readonly receiver: LedgerReceiver;
  readonly db: Pool;
  readonly processes: AppProcess[] = [];
  readonly endpoints: CreatedEndpoint[] = [];
  tenant!: { id: string; apiKey: string };
  appId!: string;
  private readonly started = Date.now();
  private readonly baseEnv: Record<string, string>;
  private readonly logDir: string;
  private apiPort?: number;

  private constructor(
    readonly name: string,
    receiver: LedgerReceiver,
    envOverrides: Record<string, string>,
  ) {
    const env = chaosEnv();
    const slug = name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '');
    this.receiver = receiver;
    this.db = new Pool({ connectionString: env.databaseUrl, max: 4 });
    // A query that fails while a scenario has PostgreSQL stopped must not crash the test process.
    this.db.on('error', () => undefined);
    this.logDir = join(env.dataDir, 'logs', slug);
    this.baseEnv = {
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      DATABASE_URL: env.databaseUrl,
      REDIS_URL: env.redisUrl,
      QUEUE_PREFIX: `{chaos-${slug}}`,
      ADMIN_TOKEN: `chaos-admin-${randomBytes(16).toString('hex')}`,
      ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      DELIVERY_ALLOWED_CIDRS: '127.0.0.0/8',
      DELIVERY_RETRY_SCHEDULE: '200ms,500ms,1s,2s,2s',
      DELIVERY_TIMEOUT_MS: '2000',
      // How long a claim holds a delivery: past it, the reconciler hands the delivery to another worker.
      DELIVERY_LEASE: '4s',
      RECONCILER_INTERVAL: '500ms',
      RECONCILER_GRACE: '1s',
      WORKER_CONCURRENCY: '20',
      LOG_LEVEL: 'info',
      ...envOverrides,
    };
  }

  static async create(name: string, envOverrides: Record<string, string> = {}): Promise<ChaosWorld> {
    return new ChaosWorld(name, await LedgerReceiver.start(), envOverrides);
  }

  get api(): AppProcess {
    const api = this.processes.find((p) => p.kind === 'api');
    if (!api) throw new Error('no API started in this scenario');
    return api;
  }

  workers(): AppProcess[] {
    return this.processes.filter((p) => p.kind === 'worker');
  }

  async startApi(): Promise<AppProcess> {
    this.apiPort ??= await freePort();
    return this.startProcess('api', 'api', { PORT: String(this.apiPort) });
  }

  async startWorker(overrides: Record<string, string> = {}): Promise<AppProcess> {
    const n = this.workers().length + 1;
    return this.startProcess('worker', `worker${n}`, {
      WORKER_HEALTH_PORT: String(await freePort()),
      ...overrides,
    });
  }

  /** A tenant, one application, the event types and the endpoints, created through the API. */
  async setup(endpoints: EndpointSpec[]): Promise<void> {
    const admin = new HttpClient(this.api.url, this.baseEnv.ADMIN_TOKEN);
    const created = await admin.post('/admin/v1/tenants', { name: this.name });
    if (created.status !== 201)
      throw new Error(`tenant create: ${created.status} ${JSON.stringify(created.body)}`);
    this.tenant = { id: created.body.id, apiKey: created.body.apiKey };
    const client = this.client();
    const app = await client.post('/api/v1/app', { name: this.name });
    if (app.status !== 201) throw new Error(`application create: ${app.status} ${JSON.stringify(app.body)}`);
    this.appId = app.body.id;
    for (const name of EVENT_TYPES) {
      const type = await client.post('/api/v1/event-type', { name, description: name });
      if (type.status !== 201)
        throw new Error(`event type create: ${type.status} ${JSON.stringify(type.body)}`);
    }
    for (const spec of endpoints) {
      const ep = await client.post(`/api/v1/app/${this.appId}/endpoint`, {
        url: this.receiver.url(spec.key),
        ...(spec.filterTypes ? { filterTypes: spec.filterTypes } : {}),
      });
      if (ep.status !== 201) throw new Error(`endpoint create: ${ep.status} ${JSON.stringify(ep.body)}`);
      const secret = await client.get(`/api/v1/app/${this.appId}/endpoint/${ep.body.id}/secret`);
      this.receiver.configure(spec.key, spec.behaviour ?? answer.ok(), secret.body.key);
      this.endpoints.push({ key: spec.key, id: ep.body.id, filterTypes: spec.filterTypes });
    }
  }

  /** The tenant's API client. */
  client(): HttpClient {
    return new HttpClient(this.api.url, this.tenant.apiKey);
  }

  /** Starts sending; the generator's `done` resolves when every message has an answer. */
  load(options: Omit<LoadOptions, 'url' | 'apiKey' | 'appId' | 'eventTypes'>): LoadGenerator {
    return new LoadGenerator({
      url: this.api.url,
      apiKey: this.tenant.apiKey,
      appId: this.appId,
      eventTypes: EVENT_TYPES,
      ...options,
    });
  }

  /** Every (message, endpoint) pair the accepted messages must reach, by the endpoints' filters. */
  pairs(accepted: SendResult[], endpoints = this.endpoints): Pair[] {
    return accepted.flatMap((r) =>
      endpoints
        .filter((e) => !e.filterTypes || e.filterTypes.includes(r.eventType))
        .map((e) => ({ msgId: r.msgId!, endpoint: e.key })),
    );
  }

  /** The pairs the receiver has not answered 2xx yet. */
  missing(pairs: Pair[]): Pair[] {
    return pairs.filter((p) => this.receiver.tally(p.endpoint, p.msgId).acked === 0);
  }

  /**
   * Waits until every pair was answered 2xx, or the deadline passes; resolves the pairs still missing
   * (empty when all arrived). A scenario records its figures either way, then asserts.
   */
  async awaitDelivery(pairs: Pair[], timeoutMs: number): Promise<Pair[]> {
    try {
      await waitFor(`${pairs.length} deliveries`, () => this.missing(pairs).length === 0, {
        timeoutMs,
        intervalMs: 100,
      });
    } catch {
      // the deadline passed: what is missing is the finding
    }
    return this.missing(pairs);
  }

  /** 2xx answers beyond the first, over the given pairs (every pair the receiver saw when omitted). */
  duplicates(pairs?: Pair[]): number {
    if (pairs)
      return pairs.reduce((n, p) => n + Math.max(0, this.receiver.tally(p.endpoint, p.msgId).acked - 1), 0);
    let n = 0;
    for (const [, , t] of this.receiver.entries()) n += Math.max(0, t.acked - 1);
    return n;
  }

  /** Accepted message ids that PostgreSQL does not have: a 2xx for something not committed. */
  async notCommitted(accepted: SendResult[]): Promise<string[]> {
    const ids = accepted.map((r) => r.msgId).filter((id): id is string => !!id);
    const { rows } = await this.db.query<{ id: string }>('SELECT id FROM messages WHERE id = ANY($1)', [ids]);
    const found = new Set(rows.map((r) => r.id));
    return ids.filter((id) => !found.has(id));
  }

  /** The delivery rows of this scenario's tenant, with how many attempt rows each has. */
  async deliveries(): Promise<
    { id: string; msgId: string; endpointId: string; status: string; attempts: number }[]
  > {
    const { rows } = await this.db.query(
      `SELECT d.id, d.message_id AS "msgId", d.endpoint_id AS "endpointId", d.status::text AS status,
              (SELECT count(*) FROM delivery_attempts a WHERE a.delivery_id = d.id)::int AS attempts
         FROM deliveries d WHERE d.tenant_id = $1`,
      [this.tenant.id],
    );
    return rows;
  }

  /**
   * Messages of this tenant that PostgreSQL committed but no caller got a 2xx for (an API died between its
   * commit and its answer, maybe before its enqueue). They must be delivered all the same.
   */
  async committedWithout2xx(accepted: SendResult[]): Promise<SendResult[]> {
    const ids = accepted.map((r) => r.msgId).filter((id): id is string => !!id);
    const { rows } = await this.db.query<{ id: string; eventType: string }>(
      'SELECT id, event_type AS "eventType" FROM messages WHERE tenant_id = $1 AND NOT (id = ANY($2))',
      [this.tenant.id, ids],
    );
    return rows.map((r) => ({ seq: -1, eventType: r.eventType, status: 0, msgId: r.id, latencyMs: 0 }));
  }

  /**
   * The standard figures and the expectations every scenario shares: nothing accepted is lost, every 2xx
   * is a committed message, the sampled signatures verify.
   */
  async figures(
    load: LoadGenerator | { sent: number; accepted: SendResult[] },
    pairs: Pair[],
    missing: Pair[],
  ) {
    const sent = load instanceof LoadGenerator ? load.issued : load.sent;
    const acceptedResults = load instanceof LoadGenerator ? load.accepted() : load.accepted;
    const accepted = acceptedResults.length;
    const failures: string[] = [];
    const uncommitted = await this.notCommitted(acceptedResults);
    if (uncommitted.length > 0) {
      failures.push(
        `${uncommitted.length} message(s) got a 2xx but are not in PostgreSQL (${uncommitted[0]}…)`,
      );
    }
    if (missing.length > 0) {
      const sample = missing.slice(0, 3).map((p) => `${p.msgId} → ${p.endpoint}`);
      failures.push(
        `${missing.length} of ${pairs.length} accepted deliveries never reached the receiver (${sample.join(', ')}…)`,
      );
    }
    if (this.receiver.badSignatures.length > 0) {
      failures.push(
        `${this.receiver.badSignatures.length} sampled signatures did not verify: ${this.receiver.badSignatures[0]}`,
      );
    }
    return {
      sent,
      accepted,
      expected: pairs.length,
      delivered: pairs.length - missing.length,
      duplicates: this.duplicates(pairs),
      lost: missing.length,
      failures,
    };
  }

  /** Appends this scenario's figures to results.json (the runner prints them as a table). */
  record(result: Omit<ScenarioResult, 'name' | 'durationMs'>): ScenarioResult {
    const full: ScenarioResult = { name: this.name, durationMs: Date.now() - this.started, ...result };
    const file = chaosEnv().resultsFile;
    const existing = existsSync(file)
      ? (JSON.parse(readFileSync(file, 'utf8')) as { scenarios: ScenarioResult[] })
      : { scenarios: [] };
    existing.scenarios = existing.scenarios.filter((s) => s.name !== this.name).concat(full);
    writeFileSync(file, `${JSON.stringify(existing, null, 2)}\n`);
    return full;
  }

  /**
   * Ends the scenario: every process killed, the receiver closed, and the tenant's unfinished deliveries
   * canceled, so that the next scenario's sweeper (it reads every tenant's deliveries) leaves them alone.
   */
  async close(): Promise<void> {
    await Promise.all(this.processes.map((p) => p.kill()));
    await this.receiver.close();
    if (this.tenant) {
      await this.db
        .query(
          `UPDATE deliveries SET status = 'canceled', next_attempt_at = NULL, lease_until = NULL
            WHERE tenant_id = $1 AND status IN ('pending', 'sending')`,
          [this.tenant.id],
        )
        .catch(() => undefined);
    }
    await this.db.end();
  }

  private async startProcess(kind: AppKind, name: string, env: Record<string, string>): Promise<AppProcess> {
    const process = new AppProcess(kind, name, { ...this.baseEnv, ...env }, this.logDir);
    this.processes.push(process);
    return process.start();
  }
}
