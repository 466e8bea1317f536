// `npm run bench`: the benchmark of issue 11. It starts a private PostgreSQL and Redis under .data/bench (or
// uses DATABASE_URL + REDIS_URL, with BENCH_ALLOW_RESET=1 since it wipes them), builds once, starts the
// production API and BENCH_WORKERS worker processes, a receiver and a load generator on 127.0.0.1, and runs
// the scenarios in order: ceiling, ingest, drain, sustained, saturation, fanout, noisy, throttled, ordered (see
// docs/benchmarks.md). Every scenario is bounded in messages and time; the whole run has a deadline. It prints
// progress every second, a table at the end with every delivered/s as a ratio to the bare ceiling, CPU ms per
// message per process, and writes bench/results/latest.json. Exit status 1 if a scenario did not complete
// or a signature did not verify. Not a test: the figures depend on the machine.
//
// Knobs (environment): the main ones are BENCH_SCENARIOS (all), BENCH_SECONDS (10), BENCH_CONCURRENCY (50),
// BENCH_MAX_MESSAGES (50000), BENCH_ENDPOINTS (1), BENCH_PAYLOAD_BYTES (1024), BENCH_WORKERS (1),
// WORKER_CONCURRENCY (100), BENCH_RATE (500) and the ports BENCH_PG_PORT (54331), BENCH_REDIS_PORT (63791),
// BENCH_API_PORT (18090); readConfig below has every one with its default, docs/benchmarks.md explains them.

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { now, sleep } from './bench/common.mjs';
import { CpuMeter } from './bench/cpu.mjs';
import { printReport } from './bench/report.mjs';
import { inlineHelper, spawnHelper } from './bench/rpc.mjs';
import { postgresHandle } from './lib/postgres.mjs';
import { run, runOrThrow, startProcess, stopChild, tail, waitForReady } from './lib/processes.mjs';
import { redisCli, redisFiles } from './lib/redis.mjs';
import { resetState, startServices } from './lib/services.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);
const startedAt = now();
const DATA_DIR = path.join(root, '.data/bench');
const LOG_DIR = path.join(DATA_DIR, 'logs');
const QUEUE_PREFIX = '{hrbench}';

const log = (msg) => console.log(`[bench] ${msg}`);

// The parts that need node_modules (undici, pg, standardwebhooks) load once it is there: like npm test, the
// bench installs the dependencies of a fresh clone itself.
let createLoadgen, createReceiver, BenchDb, clearQueuePrefix, scenarios;

async function loadDependencies() {
  if (!fs.existsSync(path.join(root, 'node_modules'))) {
    log('node_modules is missing: npm ci');
    const r = await run('npm', ['ci', '--no-audit', '--no-fund'], { inherit: true, timeoutMs: 600_000 });
    if (r.code !== 0) throw new Error('npm ci failed');
  }
  ({ createLoadgen } = await import('./bench/loadgen.mjs'));
  ({ createReceiver } = await import('./bench/receiver.mjs'));
  ({ BenchDb, clearQueuePrefix } = await import('./bench/platform.mjs'));
  scenarios = await import('./bench/scenarios.mjs');
}

function knob(name, fallback, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}) {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < min || value > max)
    throw new Error(`${name} must be a number from ${min} to ${max}, got "${text}"`);
  return value;
}

function readConfig() {
  const apiPort = knob('BENCH_API_PORT', 18090, { min: 1, max: 65535 });
  const selected = (process.env.BENCH_SCENARIOS || scenarios.SCENARIOS.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = selected.filter((s) => !scenarios.SCENARIOS.includes(s));
  if (unknown.length)
    throw new Error(
      `BENCH_SCENARIOS: unknown ${unknown.join(', ')} (known: ${scenarios.SCENARIOS.join(', ')})`,
    );
  const helpers = process.env.BENCH_HELPERS || 'child';
  if (!['child', 'inline'].includes(helpers)) throw new Error('BENCH_HELPERS must be child or inline');
  return {
    scenarios: scenarios.SCENARIOS.filter((s) => selected.includes(s)),
    seconds: knob('BENCH_SECONDS', 10, { min: 1, max: 600 }),
    warmupSeconds: knob('BENCH_WARMUP_SECONDS', 1, { max: 60 }),
    warmupMessages: knob('BENCH_WARMUP_MESSAGES', 500, { max: 100_000 }),
    concurrency: knob('BENCH_CONCURRENCY', 50, { min: 1, max: 2000 }),
    maxMessages: knob('BENCH_MAX_MESSAGES', 50_000, { min: 1, max: 10_000_000 }),
    endpoints: knob('BENCH_ENDPOINTS', 1, { min: 1, max: 1000 }),
    payloadBytes: knob('BENCH_PAYLOAD_BYTES', 1024, { min: 32, max: 1024 * 1024 }),
    workers: knob('BENCH_WORKERS', 1, { min: 1, max: 64 }),
    apiProcesses: knob('BENCH_API_PROCESSES', 1, { min: 1, max: 16 }),
    workerConcurrency: knob('WORKER_CONCURRENCY', 100, { min: 1, max: 1000 }),
    deliveryTimeoutMs: knob('DELIVERY_TIMEOUT_MS', 15_000, { min: 100, max: 300_000 }),
    rate: knob('BENCH_RATE', 500, { min: 1, max: 100_000 }),
    ceilingJobs: knob('BENCH_CEILING_JOBS', 20_000, { min: 1, max: 10_000_000 }),
    ceilingTimeoutS: knob('BENCH_CEILING_TIMEOUT_S', 90, { min: 1, max: 3600 }),
    ceilingRecheck: knob('BENCH_CEILING_RECHECK', 1, { min: 0, max: 1 }) === 1,
    drainTimeoutS: knob('BENCH_DRAIN_TIMEOUT_S', 120, { min: 1, max: 3600 }),
    orderedKeys: knob('BENCH_ORDERED_KEYS', 1_000, { min: 1, max: 1_000_000 }),
    orderedMessages: knob('BENCH_ORDERED_MESSAGES', 20_000, { min: 1, max: 10_000_000 }),
    fanoutEndpoints: knob('BENCH_FANOUT_ENDPOINTS', 100, { min: 1, max: 1000 }),
    fanoutMessages: knob('BENCH_FANOUT_MESSAGES', 50, { min: 1, max: 100_000 }),
    fanoutRate: knob('BENCH_FANOUT_RATE', 50, { min: 0.1, max: 10_000 }),
    fanoutSingles: knob('BENCH_FANOUT_SINGLES', 3, { min: 0, max: 100 }),
    noisyBacklog: knob('BENCH_NOISY_BACKLOG', 10_000, { min: 1, max: 1_000_000 }),
    noisyBacklogSeconds: knob('BENCH_NOISY_BACKLOG_SECONDS', 30, { min: 1, max: 600 }),
    noisyRate: knob('BENCH_NOISY_RATE', 50, { min: 0.1, max: 10_000 }),
    noisySeconds: knob('BENCH_NOISY_SECONDS', 10, { min: 1, max: 600 }),
    noisyGraceS: knob('BENCH_NOISY_GRACE_S', 10, { min: 0, max: 600 }),
    noisyTimeoutMs: knob('BENCH_NOISY_TIMEOUT_MS', 5_000, { min: 100, max: 300_000 }),
    throttleRate: knob('BENCH_THROTTLE_RATE', 10, { min: 1, max: 65_535 }),
    throttleOffered: knob('BENCH_THROTTLE_OFFERED', 50, { min: 0.1, max: 10_000 }),
    verifyEvery: knob('BENCH_VERIFY_EVERY', 50, { min: 0, max: 1_000_000 }),
    pgStats: process.env.BENCH_PG_STATS === '1',
    pgStatsTop: knob('BENCH_PG_STATS_TOP', 8, { min: 1, max: 100 }),
    helpers,
    deadlineS: knob('BENCH_DEADLINE_S', 570, { min: 30, max: 86_400 }),
    skipBuild: process.env.BENCH_SKIP_BUILD === '1',
    pgPort: knob('BENCH_PG_PORT', 54331, { min: 1, max: 65535 }),
    redisPort: knob('BENCH_REDIS_PORT', 63791, { min: 1, max: 65535 }),
    apiPort,
    workerHealthPort: knob('BENCH_WORKER_HEALTH_PORT', apiPort + 100, { min: 1, max: 65535 }),
    receiverPort: knob('BENCH_RECEIVER_PORT', 0, { max: 65535 }),
    results: process.env.BENCH_RESULTS || 'bench/results/latest.json',
    // Engine settings given to the API and workers through the environment (unset ones are defaults).
    engineEnv: Object.fromEntries(
      Object.entries(process.env)
        .filter(([name]) =>
          /^(WORKER_|DELIVERY_|ENDPOINT_|TENANT_|RECONCILER_|RATE_LIMIT_|MAX_PAYLOAD_BYTES$)/.test(name),
        )
        .sort(),
    ),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Processes the bench owns, stopped on the way out whatever happens.

const owned = { apis: [], workers: [], helpers: [], services: null, db: null };

async function cleanup() {
  await Promise.all(owned.workers.map((c) => stopChild(c, 5_000)));
  await Promise.all(owned.apis.map((c) => stopChild(c, 10_000)));
  await Promise.all(owned.helpers.map((h) => h.stop().catch(() => undefined)));
  await owned.db?.close().catch(() => undefined);
  if (owned.services) await owned.services.stop().catch((e) => log(`stopping services: ${e.message}`));
}

let interrupted = false;
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    if (interrupted) return;
    interrupted = true;
    log(`${sig}: stopping everything`);
    void cleanup().then(() => process.exit(130));
  });
}

// ---------------------------------------------------------------------------------------------------------
// Set-up

async function services(cfg) {
  const external = process.env.DATABASE_URL && process.env.REDIS_URL;
  if (external) {
    if (process.env.BENCH_ALLOW_RESET !== '1') {
      throw new Error(
        "DATABASE_URL and REDIS_URL are set: the bench drops and recreates that database's public schema and " +
          `deletes the ${QUEUE_PREFIX} keys in that Redis. Set BENCH_ALLOW_RESET=1 if that is what you want, ` +
          'or unset them to let the bench start its own PostgreSQL and Redis under .data/bench.',
      );
    }
    log('using DATABASE_URL and REDIS_URL (PostgreSQL and Redis CPU cannot be sampled: not ours)');
    return { databaseUrl: process.env.DATABASE_URL, redisUrl: process.env.REDIS_URL, external: true };
  }
  const pgSettings = cfg.pgStats
    ? { shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.track_planning': 'on' }
    : {};
  const start = () =>
    startServices({ dataDir: DATA_DIR, pgPort: cfg.pgPort, redisPort: cfg.redisPort, pgSettings, log });
  let s = await start();
  // A server left running by an interrupted run keeps the settings it was started with.
  const libs = (await psqlValue(s, 'show shared_preload_libraries')).includes('pg_stat_statements');
  if (libs !== cfg.pgStats) {
    log('restarting PostgreSQL to change shared_preload_libraries');
    await s.stop();
    s = await start();
  }
  return { ...s, external: false };
}

async function psqlValue(s, sql) {
  const r = await run(path.join(s.pgBinDir, 'psql'), ['-X', '-tAc', sql, '-d', s.databaseUrl], {
    timeoutMs: 15_000,
  });
  return r.output.trim();
}

/** Drops and recreates the schema; on our own Redis also FLUSHALL, elsewhere only the bench's keys. */
async function resetAll(svc) {
  if (!svc.external) return resetState({ ...svc, root });
  const db = new BenchDb(svc.databaseUrl);
  try {
    await db.query('drop schema if exists public cascade; create schema public;');
  } finally {
    await db.close();
  }
  await clearQueuePrefix(svc.redisUrl, QUEUE_PREFIX);
}

function pids(svc) {
  if (svc.external) return { postmaster: null, redis: null };
  const read = (file) => {
    try {
      return Number(fs.readFileSync(file, 'utf8').split('\n')[0].trim()) || null;
    } catch {
      return null;
    }
  };
  const { pgDir } = postgresHandle({ dataDir: DATA_DIR, pgPort: 0 });
  return {
    postmaster: read(path.join(pgDir, 'postmaster.pid')),
    redis: read(redisFiles(DATA_DIR).pidFile),
  };
}

async function machineInfo(svc, db) {
  const git = (args) => {
    try {
      return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return null;
    }
  };
  const cpus = os.cpus();
  let redisVersion = null;
  try {
    redisVersion =
      (await redisCli(svc.redisUrl, ['INFO', 'server'])).match(/redis_version:(\S+)/)?.[1] ?? null;
  } catch {
    /* not important */
  }
  return {
    cpus: cpus.length,
    model: cpus[0]?.model ?? null,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    commit: git(['rev-parse', '--short=12', 'HEAD']),
    dirty: (git(['status', '--porcelain', '--untracked-files=no']) ?? '') !== '',
    postgres: await db.version().catch(() => null),
    redis: redisVersion,
    loadAverageAtStart: os.loadavg().map((v) => Math.round(v * 100) / 100),
  };
}

// ---------------------------------------------------------------------------------------------------------
// The platform's worker processes

function workerManager(cfg, env) {
  let current = { key: null };

  async function stop({ force = false } = {}) {
    const list = owned.workers;
    owned.workers = [];
    current = { key: null };
    await Promise.all(
      list.map((c) => {
        if (!force) return stopChild(c, 20_000);
        const gone = new Promise((resolve) => (c.exitCode !== null ? resolve() : c.once('exit', resolve)));
        c.kill('SIGKILL');
        return gone;
      }),
    );
  }

  async function waitHealthy(child, port) {
    const deadline = now() + 60_000;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(
          `a worker stopped while starting; last lines of ${child.logFile}:\n${tail(child.logFile, 15)}`,
        );
      try {
        const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1_000) });
        if (res.status === 200) return;
      } catch {
        /* not yet */
      }
      if (now() > deadline) throw new Error(`worker on health port ${port} not up within 60 s`);
      await sleep(100);
    }
  }

  /**
   * Runs BENCH_WORKERS workers with `extra` environment, restarting them if they run with another; resolves
   * true when it started them.
   */
  async function ensure(extra) {
    const key = JSON.stringify(extra);
    const alive = owned.workers.length > 0 && owned.workers.every((c) => c.exitCode === null);
    if (alive && current.key === key) return false;
    await stop();
    const started = [];
    for (let i = 1; i <= cfg.workers; i++) {
      const port = cfg.workerHealthPort + i;
      const child = startProcess('dist/apps/worker/src/main.js', {
        // Each worker's Prometheus listener 50 ports above its health port (deferrals, attempts: for a look).
        env: { ...env, ...extra, WORKER_HEALTH_PORT: String(port), WORKER_METRICS_PORT: String(port + 50) },
        logFile: path.join(LOG_DIR, `worker-${i}.log`),
        nodeArgs: profileArgs(),
      });
      owned.workers.push(child);
      started.push(waitHealthy(child, port));
    }
    await Promise.all(started);
    current = { key };
    return true;
  }

  return { ensure, stop, pids: () => owned.workers.map((c) => c.pid) };
}

// ---------------------------------------------------------------------------------------------------------

/**
 * Node options of the API and worker processes. BENCH_CPU_PROF=1: they write V8 CPU profiles to
 * .data/bench/logs/profiles when they stop (summarise one with `node scripts/bench/profile-summary.mjs <file>`,
 * or open it in Chrome's DevTools). BENCH_NODE_ARGS adds options of its own (e.g. `--trace-gc-nvp`, or
 * `--inspect=127.0.0.1:9231` to sample allocations), which NODE_OPTIONS does not all allow.
 */
function profileArgs() {
  const extra = (process.env.BENCH_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  if (process.env.BENCH_CPU_PROF !== '1') return extra;
  return ['--cpu-prof', `--cpu-prof-dir=${path.join(LOG_DIR, 'profiles')}`, ...extra];
}

async function main() {
  await loadDependencies();
  const cfg = readConfig();
  const deadlineAt = startedAt + cfg.deadlineS * 1000;
  fs.mkdirSync(LOG_DIR, { recursive: true });
  log(
    `scenarios: ${cfg.scenarios.join(', ')}; ${cfg.apiProcesses} API process(es); ` +
      `${cfg.workers} worker process(es) × ${cfg.workerConcurrency}; ` +
      `${cfg.seconds} s windows; ${cfg.concurrency} connections; helpers: ${cfg.helpers}; deadline ${cfg.deadlineS} s`,
  );

  const svc = await services(cfg);
  owned.services = svc.external ? null : svc;
  log('resetting the database schema and the queue');
  await resetAll(svc);
  if (cfg.skipBuild && fs.existsSync('dist/apps/api/src/main.js')) {
    log('BENCH_SKIP_BUILD=1: using the existing dist/');
    await runOrThrow(process.execPath, ['scripts/prisma.mjs', 'generate'], { timeoutMs: 120_000 });
  } else {
    log('building (npm run build)…');
    const t = now();
    await runOrThrow('npm', ['run', 'build', '--silent'], { timeoutMs: 300_000 });
    log(`built in ${((now() - t) / 1000).toFixed(1)} s`);
  }
  await runOrThrow(process.execPath, ['scripts/prisma.mjs', 'migrate', 'deploy'], {
    env: { ...process.env, DATABASE_URL: svc.databaseUrl },
    timeoutMs: 120_000,
  });
  const db = new BenchDb(svc.databaseUrl);
  owned.db = db;
  const pgStats = cfg.pgStats && (await db.enableStatementStats());
  if (cfg.pgStats && !pgStats)
    log('BENCH_PG_STATS=1 but pg_stat_statements is not loaded; statement stats skipped');

  // Helpers: the receiver and the load generator, in their own processes unless BENCH_HELPERS=inline.
  const helper = (name, script, factory) =>
    cfg.helpers === 'inline'
      ? inlineHelper(name, factory())
      : spawnHelper(path.join(root, 'scripts/bench', script), {
          name,
          logFile: path.join(LOG_DIR, `${name}.log`),
        });
  const receiver = helper('receiver', 'receiver.mjs', createReceiver);
  const loadgen = helper('loadgen', 'loadgen.mjs', createLoadgen);
  owned.helpers.push(receiver, loadgen);
  const secret = `whsec_${randomBytes(32).toString('base64')}`;
  const receiverUrl = await receiver.call('listen', {
    port: cfg.receiverPort,
    secret,
    verifyEvery: cfg.verifyEvery,
  });

  const adminToken = randomBytes(24).toString('hex');
  const env = {
    ...process.env,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(cfg.apiPort),
    DATABASE_URL: svc.databaseUrl,
    REDIS_URL: svc.redisUrl,
    QUEUE_PREFIX,
    ADMIN_TOKEN: adminToken,
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    DELIVERY_ALLOWED_CIDRS: '127.0.0.0/8',
    DELIVERY_TIMEOUT_MS: String(cfg.deliveryTimeoutMs),
    LOG_LEVEL: process.env.LOG_LEVEL || 'warn',
    WORKER_CONCURRENCY: String(cfg.workerConcurrency),
    // The bench measures capacity from one tenant: the per-tenant request limit (1000/s by default) would
    // measure the limit instead. Set RATE_LIMIT_PER_SECOND to bench with one (it is then in engineEnv).
    RATE_LIMIT_PER_SECOND: process.env.RATE_LIMIT_PER_SECOND || '0',
  };
  // BENCH_API_PROCESSES > 1: more API processes on the next ports; the load generator spreads its requests
  // over them (undici's BalancedPool), as a load balancer would. Set-up calls go to the first.
  const origins = Array.from({ length: cfg.apiProcesses }, (_, i) => `http://127.0.0.1:${cfg.apiPort + i}`);
  const origin = origins[0];
  owned.apis = origins.map((_, i) =>
    startProcess('dist/apps/api/src/main.js', {
      env: { ...env, PORT: String(cfg.apiPort + i) },
      logFile: path.join(LOG_DIR, i === 0 ? 'api.log' : `api-${i + 1}.log`),
      append: false,
      nodeArgs: profileArgs(),
    }),
  );
  await Promise.all(origins.map((o, i) => waitForReady(o, { timeoutMs: 60_000, children: [owned.apis[i]] })));

  const workers = workerManager(cfg, env);
  const ceilingProcs = [];
  const { postmaster, redis } = pids(svc);
  const self = cfg.helpers === 'inline' ? 'bench (orchestrator+receiver+loadgen)' : 'orchestrator';
  const cpu = new CpuMeter(() => ({
    api: owned.apis.map((c) => c.pid),
    ...Object.fromEntries(workers.pids().map((pid, i) => [`worker-${i + 1}`, [pid]])),
    ...Object.fromEntries(ceilingProcs.map((h, i) => [`ceiling-worker-${i + 1}`, [h.pid]])),
    postgres: postmaster ? { tree: postmaster } : [],
    redis: redis ? [redis] : [],
    ...(cfg.helpers === 'child' ? { receiver: [receiver.pid], loadgen: [loadgen.pid] } : {}),
    [self]: [process.pid],
  }));
  cpu.sample();

  const machine = await machineInfo(svc, db);
  log(
    `machine: ${machine.cpus} × ${machine.model}, Node ${machine.node}, PostgreSQL ${machine.postgres}, ` +
      `Redis ${machine.redis}, commit ${machine.commit}${machine.dirty ? ' (dirty)' : ''}, load ${machine.loadAverageAtStart.join(' ')}`,
  );

  const ctx = {
    cfg,
    log,
    origin,
    origins,
    adminToken,
    receiverUrl,
    secret,
    receiver,
    loadgen,
    db,
    redisUrl: svc.redisUrl,
    workers,
    cpu,
    ceilingPerSec: null,
    backlog: null,
    /** The results so far, for scenarios that compare with an earlier one (ordered with drain). */
    results: null,
    dirty: false,
    budgetMs: (ms) => Math.max(1_000, Math.min(ms, deadlineAt - now() - 20_000)),
    /** `n` bare-ceiling processes; those named ceiling-worker-<i> are sampled for CPU. */
    spawnCeilingWorkers(n, name = 'ceiling-worker') {
      const made = [];
      for (let i = 1; i <= n; i++) {
        const h = spawnHelper(path.join(root, 'scripts/bench/ceiling-worker.mjs'), {
          name: `${name}-${i}`,
          logFile: path.join(LOG_DIR, `${name}-${i}.log`),
        });
        made.push(h);
        owned.helpers.push(h);
      }
      if (name === 'ceiling-worker') ceilingProcs.splice(0, ceilingProcs.length, ...made);
      return made;
    },
    track(label, line) {
      let busy = false;
      let from = cpu.window();
      const t0 = now();
      const timer = setInterval(() => {
        if (busy) return;
        busy = true;
        const use = cpu.read(from);
        from = cpu.window();
        line()
          .then((text) => {
            const busyCores =
              use.machineBusyMs === null
                ? ''
                : `  cpu ${Math.round((use.machineBusyMs / use.wallMs) * 100)}%`;
            const foreign =
              use.foreignMs === null ? '' : ` (others ${Math.round((use.foreignMs / use.wallMs) * 100)}%)`;
            log(
              `${label.padEnd(10)} ${((now() - t0) / 1000).toFixed(1).padStart(5)} s  ${text}${busyCores}${foreign}`,
            );
          })
          .catch(() => undefined)
          .finally(() => (busy = false));
      }, 1_000);
      return () => clearInterval(timer);
    },
  };

  const results = {};
  ctx.results = results;
  for (let k = 0; k < cfg.scenarios.length; k++) {
    const name = cfg.scenarios[k];
    const next = cfg.scenarios[k + 1];
    if (deadlineAt - now() < 30_000) {
      results[name] = { status: 'skipped', reason: `out of time (BENCH_DEADLINE_S=${cfg.deadlineS})` };
      log(`${name}: skipped, out of time`);
      continue;
    }
    const stoppedApi = owned.apis.find((c) => c.exitCode !== null || c.signalCode !== null);
    if (stoppedApi) {
      results[name] = { status: 'failed', reason: `an API process has stopped; see ${stoppedApi.logFile}` };
      continue;
    }
    log(`── ${name} ──`);
    await receiver.call('reset');
    await Promise.all([receiver.call('loopDelay'), loadgen.call('loopDelay')]);
    if (pgStats) await db.resetStatementStats();
    const t = now();
    try {
      results[name] = await scenarios[name](ctx);
    } catch (err) {
      results[name] = { status: 'failed', reason: err.message };
      ctx.dirty = true;
    }
    results[name].wallSeconds = Math.round((now() - t) / 100) / 10;
    // The same webhook-id twice on one path: a retry or a repeated job (each counts once above).
    results[name].repeatedDeliveries = (await receiver.call('progress')).duplicates;
    // Did the receiver and the load generator keep up? (Late loops stamp late times.)
    results[name].helperLoopDelay = {
      receiver: await receiver.call('loopDelay'),
      loadgen: await loadgen.call('loopDelay'),
    };
    if (pgStats) results[name].pgStatements = await db.topStatements(cfg.pgStatsTop).catch(() => null);
    log(
      `${name}: ${results[name].status}${results[name].reason ? ` (${results[name].reason})` : ''} in ${results[name].wallSeconds} s`,
    );

    // Clean state for the next scenario; the ingest's backlog is the drain's input.
    if (name === 'ingest' && next === 'drain' && results[name].status === 'ok') continue;
    ctx.backlog = null;
    if (ctx.dirty || results[name].status !== 'ok' || name === 'ingest') {
      await workers.stop({ force: true });
      await receiver.call('releaseHangs');
      await clearQueuePrefix(svc.redisUrl, QUEUE_PREFIX);
      ctx.dirty = false;
    }
    await db.truncate();
  }

  const signatures = await receiver.call('progress');
  const report = printReport({ cfg, machine, results, signatures, startedAt, log });
  const file = path.resolve(root, cfg.results);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  log(`wrote ${path.relative(root, file)} (${report.durationSeconds} s in all)`);
  return report.complete ? 0 : 1;
}

let code;
try {
  code = await main();
} catch (err) {
  // After Ctrl-C the helpers are stopped under the running scenario: its error says nothing new.
  if (!interrupted)
    console.error(
      `[bench] ${err instanceof TypeError || err instanceof ReferenceError ? err.stack : err.message}`,
    );
  code = 1;
}
if (!interrupted) {
  await cleanup();
  process.exit(code);
}
