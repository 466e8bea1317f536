// A private PostgreSQL for development and tests: initdb, pg_ctl start/stop, the database, and where the
// files live when the checkout is private. Never touches system clusters (no pg_ctlcluster/systemctl).
// Plain Node.js (node: built-ins only) so it runs before `npm install`.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { aptInstall, canAutoInstall, missingError } from './apt.mjs';
import {
  IS_ROOT,
  isExecutable,
  pidAlive,
  PortInUseError,
  run,
  runDetached,
  sleep,
  tail,
  tcpProbe,
  which,
} from './processes.mjs';

const DEADLINE_MS = 30_000;
export const PG_USER = 'hookrelay';
export const PG_DATABASE = 'hookrelay';
const POSTGRES_NAMES = ['postgres', 'postmaster'];
// sun_path is 108 bytes including the terminating NUL.
const MAX_SOCKET_PATH = 107;
/** Where PostgreSQL's files go when the postgres user cannot reach the checkout (see postgresHome). */
const SHARED_BASE = '/var/tmp/hookrelay-pg';
/** In each folder under SHARED_BASE: the data dir (inside a checkout) it belongs to. */
const OWNER_FILE = 'owner';

// ---------------------------------------------------------------------------------------------
// Locating binaries

const PG_TOOLS = ['initdb', 'pg_ctl', 'postgres', 'psql'];

function hasPgServer(dir) {
  return !!dir && PG_TOOLS.every((t) => isExecutable(path.join(dir, t)));
}

function debianPgBinDirs() {
  const root = '/usr/lib/postgresql';
  let versions;
  try {
    versions = fs.readdirSync(root).filter((v) => /^\d+(\.\d+)?$/.test(v));
  } catch {
    return [];
  }
  return versions.sort((a, b) => parseFloat(b) - parseFloat(a)).map((v) => path.join(root, v, 'bin'));
}

/** Directory holding initdb, pg_ctl, postgres and psql, or null. */
export function findPgBinDir({ preferMajor } = {}) {
  const candidates = [];
  if (preferMajor) candidates.push(`/usr/lib/postgresql/${preferMajor}/bin`);
  const pgConfig = which('pg_config');
  if (pgConfig) {
    const r = spawnSync(pgConfig, ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    if (r.status === 0 && r.stdout.trim()) candidates.push(r.stdout.trim());
  }
  candidates.push(...debianPgBinDirs());
  const initdb = which('initdb');
  if (initdb) candidates.push(path.dirname(fs.realpathSync(initdb)));
  // Homebrew keg-only installs
  for (const prefix of ['/opt/homebrew/opt', '/usr/local/opt']) {
    try {
      for (const d of fs
        .readdirSync(prefix)
        .filter((d) => /^postgresql(@\d+)?$/.test(d))
        .sort()
        .reverse()) {
        candidates.push(path.join(prefix, d, 'bin'));
      }
    } catch {
      /* not there */
    }
  }
  return candidates.find(hasPgServer) ?? null;
}

// ---------------------------------------------------------------------------------------------
// Where the files live

async function ensurePostgresUser(log) {
  if (spawnSync('id', ['-u', 'postgres'], { stdio: 'ignore' }).status === 0) return;
  log('Creating the "postgres" OS user (initdb and postgres refuse to run as root)…');
  const r = spawnSync(
    'useradd',
    ['--system', '--home', '/var/lib/postgresql', '--shell', '/bin/bash', 'postgres'],
    {
      encoding: 'utf8',
    },
  );
  if (r.status !== 0)
    throw new Error(`Could not create the "postgres" OS user: ${r.stderr || r.error?.message}`);
}

/** Folders above `dir` that other users (the postgres user) cannot traverse. */
function untraversableParents(dir) {
  const blocked = [];
  for (let d = path.dirname(dir); ; d = path.dirname(d)) {
    try {
      if ((fs.statSync(d).mode & 0o001) === 0) blocked.push(d);
    } catch {
      /* not created yet: mkdir makes it 0755 */
    }
    if (d === path.dirname(d)) break;
  }
  return blocked;
}

/** Warns about directories above dir that the postgres user cannot traverse, then checks for real. */
async function checkPostgresCanReach(dir, log) {
  const blocked = untraversableParents(dir);
  if (blocked.length) {
    log(
      `WARNING: the "postgres" OS user may not be able to reach ${dir}: ` +
        `${blocked.join(', ')} ${blocked.length === 1 ? 'is' : 'are'} not traversable by others ` +
        `(fix with: chmod o+x ${blocked.join(' ')})`,
    );
  }
  const r = await run('test', ['-r', dir, '-a', '-w', dir, '-a', '-x', dir], { user: 'postgres' });
  if (r.code !== 0) {
    throw new Error(
      `The "postgres" OS user cannot read/write ${dir}. Every directory above it must be traversable by others` +
        `${blocked.length ? ` (run: chmod o+x ${blocked.join(' ')})` : ''}, or choose a dataDir elsewhere.`,
    );
  }
}

/**
 * Where PostgreSQL's files live. Running as root, the server runs as the "postgres" user, which must be able
 * to walk down to them; a checkout under a private folder (mktemp -d, a 0700 home) does not allow that.
 * Then the files go to a root-owned, world-traversable folder keyed by the data dir, which names its owner
 * (so that `removeOrphanedHomes` can clean it up once the checkout is gone), and a note is left in the
 * data dir. Pure: `create: false` computes the place without making anything.
 */
export function postgresHome(dataDir, { log = () => {}, create = true } = {}) {
  const absolute = path.resolve(dataDir);
  if (!IS_ROOT || untraversableParents(absolute).length === 0) return absolute;
  const home = path.join(SHARED_BASE, createHash('sha256').update(absolute).digest('hex').slice(0, 16));
  if (!create) return home;
  // The data dir exists before the folder names it as owner, and the owner is written before anything else
  // goes in: another checkout's clean-up removes only a folder whose named owner is gone.
  fs.mkdirSync(absolute, { recursive: true });
  fs.mkdirSync(home, { recursive: true });
  fs.chmodSync(SHARED_BASE, 0o755);
  fs.chmodSync(home, 0o755);
  fs.writeFileSync(path.join(home, OWNER_FILE), `${absolute}\n`);
  fs.writeFileSync(path.join(absolute, 'pg-location'), `${home}\n`);
  log(`PostgreSQL's files are in ${home}: the "postgres" user cannot reach ${absolute}`);
  return home;
}

/**
 * Removes the folders under /var/tmp/hookrelay-pg whose checkout is gone (its data dir no longer exists),
 * stopping their server first if one still runs. Folders made before owners were recorded are left alone,
 * with a hint: nothing says whether their checkout still exists.
 */
export async function removeOrphanedHomes(log) {
  let entries;
  try {
    entries = fs.readdirSync(SHARED_BASE);
  } catch {
    return;
  }
  for (const entry of entries) {
    const home = path.join(SHARED_BASE, entry);
    let owner;
    try {
      owner = fs.readFileSync(path.join(home, OWNER_FILE), 'utf8').trim();
    } catch {
      log(`${home} names no checkout (made by an older version); remove it by hand if its checkout is gone`);
      continue;
    }
    if (fs.existsSync(owner)) continue;
    const running = readPostmasterPid(path.join(home, 'pg'));
    if (running && pidAlive(running.pid, POSTGRES_NAMES)) {
      log(`Stopping the PostgreSQL (pid ${running.pid}) of ${owner}, which no longer exists`);
      // SIGQUIT is PostgreSQL's immediate shutdown; the data is about to be deleted anyway.
      process.kill(running.pid, 'SIGQUIT');
      const deadline = Date.now() + DEADLINE_MS;
      while (pidAlive(running.pid, POSTGRES_NAMES) && Date.now() < deadline) await sleep(100);
      if (pidAlive(running.pid, POSTGRES_NAMES)) {
        log(`WARNING: PostgreSQL (pid ${running.pid}) did not stop; leaving ${home}`);
        continue;
      }
    }
    fs.rmSync(home, { recursive: true, force: true });
    log(`Removed ${home}: its checkout (${owner}) no longer exists`);
  }
}

function readPostmasterPid(pgDir) {
  try {
    const lines = fs.readFileSync(path.join(pgDir, 'postmaster.pid'), 'utf8').split('\n');
    return { pid: Number(lines[0]), port: Number(lines[3]) };
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Server lifecycle

function psqlArgs(pgPort, db) {
  return [
    '-X',
    '-q',
    '-v',
    'ON_ERROR_STOP=1',
    '-h',
    '127.0.0.1',
    '-p',
    String(pgPort),
    '-U',
    PG_USER,
    '-d',
    db,
  ];
}

/** Waits until PostgreSQL accepts queries (a bare TCP accept is not enough: it answers while starting up). */
async function waitForPgReady(binDir, pgPort, logFile) {
  const deadline = Date.now() + DEADLINE_MS;
  for (;;) {
    const r = await run(path.join(binDir, 'psql'), [...psqlArgs(pgPort, 'postgres'), '-tAc', 'select 1'], {
      env: { ...process.env, PGCONNECT_TIMEOUT: '3' },
      timeoutMs: 10_000,
    });
    if (r.code === 0) return;
    if (Date.now() >= deadline) {
      throw new Error(
        `PostgreSQL on 127.0.0.1:${pgPort} did not accept queries within ${DEADLINE_MS / 1000} s (${r.output.trim()}). See ${logFile}\n${tail(logFile)}`,
      );
    }
    await sleep(250);
  }
}

function shellQuote(s) {
  return `'${String(s).replace(/'/g, `'\\''`)}'`;
}

/**
 * Starts (or reuses) the PostgreSQL of `dataDir` on 127.0.0.1:`pgPort`, installing and initialising it if
 * needed; resolves a handle for `stopPostgres` once it accepts queries. `settings` are extra server settings
 * (`-c name=value`) for a server started here; a reused server keeps the ones it was started with.
 */
export async function startPostgres({ dataDir: requestedDir, pgPort, log, settings = {} }) {
  if (IS_ROOT) await removeOrphanedHomes(log);
  const dataDir = postgresHome(requestedDir, { log });
  const pgDir = path.join(dataDir, 'pg');
  const runDir = path.join(dataDir, 'run');
  const logFile = path.join(dataDir, 'pg.log');
  const ctlOut = path.join(dataDir, 'pg_ctl.out');
  const initialised = fs.existsSync(path.join(pgDir, 'PG_VERSION'));
  const dataMajor = initialised ? fs.readFileSync(path.join(pgDir, 'PG_VERSION'), 'utf8').trim() : undefined;

  let binDir = findPgBinDir({ preferMajor: dataMajor });
  if (!binDir) {
    if (!canAutoInstall()) throw missingError('PostgreSQL server', 'postgresql', 'postgresql@16');
    await aptInstall('postgresql', log);
    binDir = findPgBinDir({ preferMajor: dataMajor });
    if (!binDir)
      throw new Error(
        'PostgreSQL was installed but initdb/pg_ctl/postgres were not found under /usr/lib/postgresql/*/bin',
      );
  }
  const bin = (tool) => path.join(binDir, tool);
  const user = IS_ROOT ? 'postgres' : undefined;
  const handle = { binDir, pgDir, logFile, user, port: pgPort };

  fs.mkdirSync(pgDir, { recursive: true });
  fs.mkdirSync(runDir, { recursive: true });
  if (!fs.existsSync(logFile)) fs.writeFileSync(logFile, '');
  fs.writeFileSync(ctlOut, '');

  if (user) {
    await ensurePostgresUser(log);
    for (const p of [pgDir, runDir, logFile, ctlOut]) {
      const r = spawnSync('chown', ['-R', 'postgres:', p], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`chown -R postgres ${p} failed: ${r.stderr}`);
    }
    fs.chmodSync(pgDir, 0o700);
    await checkPostgresCanReach(pgDir, log);
  }

  // Already running from an earlier start (ours: same data dir, same port)?
  const existing = readPostmasterPid(pgDir);
  if (existing && pidAlive(existing.pid, POSTGRES_NAMES)) {
    if (existing.port !== pgPort) {
      throw new Error(
        `A PostgreSQL server (pid ${existing.pid}) is already running on port ${existing.port} with data dir ${pgDir}; stop it first (${bin('pg_ctl')} -D ${pgDir} stop)`,
      );
    }
    log(`PostgreSQL already running on 127.0.0.1:${pgPort} (pid ${existing.pid}), reusing it`);
    await waitForPgReady(binDir, pgPort, logFile);
    return handle;
  }
  if (await tcpProbe('127.0.0.1', pgPort)) {
    throw new PortInUseError(
      pgPort,
      `Port ${pgPort} is already in use by another process (not our PostgreSQL in ${pgDir}); pick another port or stop it`,
    );
  }
  if (existing) {
    // Stale lock file from a crash; the pid may have been recycled by an unrelated process, which would
    // make postgres refuse to start, so remove it ourselves.
    log(`Removing stale ${path.join(pgDir, 'postmaster.pid')} (pid ${existing.pid} is not running)`);
    fs.rmSync(path.join(pgDir, 'postmaster.pid'), { force: true });
  }
  // A crashed server also leaves its socket lock file, which postgres checks the same way.
  for (const f of [`.s.PGSQL.${pgPort}`, `.s.PGSQL.${pgPort}.lock`])
    fs.rmSync(path.join(runDir, f), { force: true });

  if (!initialised) {
    if (fs.readdirSync(pgDir).length > 0) {
      log(`${pgDir} holds an incomplete cluster (no PG_VERSION); wiping it`);
      for (const entry of fs.readdirSync(pgDir))
        fs.rmSync(path.join(pgDir, entry), { recursive: true, force: true });
    }
    log(`Initialising PostgreSQL data directory ${pgDir} (${binDir})…`);
    const base = ['-D', pgDir, '-U', PG_USER, '--auth=trust', '--encoding=UTF8'];
    let r = await run(bin('initdb'), [...base, '--locale=C.UTF-8'], { user });
    if (r.code !== 0) {
      log('initdb with --locale=C.UTF-8 failed, retrying with --no-locale');
      for (const entry of fs.readdirSync(pgDir))
        fs.rmSync(path.join(pgDir, entry), { recursive: true, force: true });
      r = await run(bin('initdb'), [...base, '--no-locale'], { user });
    }
    if (r.code !== 0) throw new Error(`initdb failed:\n${r.output.trim()}`);
  } else {
    const binMajor = spawnSync(bin('postgres'), ['--version'], { encoding: 'utf8' }).stdout?.match(
      /(\d+)/,
    )?.[1];
    if (binMajor && dataMajor && binMajor !== dataMajor.split('.')[0]) {
      throw new Error(
        `${pgDir} was created by PostgreSQL ${dataMajor} but only PostgreSQL ${binMajor} is installed (${binDir}). ` +
          `Delete ${pgDir} to start over (its data will be lost).`,
      );
    }
  }

  // The unix socket path (<dir>/.s.PGSQL.<port>) must fit in sun_path; we only use TCP, so disable it when too long.
  const socketPath = path.join(runDir, `.s.PGSQL.${pgPort}`);
  const socketOpt =
    Buffer.byteLength(socketPath) <= MAX_SOCKET_PATH
      ? `-k ${shellQuote(runDir)}`
      : `-c unix_socket_directories=''`;
  const extra = Object.entries(settings)
    .map(([name, value]) => ` -c ${shellQuote(`${name}=${value}`)}`)
    .join('');
  const postgresOpts = `-p ${pgPort} -c listen_addresses=127.0.0.1 ${socketOpt} -c fsync=on${extra}`;

  log(`Starting PostgreSQL on 127.0.0.1:${pgPort} (log: ${logFile})…`);
  const code = await runDetached(
    bin('pg_ctl'),
    ['-D', pgDir, '-l', logFile, '-o', postgresOpts, '-w', '-t', String(DEADLINE_MS / 1000), 'start'],
    { user, outFile: ctlOut, timeoutMs: DEADLINE_MS + 15_000 },
  );
  if (code !== 0) {
    // Another server took the port while initdb ran (e.g. a second checkout's suite starting alongside).
    if (/could not bind .*Address already in use/.test(tail(logFile, 10))) {
      throw new PortInUseError(
        pgPort,
        `Port ${pgPort} was taken by another process while PostgreSQL started`,
      );
    }
    throw new Error(
      `PostgreSQL failed to start (pg_ctl exit ${code}). See ${logFile}\n${tail(ctlOut, 10)}\n${tail(logFile)}`,
    );
  }
  await waitForPgReady(binDir, pgPort, logFile);
  return handle;
}

/** Creates the hookrelay database if it does not exist; resolves true if it created it. */
export async function ensureDatabase({ binDir, port }) {
  const q = await run(path.join(binDir, 'psql'), [
    ...psqlArgs(port, 'postgres'),
    '-tAc',
    `select 1 from pg_database where datname='${PG_DATABASE}'`,
  ]);
  if (q.code !== 0) throw new Error(`Could not query PostgreSQL on port ${port}: ${q.output.trim()}`);
  if (q.output.trim() === '1') return false;
  const c = await run(path.join(binDir, 'createdb'), [
    '-h',
    '127.0.0.1',
    '-p',
    String(port),
    '-U',
    PG_USER,
    PG_DATABASE,
  ]);
  if (c.code !== 0 && !/already exists/.test(c.output))
    throw new Error(`createdb ${PG_DATABASE} failed: ${c.output.trim()}`);
  return true;
}

/** pg_ctl stop -m fast (open connections are closed, the data is consistent), waiting until it is down. */
export async function stopPostgres({ binDir, pgDir, user, logFile }, log) {
  if (!fs.existsSync(path.join(pgDir, 'postmaster.pid'))) return;
  const r = await run(path.join(binDir, 'pg_ctl'), ['-D', pgDir, '-m', 'fast', '-w', '-t', '30', 'stop'], {
    user,
    timeoutMs: 45_000,
  });
  if (r.code !== 0 && fs.existsSync(path.join(pgDir, 'postmaster.pid'))) {
    log(`WARNING: pg_ctl stop failed (see ${logFile}): ${r.output.trim()}`);
  }
}

export function databaseUrl(pgPort) {
  return `postgresql://${PG_USER}@127.0.0.1:${pgPort}/${PG_DATABASE}`;
}

/** The handle `stopPostgres` takes, for the server of `dataDir`, without starting anything. */
export function postgresHandle({ dataDir, pgPort }) {
  const home = postgresHome(dataDir, { create: false });
  const pgDir = path.join(home, 'pg');
  let major;
  try {
    major = fs.readFileSync(path.join(pgDir, 'PG_VERSION'), 'utf8').trim();
  } catch {
    major = undefined;
  }
  const binDir = findPgBinDir({ preferMajor: major });
  if (!binDir) throw missingError('PostgreSQL server', 'postgresql', 'postgresql@16');
  return {
    binDir,
    pgDir,
    logFile: path.join(home, 'pg.log'),
    user: IS_ROOT ? 'postgres' : undefined,
    port: pgPort,
  };
}
