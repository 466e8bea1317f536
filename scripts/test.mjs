// `npm test [-- jest args]`: installs dependencies if needed, starts a private PostgreSQL and Redis under
// .data/test (or uses TEST_DATABASE_URL + TEST_REDIS_URL), resets them, applies the Prisma migrations and runs jest.
// Plain Node.js, node: built-ins only (it runs before `npm install`).

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findPgBinDir, redisCommand, startServices, which } from './lib/services.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);

const log = (msg) => console.log(`[test] ${msg}`);
const jestArgs = process.argv.slice(2);

let current = null; // the child process running now
let services = null;
let starting = null;
let interrupted = false;

/** Runs a command with inherited stdio; resolves with its exit code (128+n if killed by a signal). */
function run(cmd, args, { env = process.env, input } = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      env,
      stdio: [input === undefined ? 'inherit' : 'pipe', 'inherit', 'inherit'],
    });
    current = child;
    if (input !== undefined) child.stdin.end(input);
    child.once('error', (err) => {
      console.error(`[test] could not run ${cmd}: ${err.message}`);
      current = null;
      resolve(127);
    });
    child.once('exit', (code, signal) => {
      current = null;
      resolve(code ?? (signal === 'SIGINT' ? 130 : signal === 'SIGTERM' ? 143 : 1));
    });
  });
}

async function stopServices() {
  const s = services ?? (starting ? await starting.catch(() => null) : null);
  services = null;
  if (s) {
    log('stopping PostgreSQL and Redis');
    await s.stop().catch((err) => console.error(`[test] stopping services failed: ${err.message}`));
  }
}

async function onSignal(signal) {
  if (interrupted) return;
  interrupted = true;
  log(`${signal} received, cleaning up`);
  // Forward it (Ctrl-C from a terminal has reached the child already; a second SIGINT is harmless).
  if (current) current.kill(signal);
  if (current) await new Promise((resolve) => current?.once('exit', resolve) ?? resolve());
  await stopServices();
  process.exit(signal === 'SIGINT' ? 130 : signal === 'SIGTERM' ? 143 : 129);
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => void onSignal(sig));

function fail(msg) {
  throw Object.assign(new Error(msg), { exitCode: 1 });
}

async function main() {
  // (a) dependencies
  if (!fs.existsSync(path.join(root, 'node_modules'))) {
    const lock = fs.existsSync(path.join(root, 'package-lock.json'));
    const args = lock ? ['ci', '--no-audit', '--no-fund'] : ['install', '--no-audit', '--no-fund'];
    log(`node_modules is missing: npm ${args.join(' ')}`);
    if ((await run('npm', args)) !== 0) fail('npm install failed');
  }

  // (b) services
  let databaseUrl = process.env.TEST_DATABASE_URL;
  let redisUrl = process.env.TEST_REDIS_URL;
  let pgBinDir = null;
  if (databaseUrl && redisUrl) {
    log(`using TEST_DATABASE_URL and TEST_REDIS_URL`);
  } else {
    const t0 = Date.now();
    // TEST_PG_PORT / TEST_REDIS_PORT let two checkouts run their suites side by side.
    const pgPort = Number(process.env.TEST_PG_PORT || 54330);
    const redisPort = Number(process.env.TEST_REDIS_PORT || 63790);
    log(`starting PostgreSQL (port ${pgPort}) and Redis (port ${redisPort}) in .data/test`);
    starting = startServices({
      dataDir: path.join(root, '.data/test'),
      pgPort,
      redisPort,
      log,
    });
    services = await starting;
    if (interrupted) return 130;
    ({ databaseUrl, redisUrl, pgBinDir } = services);
    log(`services ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }

  // (c) clean state
  log('resetting the database schema and flushing Redis');
  const resetSql = 'DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;';
  const binDir = pgBinDir ?? findPgBinDir();
  const psql = binDir ? path.join(binDir, 'psql') : which('psql');
  let code;
  if (psql) {
    code = await run(psql, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', databaseUrl, '-c', resetSql], {
      env: { ...process.env, PGCONNECT_TIMEOUT: '10', PGOPTIONS: '-c client_min_messages=warning' },
    });
  } else {
    code = await run(process.execPath, ['scripts/prisma.mjs', 'db', 'execute', '--stdin'], {
      env: { ...process.env, DATABASE_URL: databaseUrl },
      input: resetSql,
    });
  }
  if (code !== 0) fail('could not reset the test database schema');
  const flushed = await redisCommand(redisUrl, 'FLUSHALL');
  if (flushed !== '+OK') fail(`Redis FLUSHALL failed: ${flushed}`);
  if (interrupted) return 130;

  // (d) Prisma client and migrations
  const hasPrisma = ['prisma/schema.prisma', 'prisma/schema', 'prisma.config.ts'].some((p) =>
    fs.existsSync(path.join(root, p)),
  );
  if (hasPrisma) {
    const env = { ...process.env, DATABASE_URL: databaseUrl };
    log('prisma generate');
    if ((await run(process.execPath, ['scripts/prisma.mjs', 'generate'], { env })) !== 0)
      fail('prisma generate failed');
    if (interrupted) return 130;
    log('prisma migrate deploy');
    if ((await run(process.execPath, ['scripts/prisma.mjs', 'migrate', 'deploy'], { env })) !== 0)
      fail('prisma migrate deploy failed');
    if (interrupted) return 130;
  } else {
    log('no Prisma schema yet, skipping generate and migrations');
  }

  // (e) jest
  log(`jest ${jestArgs.join(' ')}`.trimEnd());
  return run(process.execPath, [path.join(root, 'node_modules/jest/bin/jest.js'), ...jestArgs], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl,
      NODE_ENV: 'test',
      LOG_LEVEL: process.env.LOG_LEVEL || 'silent',
    },
  });
}

let exitCode;
try {
  exitCode = await main();
} catch (err) {
  if (!interrupted) console.error(`[test] ${err.exitCode ? err.message : err.stack || err}`);
  exitCode = 1;
}
// (f) always stop what we started (a signal handler may be doing it already).
if (!interrupted) {
  await stopServices();
  log(`done (exit ${exitCode})`);
  process.exit(exitCode);
}
