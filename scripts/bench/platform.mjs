// What the bench does to the platform outside the measured traffic: tenants, applications and endpoints
// through the public API; counts, clean-up and pg_stat_statements in PostgreSQL; clearing the queue in Redis.
// Every statement the bench itself runs starts with /* bench */ so it can be left out of the statement stats.

import pg from 'pg';
import { redisCli } from '../lib/redis.mjs';

const CALL_TIMEOUT_MS = 15_000;

/** A JSON call to the API (cold path: fetch is fine here). */
export async function apiCall(origin, method, path, token, body) {
  const res = await fetch(`${origin}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : null;
}

/** A tenant with one application and the given endpoints; resolves ids and the tenant's API key. */
export async function provision(origin, adminToken, { name, endpoints, secret }) {
  const tenant = await apiCall(origin, 'POST', '/admin/v1/tenants', adminToken, { name });
  const app = await apiCall(origin, 'POST', '/api/v1/app', tenant.apiKey, { name });
  const made = [];
  for (const ep of endpoints) {
    made.push(
      await apiCall(origin, 'POST', `/api/v1/app/${app.id}/endpoint`, tenant.apiKey, {
        url: ep.url,
        secret,
        ...(ep.throttleRate ? { throttleRate: ep.throttleRate } : {}),
      }),
    );
  }
  return { tenantId: tenant.id, apiKey: tenant.apiKey, appId: app.id, endpoints: made };
}

/** The request the load generator repeats: POST a message of about `payloadBytes` to one application. */
export function messageTarget(tenant, payloadBytes) {
  return {
    path: `/api/v1/app/${tenant.appId}/msg`,
    token: tenant.apiKey,
    body: messageBody(payloadBytes),
  };
}

/** Like messageTarget, with the messages spread in turn over `keys` ordering keys (docs/ordering.md). */
export function orderedMessageTarget(tenant, payloadBytes, keys) {
  const payload = payloadText(payloadBytes);
  return {
    path: `/api/v1/app/${tenant.appId}/msg`,
    token: tenant.apiKey,
    bodies: Array.from(
      { length: keys },
      (_, k) => `{"eventType":"bench.event","orderingKey":"key-${k}","payload":${payload}}`,
    ),
  };
}

/** The payload text, close to `payloadBytes` long (the bytes each webhook carries). */
export function payloadText(payloadBytes) {
  const filler = Math.max(0, payloadBytes - 30);
  return JSON.stringify({ type: 'bench', data: 'x'.repeat(filler) });
}

function messageBody(payloadBytes) {
  return `{"eventType":"bench.event","payload":${payloadText(payloadBytes)}}`;
}

/** The bench's own PostgreSQL session (two connections at most, statement timeout 30 s). */
export class BenchDb {
  constructor(databaseUrl) {
    this.pool = new pg.Pool({ connectionString: databaseUrl, max: 2, statement_timeout: 30_000 });
    this.pool.on('error', () => undefined);
  }

  async query(sql, params) {
    return this.pool.query(`/* bench */ ${sql}`, params);
  }

  /** Empties the high-volume tables (between scenarios, with no worker holding a delivery). */
  async truncate() {
    const names = ['messages', 'deliveries', 'delivery_attempts', 'outbox_events', 'idempotency_keys'];
    const { rows } = await this.query(
      `select t from unnest($1::text[]) t where to_regclass('public.' || quote_ident(t)) is not null`,
      [names],
    );
    if (rows.length === 0) return;
    await this.query(`set lock_timeout = '10s'`);
    await this.query(`truncate ${rows.map((r) => `"${r.t}"`).join(', ')} cascade`);
  }

  /** Attempt rows recorded for these tenants. */
  async attempts(tenantIds) {
    const { rows } = await this.query(
      `select count(*)::int as n from delivery_attempts where tenant_id = any($1)`,
      [tenantIds],
    );
    return rows[0].n;
  }

  /**
   * Where an accepted message waits before its first attempt goes out: percentiles (ms) of the first
   * attempt's start (the worker's clock, just before the request) minus the message's creation (the API's
   * clock, as the request came in), and of the receiver's response time. Both clocks are this machine's.
   */
  async firstAttemptStages(tenantIds, since) {
    const { rows } = await this.query(
      `with firsts as (
         select distinct on (a.message_id, a.endpoint_id)
                extract(epoch from a.created_at - m.created_at) * 1000 as wait_ms, a.response_duration_ms
           from delivery_attempts a join messages m on m.id = a.message_id
          where a.tenant_id = any($1) and m.created_at >= $2
          order by a.message_id, a.endpoint_id, a.created_at)
       select percentile_cont(array[0.5, 0.95, 0.99]) within group (order by wait_ms) as wait,
              percentile_cont(array[0.5, 0.95, 0.99]) within group (order by response_duration_ms) as response
         from firsts`,
      [tenantIds, new Date(since)],
    );
    const [wait, response] = [rows[0].wait ?? [], rows[0].response ?? []];
    const ms = (v) => (v === undefined || v === null ? null : Math.round(Number(v) * 10) / 10);
    return {
      acceptToSendP50Ms: ms(wait[0]),
      acceptToSendP95Ms: ms(wait[1]),
      acceptToSendP99Ms: ms(wait[2]),
      responseP50Ms: ms(response[0]),
      responseP99Ms: ms(response[2]),
    };
  }

  /** {status: count} of the deliveries of these tenants. */
  async deliveryStatus(tenantIds) {
    const { rows } = await this.query(
      `select status::text as status, count(*)::int as n from deliveries where tenant_id = any($1) group by 1`,
      [tenantIds],
    );
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }

  async version() {
    const { rows } = await this.query(`select current_setting('server_version') as v`);
    return rows[0].v;
  }

  /** True when pg_stat_statements is loaded (shared_preload_libraries) and its view answers. */
  async enableStatementStats() {
    const { rows } = await this.query(`select current_setting('shared_preload_libraries') as libs`);
    if (!/\bpg_stat_statements\b/.test(rows[0].libs)) return false;
    await this.query(`create extension if not exists pg_stat_statements`);
    await this.query(`select pg_stat_statements_reset()`);
    return true;
  }

  async resetStatementStats() {
    await this.query(`select pg_stat_statements_reset()`);
  }

  /** The statements with the most total (planning + execution) time since the last reset. */
  async topStatements(limit) {
    const { rows } = await this.query(
      `select calls::bigint as calls, total_plan_time + total_exec_time as total_ms, total_plan_time as plan_ms,
              total_exec_time as exec_ms, rows::bigint as rows, query
         from pg_stat_statements
        where query not like '/* bench */%' and dbid = (select oid from pg_database where datname = current_database())
        order by total_plan_time + total_exec_time desc
        limit $1`,
      [limit],
    );
    return rows.map((r) => ({
      calls: Number(r.calls),
      totalMs: round(r.total_ms),
      planMs: round(r.plan_ms),
      execMs: round(r.exec_ms),
      meanMs: Number((r.total_ms / Math.max(1, Number(r.calls))).toFixed(3)),
      rows: Number(r.rows),
      query: r.query.replace(/\s+/g, ' ').slice(0, 300),
    }));
  }

  async close() {
    await this.pool.end();
  }
}

const round = (v) => Math.round(Number(v) * 10) / 10;

/**
 * Deletes every key under a queue prefix (the platform's workers must be stopped: nothing may hold a job).
 * Works on any Redis, not only the bench's own, because it touches the bench's prefix only.
 */
export async function clearQueuePrefix(redisUrl, prefix) {
  const script = `
    local keys = redis.call('keys', ARGV[1])
    for i = 1, #keys, 500 do
      redis.call('del', unpack(keys, i, math.min(i + 499, #keys)))
    end
    return #keys`;
  const reply = await redisCli(redisUrl, ['EVAL', script, '0', `${prefix}:*`], { timeoutMs: 30_000 });
  if (!/^\d+$/.test(reply)) throw new Error(`clearing ${prefix}:* in Redis failed: ${reply}`);
  return Number(reply);
}
