// Starts a private PostgreSQL and Redis for development and tests, with their data under the project.
// Plain Node.js (node: built-ins only) so it runs before `npm install`.
//
//   const { databaseUrl, redisUrl, stop } = await startServices({ dataDir: '.data/test', pgPort: 54330, redisPort: 63790 });
//
// Never touches system services (no pg_ctlcluster/systemctl) and never uses the default ports.

import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

const DEADLINE_MS = 30_000;
const PG_USER = 'hookrelay';
const PG_DATABASE = 'hookrelay';
const IS_ROOT = typeof process.getuid === 'function' && process.getuid() === 0;
// sun_path is 108 bytes including the terminating NUL.
const MAX_SOCKET_PATH = 107;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Full path of an executable found on PATH, or null. */
export function which(cmd) {
  if (cmd.includes('/')) return isExecutable(cmd) ? cmd : null;
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, cmd);
    if (isExecutable(candidate)) return candidate;
  }
  return null;
}

function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** One TCP connection attempt; resolves true if something accepts on host:port. */
export function tcpProbe(host, port, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok) => {
      socket.removeAllListeners();
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Waits until something accepts TCP connections on host:port; throws after timeoutMs. */
export async function waitForTcp(host, port, timeoutMs = DEADLINE_MS) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await tcpProbe(host, port, 1000)) return true;
    if (Date.now() >= deadline)
      throw new Error(`Nothing is listening on ${host}:${port} after ${Math.round(timeoutMs / 1000)} s`);
    await sleep(200);
  }
}

// ---------------------------------------------------------------------------------------------
// Minimal Redis client (RESP over a raw socket), enough for PING / FLUSHALL / SHUTDOWN.

function encodeCommand(args) {
  let out = `*${args.length}\r\n`;
  for (const arg of args) out += `$${Buffer.byteLength(String(arg))}\r\n${arg}\r\n`;
  return out;
}

/**
 * Sends commands to Redis and resolves with the first line of each reply (e.g. "+PONG", "-ERR …", ":1").
 * If the server closes the connection before answering (as SHUTDOWN does) the missing replies are null.
 * Bulk/array replies are returned as their header line only: this is for control commands.
 */
function redisRaw({ host, port, password, username, db }, commands, timeoutMs = 5000) {
  const all = [];
  if (password) all.push(username ? ['AUTH', username, password] : ['AUTH', password]);
  if (db) all.push(['SELECT', String(db)]);
  const prefix = all.length;
  all.push(...commands);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    let buffer = '';
    const replies = [];
    let settled = false;
    const finish = (err) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      if (err) return reject(err);
      while (replies.length < all.length) replies.push(null);
      const authErr = replies.slice(0, prefix).find((r) => r && r.startsWith('-'));
      if (authErr) return reject(new Error(`Redis at ${host}:${port}: ${authErr.slice(1)}`));
      resolve(replies.slice(prefix));
    };
    socket.setTimeout(timeoutMs, () =>
      finish(new Error(`Redis at ${host}:${port} did not answer within ${timeoutMs} ms`)),
    );
    socket.once('connect', () => socket.write(all.map(encodeCommand).join('')));
    socket.on('data', (chunk) => {
      buffer += chunk.toString('utf8');
      let idx;
      while ((idx = buffer.indexOf('\r\n')) !== -1) {
        replies.push(buffer.slice(0, idx));
        buffer = buffer.slice(idx + 2);
        if (replies.length === all.length) return finish();
      }
    });
    socket.once('error', (err) => finish(err));
    socket.once('close', () => finish());
  });
}

function parseRedisUrl(url) {
  const u = new URL(url);
  if (u.protocol !== 'redis:')
    throw new Error(`Unsupported Redis URL (only redis:// is supported here): ${url}`);
  return {
    host: u.hostname || '127.0.0.1',
    port: Number(u.port || 6379),
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: u.pathname && u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0,
  };
}

/** Runs one Redis command given a redis:// URL; resolves with the reply's first line (e.g. "+OK"). */
export async function redisCommand(url, ...args) {
  const [reply] = await redisRaw(parseRedisUrl(url), [args]);
  return reply;
}

async function redisPing(port) {
  try {
    const [reply] = await redisRaw({ host: '127.0.0.1', port }, [['PING']], 2000);
    return reply;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Processes

/** Runs a command to completion, capturing output (for short-lived commands that do not fork daemons). */
function run(cmd, args, { asPostgres = false, env, timeoutMs = 120_000, cwd } = {}) {
  let file = cmd;
  let argv = args;
  if (asPostgres) {
    file = 'runuser';
    argv = ['-u', 'postgres', '--', cmd, ...args];
  }
  return new Promise((resolve) => {
    const child = spawn(file, argv, {
      cwd: cwd ?? (asPostgres ? '/' : undefined),
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => {
      output += `\n[timed out after ${timeoutMs} ms]`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      resolve({ code: -1, output: `${output}${err.message}` });
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : -1), output });
    });
  });
}

/**
 * Runs a command that starts a daemon (pg_ctl start, redis-server --daemonize). Its stdout/stderr go to a
 * file, never to a pipe: a forked daemon could keep a pipe open and the caller would wait forever.
 */
function runDetached(cmd, args, { asPostgres = false, outFile, timeoutMs = 60_000 } = {}) {
  let file = cmd;
  let argv = args;
  if (asPostgres) {
    file = 'runuser';
    argv = ['-u', 'postgres', '--', cmd, ...args];
  }
  const fd = fs.openSync(outFile, 'a');
  return new Promise((resolve) => {
    const child = spawn(file, argv, { cwd: asPostgres ? '/' : undefined, stdio: ['ignore', fd, fd] });
    fs.closeSync(fd);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      fs.appendFileSync(outFile, `${err.message}\n`);
      resolve(-1);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(code ?? (signal ? 128 : -1));
    });
  });
}

function tail(file, lines = 20) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

function pidAlive(pid, names) {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if (err.code !== 'EPERM') return false;
  }
  // On Linux, make sure the pid was not recycled by an unrelated process, and that it is not a zombie
  // waiting to be reaped (a daemon's parent is PID 1, which in a container may reap late or never).
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X' && names.some((n) => comm.startsWith(n));
  } catch {
    return !fs.existsSync('/proc/self/stat'); // no /proc (macOS): trust kill(0); with /proc: it just exited
  }
}

// ---------------------------------------------------------------------------------------------
// Installing missing system packages

function canAutoInstall() {
  return IS_ROOT && fs.existsSync('/etc/debian_version') && which('apt-get') !== null;
}

let aptUpdated = false;
async function aptInstall(pkg, log) {
  log(`Installing ${pkg} with apt-get (running as root on Debian/Ubuntu)…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const runInherit = (args) =>
    new Promise((resolve) => {
      const child = spawn('apt-get', args, { env, stdio: ['ignore', 'inherit', 'inherit'] });
      child.once('error', () => resolve(-1));
      child.once('exit', (code) => resolve(code ?? 1));
    });
  if (!aptUpdated) {
    if ((await runInherit(['update'])) !== 0) throw new Error('apt-get update failed');
    aptUpdated = true;
  }
  if ((await runInherit(['install', '-y', '--no-install-recommends', pkg])) !== 0) {
    throw new Error(`apt-get install -y ${pkg} failed`);
  }
}

function missingError(what, aptPkg, brewPkg) {
  return new Error(
    `${what} is not installed. Install it with: sudo apt-get install -y ${aptPkg}` +
      ` (macOS: brew install ${brewPkg})`,
  );
}

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

function findRedisServer() {
  const found = which('redis-server');
  if (found) return found;
  for (const p of [
    '/usr/bin/redis-server',
    '/usr/local/bin/redis-server',
    '/opt/homebrew/bin/redis-server',
  ]) {
    if (isExecutable(p)) return p;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

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

/** Warns about directories above dir that the postgres user cannot traverse, then checks for real. */
async function checkPostgresCanReach(dir, log) {
  const blocked = [];
  for (let d = path.dirname(dir); ; d = path.dirname(d)) {
    try {
      if ((fs.statSync(d).mode & 0o001) === 0) blocked.push(d);
    } catch {
      /* ignore */
    }
    if (d === path.dirname(d)) break;
  }
  if (blocked.length) {
    log(
      `WARNING: the "postgres" OS user may not be able to reach ${dir}: ` +
        `${blocked.join(', ')} ${blocked.length === 1 ? 'is' : 'are'} not traversable by others ` +
        `(fix with: chmod o+x ${blocked.join(' ')})`,
    );
  }
  const r = await run('test', ['-r', dir, '-a', '-w', dir, '-a', '-x', dir], { asPostgres: true });
  if (r.code !== 0) {
    throw new Error(
      `The "postgres" OS user cannot read/write ${dir}. Every directory above it must be traversable by others` +
        `${blocked.length ? ` (run: chmod o+x ${blocked.join(' ')})` : ''}, or choose a dataDir elsewhere.`,
    );
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
      env: { PGCONNECT_TIMEOUT: '3' },
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

/**
 * Where PostgreSQL's files live. Running as root, the server runs as the "postgres" user, which must be able
 * to walk down to them; a checkout under a private folder (mktemp -d, a 0700 home) does not allow that.
 * Then the files go to a root-owned, world-traversable folder keyed by the data dir, and a note is left.
 */
function postgresHome(dataDir, log) {
  const absolute = path.resolve(dataDir);
  if (!IS_ROOT) return absolute;
  let reachable = true;
  for (let d = path.dirname(absolute); ; d = path.dirname(d)) {
    try {
      if ((fs.statSync(d).mode & 0o001) === 0) reachable = false;
    } catch {
      /* not created yet: mkdir makes it 0755 */
    }
    if (d === path.dirname(d)) break;
  }
  if (reachable) return absolute;
  const base = '/var/tmp/hookrelay-pg';
  const home = path.join(base, createHash('sha256').update(absolute).digest('hex').slice(0, 16));
  fs.mkdirSync(home, { recursive: true });
  fs.chmodSync(base, 0o755);
  fs.chmodSync(home, 0o755);
  fs.mkdirSync(absolute, { recursive: true });
  fs.writeFileSync(path.join(absolute, 'pg-location'), `${home}\n`);
  log(`PostgreSQL's files are in ${home}: the "postgres" user cannot reach ${absolute}`);
  return home;
}

async function startPostgres({ dataDir: requestedDir, pgPort, log }) {
  const dataDir = postgresHome(requestedDir, log);
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
  const asPostgres = IS_ROOT;

  fs.mkdirSync(pgDir, { recursive: true });
  fs.mkdirSync(runDir, { recursive: true });
  if (!fs.existsSync(logFile)) fs.writeFileSync(logFile, '');
  fs.writeFileSync(ctlOut, '');

  if (asPostgres) {
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
  if (existing && pidAlive(existing.pid, ['postgres', 'postmaster'])) {
    if (existing.port !== pgPort) {
      throw new Error(
        `A PostgreSQL server (pid ${existing.pid}) is already running on port ${existing.port} with data dir ${pgDir}; stop it first (${bin('pg_ctl')} -D ${pgDir} stop)`,
      );
    }
    log(`PostgreSQL already running on 127.0.0.1:${pgPort} (pid ${existing.pid}), reusing it`);
    await waitForPgReady(binDir, pgPort, logFile);
    return { binDir, pgDir, logFile, asPostgres };
  }
  if (await tcpProbe('127.0.0.1', pgPort)) {
    throw new Error(
      `Port ${pgPort} is already in use by another process (not our PostgreSQL in ${pgDir}); pick another port or stop it.`,
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
    let r = await run(bin('initdb'), [...base, '--locale=C.UTF-8'], { asPostgres });
    if (r.code !== 0) {
      log('initdb with --locale=C.UTF-8 failed, retrying with --no-locale');
      for (const entry of fs.readdirSync(pgDir))
        fs.rmSync(path.join(pgDir, entry), { recursive: true, force: true });
      r = await run(bin('initdb'), [...base, '--no-locale'], { asPostgres });
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
  const postgresOpts = `-p ${pgPort} -c listen_addresses=127.0.0.1 ${socketOpt} -c fsync=on`;

  log(`Starting PostgreSQL on 127.0.0.1:${pgPort} (log: ${logFile})…`);
  const code = await runDetached(
    bin('pg_ctl'),
    ['-D', pgDir, '-l', logFile, '-o', postgresOpts, '-w', '-t', String(DEADLINE_MS / 1000), 'start'],
    { asPostgres, outFile: ctlOut, timeoutMs: DEADLINE_MS + 15_000 },
  );
  if (code !== 0) {
    throw new Error(
      `PostgreSQL failed to start (pg_ctl exit ${code}). See ${logFile}\n${tail(ctlOut, 10)}\n${tail(logFile)}`,
    );
  }
  await waitForPgReady(binDir, pgPort, logFile);
  return { binDir, pgDir, logFile, asPostgres };
}

function shellQuote(s) {
  return `'${String(s).replace(/'/g, `'\\''`)}'`;
}

async function ensureDatabase(binDir, pgPort) {
  const psql = path.join(binDir, 'psql');
  const q = await run(psql, [
    ...psqlArgs(pgPort, 'postgres'),
    '-tAc',
    `select 1 from pg_database where datname='${PG_DATABASE}'`,
  ]);
  if (q.code !== 0) throw new Error(`Could not query PostgreSQL on port ${pgPort}: ${q.output.trim()}`);
  if (q.output.trim() === '1') return false;
  const c = await run(path.join(binDir, 'createdb'), [
    '-h',
    '127.0.0.1',
    '-p',
    String(pgPort),
    '-U',
    PG_USER,
    PG_DATABASE,
  ]);
  if (c.code !== 0 && !/already exists/.test(c.output))
    throw new Error(`createdb ${PG_DATABASE} failed: ${c.output.trim()}`);
  return true;
}

async function stopPostgres({ binDir, pgDir, asPostgres, logFile }, log) {
  if (!fs.existsSync(path.join(pgDir, 'postmaster.pid'))) return;
  const r = await run(path.join(binDir, 'pg_ctl'), ['-D', pgDir, '-m', 'fast', '-w', '-t', '30', 'stop'], {
    asPostgres,
    timeoutMs: 45_000,
  });
  if (r.code !== 0 && fs.existsSync(path.join(pgDir, 'postmaster.pid'))) {
    log(`WARNING: pg_ctl stop failed (see ${logFile}): ${r.output.trim()}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Redis

function readPid(file) {
  try {
    return Number(fs.readFileSync(file, 'utf8').trim());
  } catch {
    return NaN;
  }
}

async function startRedis({ dataDir, redisPort, log }) {
  let redisServer = findRedisServer();
  if (!redisServer) {
    if (!canAutoInstall()) throw missingError('Redis server', 'redis-server', 'redis');
    await aptInstall('redis-server', log);
    redisServer = findRedisServer();
    if (!redisServer)
      throw new Error('redis-server was installed but is not on PATH, /usr/bin or /usr/local/bin');
  }
  const dir = path.join(dataDir, 'redis');
  const pidFile = path.join(dataDir, 'redis.pid');
  const logFile = path.join(dataDir, 'redis.log');
  fs.mkdirSync(dir, { recursive: true });

  const pid = readPid(pidFile);
  const ours = pidAlive(pid, ['redis-server', 'redis']);
  if (await tcpProbe('127.0.0.1', redisPort)) {
    if (!ours) {
      throw new Error(
        `Port ${redisPort} is already in use by another process (not our Redis from ${pidFile}); pick another port or stop it.`,
      );
    }
    log(`Redis already running on 127.0.0.1:${redisPort} (pid ${pid}), reusing it`);
  } else {
    if (ours)
      log(
        `WARNING: Redis pid ${pid} from ${pidFile} is alive but not listening on ${redisPort}; starting a new one`,
      );
    fs.rmSync(pidFile, { force: true });
    log(`Starting Redis on 127.0.0.1:${redisPort} (log: ${logFile})…`);
    const outFile = path.join(dataDir, 'redis-start.out');
    fs.writeFileSync(outFile, '');
    // redis-server quotes each command-line argument when turning it into config, so '' is an empty value.
    const code = await runDetached(
      redisServer,
      [
        '--port',
        String(redisPort),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--appendonly',
        'yes',
        '--appendfsync',
        'everysec',
        '--maxmemory-policy',
        'noeviction',
        '--save',
        '',
        '--daemonize',
        'yes',
        '--pidfile',
        pidFile,
        '--logfile',
        logFile,
      ],
      { outFile, timeoutMs: DEADLINE_MS },
    );
    if (code !== 0) {
      throw new Error(
        `redis-server failed to start (exit ${code}). See ${logFile}\n${tail(outFile, 10)}\n${tail(logFile)}`,
      );
    }
  }

  const deadline = Date.now() + DEADLINE_MS;
  for (;;) {
    const last = await redisPing(redisPort);
    if (last === '+PONG') break;
    if (Date.now() >= deadline) {
      throw new Error(
        `Redis on 127.0.0.1:${redisPort} did not answer PING within ${DEADLINE_MS / 1000} s (last reply: ${last ?? 'none'}). See ${logFile}\n${tail(logFile)}`,
      );
    }
    await sleep(100);
  }
  return { pidFile, logFile };
}

async function stopRedis({ pidFile, logFile }, redisPort, log) {
  const pid = readPid(pidFile);
  try {
    // SHUTDOWN (not NOSAVE) so the append-only file is flushed; the server closes the connection without replying.
    const [reply] = await redisRaw({ host: '127.0.0.1', port: redisPort }, [['SHUTDOWN']], 10_000);
    if (reply && reply.startsWith('-'))
      log(`WARNING: Redis SHUTDOWN failed: ${reply.slice(1)} (see ${logFile})`);
  } catch (err) {
    if (!/ECONNREFUSED/.test(String(err.message)))
      log(`WARNING: could not send SHUTDOWN to Redis: ${err.message}`);
  }
  const deadline = Date.now() + DEADLINE_MS;
  while (
    (pidAlive(pid, ['redis-server', 'redis']) || (await tcpProbe('127.0.0.1', redisPort, 500))) &&
    Date.now() < deadline
  ) {
    await sleep(100);
  }
  if (pidAlive(pid, ['redis-server', 'redis']))
    log(`WARNING: Redis (pid ${pid}) is still running after ${DEADLINE_MS / 1000} s`);
}

// ---------------------------------------------------------------------------------------------

/**
 * Starts (or reuses) a private PostgreSQL and Redis.
 * @param {{ dataDir: string, pgPort: number, redisPort: number, log?: (msg: string) => void }} opts
 * @returns {Promise<{ databaseUrl: string, redisUrl: string, pgBinDir: string, stop: () => Promise<void> }>}
 */
export async function startServices({ dataDir, pgPort, redisPort, log = console.log }) {
  if (!dataDir || !pgPort || !redisPort) throw new Error('startServices needs dataDir, pgPort and redisPort');
  if ([5432, 6379].includes(Number(pgPort)) || [5432, 6379].includes(Number(redisPort))) {
    throw new Error('Refusing to use the default ports 5432/6379 (they belong to system services)');
  }
  dataDir = path.resolve(dataDir);
  pgPort = Number(pgPort);
  redisPort = Number(redisPort);
  fs.mkdirSync(dataDir, { recursive: true });

  let pg = null;
  let redis = null;
  let stopping = null;
  const stop = () => {
    stopping ??= (async () => {
      await Promise.all([pg && stopPostgres(pg, log), redis && stopRedis(redis, redisPort, log)]);
    })();
    return stopping;
  };

  try {
    // Sequential: an apt-get install for one must not run alongside the other's.
    pg = await startPostgres({ dataDir, pgPort, log });
    if (await ensureDatabase(pg.binDir, pgPort)) log(`Created database "${PG_DATABASE}"`);
    redis = await startRedis({ dataDir, redisPort, log });
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }

  return {
    databaseUrl: `postgresql://${PG_USER}@127.0.0.1:${pgPort}/${PG_DATABASE}`,
    redisUrl: `redis://127.0.0.1:${redisPort}`,
    pgBinDir: pg.binDir,
    stop,
  };
}
