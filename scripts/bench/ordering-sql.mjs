// `node scripts/bench/ordering-sql.mjs`: what ordering costs PostgreSQL, without the full bench
// (docs/benchmarks.md#ordering-cost). It starts a private PostgreSQL (and the Redis startServices insists on)
// under .data/ordering-sql, ports ORDERING_SQL_PG_PORT (54337) and ORDERING_SQL_REDIS_PORT (63797), with
// pg_stat_statements loaded; resets and migrates it; and seeds with plain SQL one endpoint holding
// ORDERING_SQL_HISTORY (200000) delivered, keyed deliveries and a backlog of ORDERING_SQL_KEYS (1000) keys ×
// ORDERING_SQL_PER_KEY (50) messages in line (one head and the rest waiting per key). Then, with the very
// statements the engine runs (libs/db/src/ordering-statements.ts, transpiled on the fly):
//   1. release: ORDERING_SQL_ROUNDS (200) rounds; each claims ORDERING_SQL_BATCH (100) due heads, then, in
//      one transaction as the attempt record does, takes their lines' locks, records them delivered and
//      releases each line's next delivery (ADVANCE_LINES). Rows churn as in the engine (claim, record, release
//      are separate updates), so the line index carries the dead entries a real run leaves.
//   2. reconciler: the query for lines without a head (STALLED_LINES) ORDERING_SQL_SCANS (20) times with no
//      such line (its usual case, and its worst: nothing to stop at), then again after 5 heads are canceled
//      without a release (as an expunge leaves them), checking that it finds exactly those 5.
// For each it prints the time per call seen by the client (p50/p95/max), pg_stat_statements' mean time and
// shared buffers per call, and one EXPLAIN (ANALYZE, BUFFERS); it writes .data/ordering-sql/results.json.
// Not a test: the figures depend on the machine. Single connection, one statement at a time: about one core.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { migrate, resetState, startServices } from '../lib/services.mjs';
import { summarize } from './common.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
process.chdir(root);
const DATA_DIR = path.join(root, '.data/ordering-sql');
const num = (name, fallback) => Number(process.env[name] ?? fallback);
const cfg = {
  pgPort: num('ORDERING_SQL_PG_PORT', 54337),
  redisPort: num('ORDERING_SQL_REDIS_PORT', 63797),
  history: num('ORDERING_SQL_HISTORY', 200_000),
  keys: num('ORDERING_SQL_KEYS', 1000),
  perKey: num('ORDERING_SQL_PER_KEY', 50),
  rounds: num('ORDERING_SQL_ROUNDS', 200),
  batch: num('ORDERING_SQL_BATCH', 100),
  scans: num('ORDERING_SQL_SCANS', 20),
};
const log = (msg) => console.log(`[ordering-sql] ${msg}`);
const require = createRequire(import.meta.url);
const { Client } = require('pg');

const statements = await loadStatements();
const pgSettings = {
  shared_preload_libraries: 'pg_stat_statements',
  'pg_stat_statements.track_planning': 'on',
};
const start = () =>
  startServices({ dataDir: DATA_DIR, pgPort: cfg.pgPort, redisPort: cfg.redisPort, pgSettings, log });
let svc = await start();
let db;
let exitCode = 0;
try {
  db = await connect(svc.databaseUrl);
  // A server left running by another script keeps the settings it was started with.
  const libs = (await db.query('show shared_preload_libraries')).rows[0].shared_preload_libraries;
  if (!libs.includes('pg_stat_statements')) {
    log('restarting PostgreSQL to load pg_stat_statements');
    await db.end();
    await svc.stop();
    svc = await start();
    db = await connect(svc.databaseUrl);
  }
  await db.end();
  await resetState({ ...svc, root });
  await migrate({ root, databaseUrl: svc.databaseUrl, inherit: false });
  db = await connect(svc.databaseUrl);
  await db.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');

  const seeded = await seed();
  log(`seeded in ${seeded.seconds.toFixed(1)} s: ${seeded.rows} deliveries; ${await sizes()}`);
  const release = await measureRelease();
  log(
    `release: ${release.released} released in ${release.calls} calls; per call ${fmt(release.client)}; ` +
      `PostgreSQL ${release.pg.meanMs} ms/call, ${release.pg.msPerRow} ms and ${release.pg.buffersPerRow} ` +
      `buffers per released delivery`,
  );
  const reconciler = await measureReconciler();
  log(
    `reconciler: per call ${fmt(reconciler.client)}; PostgreSQL ${reconciler.pg.meanMs} ms/call, ` +
      `${reconciler.pg.buffersPerCall} buffers/call; found ${reconciler.found.length} of 5 stalled lines`,
  );
  const results = { at: new Date().toISOString(), cfg, seeded, release, reconciler, sizes: await sizes() };
  fs.writeFileSync(path.join(DATA_DIR, 'results.json'), JSON.stringify(results, null, 2));
  console.log('\n--- EXPLAIN (ANALYZE, BUFFERS): release of one batch ---\n' + release.plan);
  console.log('\n--- EXPLAIN (ANALYZE, BUFFERS): lines without a head ---\n' + reconciler.plan);
  log(`results in ${path.relative(root, path.join(DATA_DIR, 'results.json'))}`);
  if (reconciler.found.length !== 5) {
    log('the reconciler query did not find exactly the 5 stalled lines');
    exitCode = 1;
  }
} catch (err) {
  console.error(err);
  exitCode = 1;
} finally {
  await db?.end().catch(() => undefined);
  await svc.stop();
}
process.exit(exitCode);

/** The engine's ordering statements, from their TypeScript module (it has no imports). */
async function loadStatements() {
  const ts = require('typescript');
  const source = fs.readFileSync(path.join(root, 'libs/db/src/ordering-statements.ts'), 'utf8');
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  });
  return import(`data:text/javascript;base64,${Buffer.from(outputText).toString('base64')}`);
}

async function connect(url) {
  const c = new Client({ connectionString: url });
  c.on('error', () => undefined);
  await c.connect();
  return c;
}

function fmt(s) {
  return `p50 ${s.p50Ms} / p95 ${s.p95Ms} / max ${s.maxMs} ms`;
}

/** One tenant, application and endpoint; history and backlog rows shaped as the engine writes them. */
async function seed() {
  const started = performance.now();
  const { keys, perKey, history } = cfg;
  await db.query(`INSERT INTO tenants (id, name, updated_at) VALUES ('ten_ord', 'ordering-sql', now())`);
  await db.query(
    `INSERT INTO applications (id, tenant_id, name, updated_at) VALUES ('app_ord', 'ten_ord', 'ordering-sql', now())`,
  );
  const payload = `'{"type":"order.updated","order":"ord_' || i || '","status":"paid","amount":4200}'`;
  // Delivered history: every message keyed, out of its line long ago.
  await db.query(
    `INSERT INTO messages (id, tenant_id, application_id, event_type, payload, ordering_key, created_at)
     SELECT 'msg_h' || lpad(i::text, 12, '0'), 'ten_ord', 'app_ord', 'order.updated', ${payload},
            'key-' || (i % $1), now() - interval '1 day'
       FROM generate_series(1, $2::int) AS i`,
    [keys, history],
  );
  await db.query(
    `INSERT INTO deliveries (id, tenant_id, application_id, message_id, endpoint_id, status, attempt_count, fence,
                             ordering_key, ordering_seq, created_at, updated_at)
     SELECT 'dlv_h' || lpad(i::text, 12, '0'), 'ten_ord', 'app_ord', 'msg_h' || lpad(i::text, 12, '0'), 'ep_ord',
            'success', 1, 3, 'key-' || (i % $1), nextval('deliveries_ordering_seq'), now() - interval '1 day',
            now() - interval '1 day'
       FROM generate_series(1, $2::int) AS i`,
    [keys, history],
  );
  // The backlog: message i is the (i / keys)th of key i % keys, in accept order; the first of each key is the
  // head, due now; the others wait with no due time.
  const backlog = keys * perKey;
  await db.query(
    `INSERT INTO messages (id, tenant_id, application_id, event_type, payload, ordering_key, created_at)
     SELECT 'msg_b' || lpad(i::text, 12, '0'), 'ten_ord', 'app_ord', 'order.updated', ${payload},
            'key-' || (i % $1), now()
       FROM generate_series(0, $2::int - 1) AS i`,
    [keys, backlog],
  );
  await db.query(
    `INSERT INTO deliveries (id, tenant_id, application_id, message_id, endpoint_id, status, attempt_count,
                             next_attempt_at, ordering_key, ordering_seq, ordering_line, created_at, updated_at)
     SELECT 'dlv_b' || lpad(i::text, 12, '0'), 'ten_ord', 'app_ord', 'msg_b' || lpad(i::text, 12, '0'), 'ep_ord',
            'pending', 0, CASE WHEN i < $1 THEN now() END, 'key-' || (i % $1), nextval('deliveries_ordering_seq'),
            CASE WHEN i < $1 THEN 'head' ELSE 'waiting' END, now(), now()
       FROM generate_series(0, $2::int - 1) AS i ORDER BY i`,
    [keys, backlog],
  );
  await db.query('VACUUM ANALYZE messages, deliveries');
  return { rows: history + backlog, seconds: (performance.now() - started) / 1000 };
}

async function sizes() {
  const { rows } = await db.query(
    `SELECT c.relname, pg_size_pretty(pg_relation_size(c.oid)) AS size, s.n_dead_tup
       FROM pg_class c LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
      WHERE c.relname IN ('deliveries', 'deliveries_ordering_line_idx', 'deliveries_ordering_head_idx',
                          'deliveries_ordering_waiting_idx')
      ORDER BY c.relname`,
  );
  return rows
    .map((r) => `${r.relname} ${r.size}${r.n_dead_tup === null ? '' : ` (${r.n_dead_tup} dead)`}`)
    .join(', ');
}

/** pg_stat_statements' row of the statement whose text starts like `text`, since the last reset. */
async function pgStats(text) {
  const { rows } = await db.query(
    `SELECT calls::int, total_exec_time, mean_exec_time, rows::int, shared_blks_hit + shared_blks_read AS blks
       FROM pg_stat_statements WHERE query LIKE $1 ORDER BY calls DESC LIMIT 1`,
    [`${text.slice(0, 60).replace(/[%_\\]/g, '\\$&')}%`],
  );
  const r = rows[0];
  if (!r) return null;
  const round = (v, d = 3) => Math.round(v * 10 ** d) / 10 ** d;
  return {
    calls: r.calls,
    meanMs: round(r.mean_exec_time),
    rows: r.rows,
    msPerRow: r.rows ? round(r.total_exec_time / r.rows) : null,
    buffersPerCall: round(Number(r.blks) / r.calls, 1),
    buffersPerRow: r.rows ? round(Number(r.blks) / r.rows, 1) : null,
  };
}

/** Claims up to `batch` due heads as the worker's claim does: a separate update before the attempt. */
async function claimHeads() {
  const { rows } = await db.query(
    `UPDATE deliveries d SET status = 'sending', fence = d.fence + 1, open_claims = d.open_claims + 1,
            lease_until = now() + interval '30 seconds', updated_at = now()
       FROM (SELECT id FROM deliveries WHERE status = 'pending' AND next_attempt_at <= now()
              ORDER BY next_attempt_at, id LIMIT $1 FOR UPDATE SKIP LOCKED) due
      WHERE d.id = due.id
      RETURNING d.id, d.endpoint_id AS "endpointId", d.ordering_key AS key`,
    [cfg.batch],
  );
  return rows;
}

/** The attempt record's transaction for a batch of heads that succeeded: locks, record, release. */
async function recordAndRelease(claimed, explain = false) {
  const endpoints = claimed.map((c) => c.endpointId);
  const keys = claimed.map((c) => c.key);
  await db.query('BEGIN');
  try {
    await db.query(statements.LOCK_LINES, [endpoints, keys]);
    await db.query(
      `UPDATE deliveries SET status = 'success', attempt_count = attempt_count + 1, next_attempt_at = NULL,
              lease_until = NULL, open_claims = 0, fence = fence + 1, ordering_line = NULL, updated_at = now()
        WHERE id = ANY($1::text[]) AND status = 'sending'`,
      [claimed.map((c) => c.id)],
    );
    let result;
    if (explain) {
      const { rows } = await db.query(`EXPLAIN (ANALYZE, BUFFERS) ${statements.ADVANCE_LINES}`, [
        endpoints,
        keys,
      ]);
      result = rows.map((r) => r['QUERY PLAN']).join('\n');
    } else {
      const t0 = performance.now();
      const { rows } = await db.query({
        name: 'advance-ordering-lines',
        text: statements.ADVANCE_LINES,
        values: [endpoints, keys],
      });
      result = { ms: performance.now() - t0, released: rows.length };
    }
    await db.query('COMMIT');
    return result;
  } catch (err) {
    await db.query('ROLLBACK');
    throw err;
  }
}

async function measureRelease() {
  await db.query('SELECT pg_stat_statements_reset()');
  const times = [];
  let released = 0;
  for (let round = 0; round < cfg.rounds; round++) {
    const claimed = await claimHeads();
    if (claimed.length === 0) break;
    const r = await recordAndRelease(claimed);
    times.push(r.ms);
    released += r.released;
  }
  const pg = await pgStats(statements.ADVANCE_LINES);
  const claimed = await claimHeads();
  const plan = await recordAndRelease(claimed, true);
  return { calls: times.length, released, client: summarize(times), pg, plan };
}

async function measureReconciler() {
  const stalled = () => db.query(statements.STALLED_LINES, [0, 100]);
  // Heads in flight are sending; the reconciler sees them as live. Put them back to pending as a lost job.
  await db.query(`UPDATE deliveries SET status = 'pending', lease_until = NULL WHERE status = 'sending'`);
  await db.query('SELECT pg_stat_statements_reset()');
  const times = [];
  for (let i = 0; i < cfg.scans; i++) {
    const t0 = performance.now();
    const { rows } = await stalled();
    times.push(performance.now() - t0);
    if (rows.length !== 0) throw new Error(`${rows.length} stalled lines where every line has a head`);
  }
  const pg = await pgStats(statements.STALLED_LINES);
  // As an expunge leaves them: 5 heads canceled, their lines not released.
  await db.query(
    `UPDATE deliveries SET status = 'canceled', next_attempt_at = NULL, ordering_line = NULL, updated_at = now()
      WHERE id IN (SELECT id FROM deliveries WHERE ordering_line = 'head' ORDER BY ordering_key LIMIT 5)`,
  );
  const found = (await stalled()).rows;
  const { rows } = await db.query(`EXPLAIN (ANALYZE, BUFFERS) ${statements.STALLED_LINES}`, [0, 100]);
  return { client: summarize(times), pg, found, plan: rows.map((r) => r['QUERY PLAN']).join('\n') };
}
