// `npm test [-- jest args]`: installs dependencies if needed, starts a private PostgreSQL and Redis under
// .data/test (or uses TEST_DATABASE_URL + TEST_REDIS_URL), resets them, applies the Prisma migrations and runs jest.
// Plain Node.js, node: built-ins only (it runs before `npm install`).

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { exitCodeFor, newestMtime, run } from './lib/processes.mjs';
import { migrate, resetState, startServices } from './lib/services.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);

const log = (msg) => console.log(`[test] ${msg}`);
const jestArgs = process.argv.slice(2);

let current = null; // the child process running now
let services = null;
let starting = null;
let interrupted = false;

/** Runs a command with its output shown, remembering it so a signal can be forwarded; resolves its exit code. */
async function step(cmd, args, options = {}) {
  const r = await run(cmd, args, { ...options, inherit: true, onSpawn: (child) => (current = child) });
  current = null;
  return r.code;
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
  const child = current;
  if (child) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }
  await stopServices();
  process.exit(exitCodeFor(signal));
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => void onSignal(sig));

function fail(msg) {
  throw new Error(msg);
}

async function main() {
  // (a) dependencies
  if (!fs.existsSync(path.join(root, 'node_modules'))) {
    const lock = fs.existsSync(path.join(root, 'package-lock.json'));
    const args = lock ? ['ci', '--no-audit', '--no-fund'] : ['install', '--no-audit', '--no-fund'];
    log(`node_modules is missing: npm ${args.join(' ')}`);
    if ((await step('npm', args)) !== 0) fail('npm install failed');
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
    // Unpinned ports move (100 up) when another checkout's servers hold them.
    const movablePorts = !process.env.TEST_PG_PORT && !process.env.TEST_REDIS_PORT;
    starting = startServices({
      dataDir: path.join(root, '.data/test'),
      pgPort,
      redisPort,
      movablePorts,
      log,
    });
    services = await starting;
    if (interrupted) return 130;
    ({ databaseUrl, redisUrl, pgBinDir } = services);
    log(`services ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }

  // (c) clean state, Prisma client and migrations
  log('resetting the database schema and flushing Redis');
  await resetState({ databaseUrl, redisUrl, pgBinDir, root });
  if (interrupted) return 130;
  log('prisma generate, prisma migrate deploy');
  await migrate({ root, databaseUrl, onSpawn: (child) => (current = child) });
  current = null;
  if (interrupted) return 130;

  // (d) the web app, which the API serves and the browser tests drive: built when its sources changed
  const webIndex = path.join(root, 'dist/web/index.html');
  const webBuilt = fs.existsSync(webIndex) ? fs.statSync(webIndex).mtimeMs : 0;
  if (newestMtime([path.join(root, 'apps/web'), path.join(root, 'package-lock.json')]) > webBuilt) {
    log('building the web app (npm run build:web)');
    if ((await step('npm', ['run', 'build:web', '--silent'])) !== 0) fail('building the web app failed');
  }
  if (interrupted) return 130;
  // The CLI's tests run it as a real process: `node dist/apps/cli/src/main.js` (nest build compiles every app).
  const cliMain = path.join(root, 'dist/apps/cli/src/main.js');
  const cliBuilt = fs.existsSync(cliMain) ? fs.statSync(cliMain).mtimeMs : 0;
  const cliSources = ['apps/cli', 'libs/sdk/src', 'tsconfig.json', 'tsconfig.build.json'].map((p) =>
    path.join(root, p),
  );
  if (newestMtime(cliSources) > cliBuilt) {
    log('building the apps for the CLI tests (nest build)');
    const nest = path.join(root, 'node_modules/@nestjs/cli/bin/nest.js');
    if ((await step(process.execPath, [nest, 'build', 'api'])) !== 0) fail('building the CLI failed');
  }
  if (interrupted) return 130;

  // (e) jest
  log(`jest ${jestArgs.join(' ')}`.trimEnd());
  return step(process.execPath, [path.join(root, 'node_modules/jest/bin/jest.js'), ...jestArgs], {
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
  // Our own failures are one sentence; a programming error keeps its stack.
  const bug = err instanceof TypeError || err instanceof ReferenceError;
  if (!interrupted) console.error(`[test] ${bug ? err.stack : err.message}`);
  exitCode = 1;
}
// (f) always stop what we started (a signal handler may be doing it already).
if (!interrupted) {
  await stopServices();
  log(`done (exit ${exitCode})`);
  process.exit(exitCode);
}
