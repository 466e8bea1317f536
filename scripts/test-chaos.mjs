// `npm run test:chaos [-- jest args]`: the chaos suite (test/chaos/*.chaos-spec.ts). Starts its own
// PostgreSQL and Redis under .data/chaos (ports CHAOS_PG_PORT, CHAOS_REDIS_PORT), resets them, migrates,
// builds the production build (CHAOS_BUILD=0 reuses dist/ while iterating on the tests), and runs the scenarios one at a time: each starts the built API and worker
// as child processes and kills, stops or flushes them and the servers under load. Every scenario's figures
// go to .data/chaos/results.json; a table of them is printed at the end.
// Plain Node.js, node: built-ins only (it runs before `npm install`).

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { exitCodeFor, run } from './lib/processes.mjs';
import { migrate, resetState, startServices } from './lib/services.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);

const DATA_DIR = path.join(root, '.data/chaos');
const RESULTS = path.join(DATA_DIR, 'results.json');
const BUILT = ['dist/apps/api/src/main.js', 'dist/apps/worker/src/main.js'];
const pgPort = Number(process.env.CHAOS_PG_PORT || 54332);
const redisPort = Number(process.env.CHAOS_REDIS_PORT || 63792);

const log = (msg) => console.log(`[chaos] ${msg}`);
let current = null;
let services = null;
let interrupted = false;

async function step(cmd, args, options = {}) {
  const r = await run(cmd, args, { ...options, onSpawn: (child) => (current = child) });
  current = null;
  return r;
}

async function onSignal(signal) {
  if (interrupted) return;
  interrupted = true;
  log(`${signal} received, cleaning up`);
  const child = current;
  if (child) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }
  await services?.stop().catch(() => {});
  process.exit(exitCodeFor(signal));
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => void onSignal(sig));

/** npm run build, then checks that it produced both entry points now (dist/ is never emptied by it). */
async function build() {
  const started = Date.now();
  const r = await step('npm', ['run', 'build', '--silent']);
  if (r.code !== 0) throw new Error(`npm run build failed:\n${r.output.trim()}`);
  for (const file of BUILT) {
    const stat = fs.statSync(file, { throwIfNoEntry: false });
    if (!stat || stat.mtimeMs < started - 1000) throw new Error(`npm run build did not produce ${file}`);
  }
}

function printTable() {
  let results;
  try {
    results = JSON.parse(fs.readFileSync(RESULTS, 'utf8')).scenarios;
  } catch {
    log(`no results in ${path.relative(root, RESULTS)}`);
    return;
  }
  const header = [
    'scenario',
    'result',
    'sent',
    'accepted',
    'expected',
    'delivered',
    'dup',
    'lost',
    'seconds',
  ];
  const rows = results.map((r) => [
    r.name,
    r.failures.length === 0 ? 'PASS' : 'FAIL',
    r.sent,
    r.accepted,
    r.expected,
    r.delivered,
    r.duplicates,
    r.lost,
    (r.durationMs / 1000).toFixed(1),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => String(row[i]).length)));
  const line = (cells) =>
    cells.map((c, i) => (i < 2 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  console.log(`\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const row of rows) console.log(line(row));
  for (const r of results.filter((x) => x.failures.length > 0)) {
    console.log(`\n${r.name}:\n${r.failures.map((f) => `  - ${f}`).join('\n')}`);
  }
  console.log(`\n(${path.relative(root, RESULTS)})`);
}

async function main() {
  if (!fs.existsSync(path.join(root, 'node_modules'))) {
    log('node_modules is missing: npm ci');
    if ((await step('npm', ['ci', '--no-audit', '--no-fund'], { inherit: true })).code !== 0)
      throw new Error('npm ci failed');
  }

  const t0 = Date.now();
  log(`starting PostgreSQL (port ${pgPort}) and Redis (port ${redisPort}) in .data/chaos`);
  // Unpinned ports move (100 up) when another checkout's servers hold them.
  const movablePorts = !process.env.CHAOS_PG_PORT && !process.env.CHAOS_REDIS_PORT;
  services = await startServices({ dataDir: DATA_DIR, pgPort, redisPort, movablePorts, log });
  if (interrupted) return 130;
  log('resetting the database schema and flushing Redis; prisma generate and migrate deploy');
  await resetState({ ...services, root });
  await migrate({ root, databaseUrl: services.databaseUrl, inherit: false, onSpawn: (c) => (current = c) });
  if (interrupted) return 130;
  if (process.env.CHAOS_BUILD === '0') {
    // While iterating on the scenarios themselves: the apps did not change, keep dist/ as it is.
    for (const file of BUILT)
      if (!fs.existsSync(file)) throw new Error(`CHAOS_BUILD=0 but ${file} is missing`);
    log('CHAOS_BUILD=0: using the existing build in dist/');
  } else {
    log('npm run build');
    await build();
  }
  if (interrupted) return 130;
  log(`ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  fs.rmSync(RESULTS, { force: true });
  fs.rmSync(path.join(DATA_DIR, 'logs'), { recursive: true, force: true });
  const jestArgs = ['--config', 'jest.chaos.config.mjs', '--runInBand', ...process.argv.slice(2)];
  log(`jest ${jestArgs.join(' ')}`);
  const jest = await step(process.execPath, [path.join(root, 'node_modules/jest/bin/jest.js'), ...jestArgs], {
    inherit: true,
    env: {
      ...process.env,
      DATABASE_URL: services.databaseUrl,
      REDIS_URL: services.redisUrl,
      CHAOS_DATA_DIR: DATA_DIR,
      CHAOS_PG_PORT: String(services.pgPort),
      CHAOS_REDIS_PORT: String(services.redisPort),
      CHAOS_RESULTS: RESULTS,
    },
  });
  if (interrupted) return 130;
  printTable();
  log(`suite took ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  return jest.code;
}

let exitCode;
try {
  exitCode = await main();
} catch (err) {
  const bug = err instanceof TypeError || err instanceof ReferenceError;
  if (!interrupted) console.error(`[chaos] ${bug ? err.stack : err.message}`);
  exitCode = 1;
}
if (!interrupted) {
  log('stopping PostgreSQL and Redis');
  await services?.stop().catch((err) => console.error(`[chaos] stopping services failed: ${err.message}`));
  log(`done (exit ${exitCode})`);
  process.exit(exitCode);
}
