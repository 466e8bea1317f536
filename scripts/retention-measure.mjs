// `node scripts/retention-measure.mjs`: how retention behaves on a big table (docs/operations.md#retention).
// It starts a private PostgreSQL and Redis under .data/retention (ports RETENTION_PG_PORT, default 54334, and
// RETENTION_REDIS_PORT, default 63794), resets and migrates them, builds the apps when their sources changed,
// starts the production API, and seeds with generate_series one tenant whose table holds RETENTION_OLD
// (250000) messages 40 days old, one delivery each and RETENTION_ATTEMPTS_PER (4) attempts per delivery (a
// million attempts), plus RETENTION_YOUNG (50000) messages of yesterday with theirs, which must stay. Then:
//   1. baseline: RETENTION_LOAD_SECONDS (10) of GET /api/v1/app/{app}/msg?limit=20 from RETENTION_CONCURRENCY (4)
//      clients (undici), the worker not running;
//   2. retention: the production worker with its default batch settings (or RETENTION_BATCH_SIZE,
//      RETENTION_MAX_BATCHES) until the old rows are gone, the same load running all along.
// It prints per-tick and per-batch times, rows deleted per second, and the API's latency percentiles in both
// phases, checks that the young rows are all there, and writes .data/retention/results.json. Not a test: the
// figures depend on the machine. Ports for the API: RETENTION_API_PORT (18590).

import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { newestMtime, run, startProcess, stopChild, waitForReady } from './lib/processes.mjs';
import { migrate, resetState, startServices } from './lib/services.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);
const DATA_DIR = path.join(root, '.data/retention');
const LOG_DIR = path.join(DATA_DIR, 'logs');
const env = process.env;
const num = (name, fallback) => Number(env[name] ?? fallback);
const cfg = {
  pgPort: num('RETENTION_PG_PORT', 54334),
  redisPort: num('RETENTION_REDIS_PORT', 63794),
  apiPort: num('RETENTION_API_PORT', 18590),
  old: num('RETENTION_OLD', 250_000),
  young: num('RETENTION_YOUNG', 50_000),
  attemptsPer: num('RETENTION_ATTEMPTS_PER', 4),
  loadSeconds: num('RETENTION_LOAD_SECONDS', 10),
  concurrency: num('RETENTION_CONCURRENCY', 4),
};
const log = (msg) => console.log(`[retention] ${msg}`);

const { Client } = (await import('pg')).default;
const { Pool } = await import('undici');
const { encodeTime } = await import('ulid');

const svc = await startServices({ dataDir: DATA_DIR, pgPort: cfg.pgPort, redisPort: cfg.redisPort, log });
const children = [];
let exitCode = 0;
let db;
try {
  await resetState({ ...svc, root });
  await migrate({ root, databaseUrl: svc.databaseUrl, inherit: false });
  await buildIfStale();
  const appEnv = {
    ...env,
    NODE_ENV: 'production',
    DATABASE_URL: svc.databaseUrl,
    REDIS_URL: svc.redisUrl,
    QUEUE_PREFIX: '{hrretention}',
    ADMIN_TOKEN: randomBytes(24).toString('hex'),
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    PORT: String(cfg.apiPort),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
  };
  const origin = `http://127.0.0.1:${cfg.apiPort}`;
  const api = startProcess('dist/apps/api/src/main.js', {
    env: appEnv,
    logFile: path.join(LOG_DIR, 'api.log'),
    append: false,
  });
  children.push(api);
  await waitForReady(origin, { timeoutMs: 60_000, children: [api] });

  const place = await createPlace(origin, appEnv.ADMIN_TOKEN);
  db = new Client({ connectionString: svc.databaseUrl });
  db.on('error', () => undefined);
  await db.connect();
  const seeded = await seed(db, place);
  log(
    `seeded ${seeded.oldMessages} old messages with ${seeded.oldAttempts} attempts, ${cfg.young} young ones ` +
      `(${seeded.seconds.toFixed(1)} s); table sizes: ${await tableSizes(db)}`,
  );

  const http = new Pool(origin, { connections: cfg.concurrency });
  const listPath = `/api/v1/app/${place.appId}/msg?limit=20`;
  const headers = { authorization: `Bearer ${place.apiKey}` };

  log(`baseline: ${cfg.loadSeconds} s of GET ${listPath} x ${cfg.concurrency}, no worker`);
  const baseline = await load(http, listPath, headers, () => false, cfg.loadSeconds * 1000);

  log('retention: starting the worker (its retention loop starts at once)');
  const worker = startProcess('dist/apps/worker/src/main.js', {
    env: appEnv,
    logFile: path.join(LOG_DIR, 'worker.log'),
    append: false,
  });
  children.push(worker);
  const startedAt = performance.now();
  let remaining = Infinity;
  // Any message id below the floor of 30 days ago left? (a primary-key probe, not a scan)
  const horizon = `msg_${encodeTime(Date.now() - 30 * 86_400_000, 10)}`;
  const watcher = (async () => {
    while (remaining > 0) {
      if (worker.exitCode !== null) throw new Error(`the worker stopped; see ${worker.logFile}`);
      const probe = await db.query('SELECT EXISTS (SELECT 1 FROM messages WHERE id < $1) AS left', [horizon]);
      remaining = probe.rows[0].left ? 1 : 0;
      if (performance.now() - startedAt > 600_000)
        throw new Error('retention did not finish within 10 minutes');
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  })();
  const during = await load(http, listPath, headers, () => remaining === 0, 600_000);
  await watcher;
  const wallSeconds = (performance.now() - startedAt) / 1000;
  await http.close();

  const ticks = fs
    .readFileSync(worker.logFile, 'utf8')
    .split('\n')
    .filter((line) => line.includes('retention deleted expired messages'))
    .map((line) => JSON.parse(line));
  const deleted = ticks.reduce(
    (sum, t) => ({
      messages: sum.messages + t.messages,
      deliveries: sum.deliveries + t.deliveries,
      attempts: sum.attempts + t.attempts,
      batches: sum.batches + t.batches,
      ms: sum.ms + t.elapsedMs,
    }),
    { messages: 0, deliveries: 0, attempts: 0, batches: 0, ms: 0 },
  );
  const rows = deleted.messages + deliveriesAndAttempts(deleted);
  const kept = Number((await db.query('SELECT count(*) AS n FROM messages')).rows[0].n);
  const keptAttempts = Number((await db.query('SELECT count(*) AS n FROM delivery_attempts')).rows[0].n);
  await db.end();
  db = undefined;

  const result = {
    seeded: { ...seeded, young: cfg.young },
    retention: {
      ticks: ticks.length,
      batches: deleted.batches,
      batchSize: ticks[0]?.batches ? Math.ceil(deleted.messages / deleted.batches) : 0,
      deleted: { messages: deleted.messages, deliveries: deleted.deliveries, attempts: deleted.attempts },
      msPerBatchMean: round(deleted.ms / Math.max(1, deleted.batches)),
      msPerBatchSlowest: Math.max(0, ...ticks.map((t) => t.slowestBatchMs)),
      rowsPerSecondWhileDeleting: Math.round(rows / (deleted.ms / 1000)),
      rowsPerSecondWall: Math.round(rows / wallSeconds),
      wallSeconds: round(wallSeconds),
    },
    api: { route: 'GET /api/v1/app/{app}/msg?limit=20', concurrency: cfg.concurrency, baseline, during },
    keptAfter: { messages: kept, attempts: keptAttempts },
  };
  fs.writeFileSync(path.join(DATA_DIR, 'results.json'), JSON.stringify(result, null, 2));
  console.log(JSON.stringify(result, null, 2));
  if (kept !== cfg.young || keptAttempts !== cfg.young * cfg.attemptsPer) {
    log(`FAILED: expected ${cfg.young} young messages and their attempts to stay`);
    exitCode = 1;
  }
} catch (error) {
  log(`failed: ${error instanceof Error ? error.stack : String(error)}`);
  exitCode = 1;
} finally {
  await db?.end().catch(() => undefined);
  await Promise.all(children.map((c) => stopChild(c)));
  await svc.stop();
}
process.exit(exitCode);

function deliveriesAndAttempts(d) {
  return d.deliveries + d.attempts;
}

function round(n) {
  return Math.round(n * 10) / 10;
}

async function buildIfStale() {
  const built = path.join(root, 'dist/apps/worker/src/main.js');
  const builtAt = fs.existsSync(built) ? fs.statSync(built).mtimeMs : 0;
  if (newestMtime(['apps', 'libs', 'tsconfig.json'].map((p) => path.join(root, p))) <= builtAt) return;
  log('building the apps (nest build)');
  const r = await run(
    process.execPath,
    [path.join(root, 'node_modules/@nestjs/cli/bin/nest.js'), 'build', 'api'],
    {
      timeoutMs: 300_000,
    },
  );
  if (r.code !== 0) throw new Error(`nest build failed:\n${r.output}`);
}

/** A tenant, its key, one application and one endpoint, through the admin and tenant API. */
async function createPlace(origin, adminToken) {
  const call = async (token, method, url, body) => {
    const res = await fetch(origin + url, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  const tenant = await call(adminToken, 'POST', '/admin/v1/tenants', { name: 'retention' });
  const app = await call(tenant.apiKey, 'POST', '/api/v1/app', { name: 'retention' });
  const endpoint = await call(tenant.apiKey, 'POST', `/api/v1/app/${app.id}/endpoint`, {
    url: 'https://receiver.example/hook',
  });
  return { tenantId: tenant.id, apiKey: tenant.apiKey, appId: app.id, endpointId: endpoint.id };
}

/**
 * generate_series rows shaped as the engine writes them. Ids are `<prefix>_<10 chars of ULID time><16 digits>`:
 * time-ordered like real ones, old ones 40 days back, young ones 1 day back.
 */
async function seed(db, p) {
  const started = performance.now();
  const per = cfg.attemptsPer;
  const batches = [
    { count: cfg.old, ageDays: 40 },
    { count: cfg.young, ageDays: 1 },
  ];
  for (const { count, ageDays } of batches) {
    const at = Date.now() - ageDays * 86_400_000;
    const time = encodeTime(at, 10);
    await db.query(
      `INSERT INTO messages (id, tenant_id, application_id, event_type, payload, created_at)
       SELECT 'msg_' || $3 || lpad(i::text, 16, '0'), $1, $2, 'invoice.paid',
              '{"id":"in_' || i || '","amount":4200,"currency":"eur","customer":"cus_' || (i % 1000) ||
              '","lines":[{"sku":"plan-pro","qty":1}],"note":"seeded for the retention measurement"}',
              $4::timestamptz + make_interval(secs => i / 1000.0)
         FROM generate_series(1, $5::int) AS i`,
      [p.tenantId, p.appId, time, new Date(at), count],
    );
    await db.query(
      `INSERT INTO deliveries (id, tenant_id, application_id, message_id, endpoint_id, status, attempt_count,
                               created_at, updated_at)
       SELECT 'dlv_' || $4 || lpad(i::text, 16, '0'), $1, $2, 'msg_' || $4 || lpad(i::text, 16, '0'), $3,
              'success', ${per}, $5::timestamptz, $5::timestamptz + make_interval(secs => 1)
         FROM generate_series(1, $6::int) AS i`,
      [p.tenantId, p.appId, p.endpointId, time, new Date(at), count],
    );
    await db.query(
      `INSERT INTO delivery_attempts (id, tenant_id, delivery_id, message_id, endpoint_id, url,
                                      response_status_code, response, response_duration_ms, status, trigger,
                                      created_at)
       SELECT 'atmpt_' || $3 || lpad((i * ${per} + j)::text, 16, '0'), $1,
              'dlv_' || $3 || lpad(i::text, 16, '0'), 'msg_' || $3 || lpad(i::text, 16, '0'), $2,
              'https://receiver.example/hook', CASE WHEN j = ${per - 1} THEN 200 ELSE 503 END,
              CASE WHEN j = ${per - 1} THEN 'ok' ELSE 'upstream unavailable, try again later' END, 42,
              CASE WHEN j = ${per - 1} THEN 'success'::delivery_status ELSE 'fail'::delivery_status END,
              'scheduled', $4::timestamptz
         FROM generate_series(1, $5::int) AS i, generate_series(0, ${per - 1}) AS j`,
      [p.tenantId, p.endpointId, time, new Date(at), count],
    );
  }
  await db.query('VACUUM ANALYZE messages, deliveries, delivery_attempts');
  return { oldMessages: cfg.old, oldAttempts: cfg.old * per, seconds: (performance.now() - started) / 1000 };
}

async function tableSizes(db) {
  const { rows } = await db.query(
    `SELECT relname, pg_size_pretty(pg_total_relation_size(oid)) AS size FROM pg_class
      WHERE relname IN ('messages', 'deliveries', 'delivery_attempts') ORDER BY relname`,
  );
  return rows.map((r) => `${r.relname} ${r.size}`).join(', ');
}

/** Closed-loop load: `concurrency` clients, each sending the next request when the last one answered. */
async function load(pool, url, headers, done, maxMs) {
  const latencies = [];
  let errors = 0;
  const until = performance.now() + maxMs;
  const client = async () => {
    while (performance.now() < until && !done()) {
      const t0 = performance.now();
      try {
        const res = await pool.request({ method: 'GET', path: url, headers });
        await res.body.dump();
        if (res.statusCode !== 200) errors++;
      } catch {
        errors++;
      }
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: cfg.concurrency }, client));
  latencies.sort((a, b) => a - b);
  const pct = (q) => round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0);
  return {
    requests: latencies.length,
    errors,
    p50Ms: pct(0.5),
    p95Ms: pct(0.95),
    p99Ms: pct(0.99),
    maxMs: round(latencies[latencies.length - 1] ?? 0),
  };
}
