// A private Redis for development and tests: started with its data under the project (AOF every second,
// noeviction, as BullMQ asks for production), controlled with redis-cli, which ships with redis-server.
// Plain Node.js (node: built-ins only) so it runs before `npm install`.

import fs from 'node:fs';
import path from 'node:path';
import { aptInstall, canAutoInstall, missingError } from './apt.mjs';
import {
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
const REDIS_NAMES = ['redis-server', 'redis'];

function findBinary(name) {
  const found = which(name);
  if (found) return found;
  for (const dir of ['/usr/bin', '/usr/local/bin', '/opt/homebrew/bin']) {
    if (isExecutable(path.join(dir, name))) return path.join(dir, name);
  }
  return null;
}

/**
 * Runs redis-cli against `target` (a redis:// URL or a local port) and resolves its trimmed output, e.g.
 * "PONG", "OK", or "ERR …" (redis-cli exits 0 on an error reply, so callers compare the output).
 * The password travels in REDISCLI_AUTH, not on the command line.
 */
export async function redisCli(target, args, { timeoutMs = 10_000 } = {}) {
  const cli = findBinary('redis-cli');
  if (!cli) throw missingError('redis-cli', 'redis-tools', 'redis');
  const u = new URL(typeof target === 'number' ? `redis://127.0.0.1:${target}` : target);
  if (u.protocol !== 'redis:') throw new Error(`Only redis:// URLs are supported here, got ${target}`);
  const argv = ['-h', u.hostname || '127.0.0.1', '-p', u.port || '6379'];
  if (u.pathname.length > 1) argv.push('-n', u.pathname.slice(1));
  if (u.username) argv.push('--user', decodeURIComponent(u.username));
  const env = { ...process.env };
  if (u.password) env.REDISCLI_AUTH = decodeURIComponent(u.password);
  const r = await run(cli, [...argv, ...args], { env, timeoutMs });
  const output = r.output.trim();
  if (r.code !== 0) throw new Error(`redis-cli ${args.join(' ')}: ${output || `exit ${r.code}`}`);
  return output;
}

/** FLUSHALL on the Redis at `url`; throws unless it answers OK. */
export async function flushRedis(url) {
  const reply = await redisCli(url, ['FLUSHALL']);
  if (reply !== 'OK') throw new Error(`Redis FLUSHALL failed: ${reply}`);
}

async function ping(port) {
  try {
    return await redisCli(port, ['PING'], { timeoutMs: 3_000 });
  } catch {
    return null;
  }
}

function readPid(file) {
  try {
    return Number(fs.readFileSync(file, 'utf8').trim());
  } catch {
    return NaN;
  }
}

/** Where a data dir keeps Redis's files. */
export function redisFiles(dataDir) {
  return {
    dir: path.join(dataDir, 'redis'),
    pidFile: path.join(dataDir, 'redis.pid'),
    logFile: path.join(dataDir, 'redis.log'),
  };
}

/** Starts (or reuses) the Redis of `dataDir` on 127.0.0.1:`redisPort`; resolves once it answers PING. */
export async function startRedis({ dataDir, redisPort, log }) {
  let redisServer = findBinary('redis-server');
  if (!redisServer) {
    if (!canAutoInstall()) throw missingError('Redis server', 'redis-server', 'redis');
    await aptInstall('redis-server', log);
    redisServer = findBinary('redis-server');
    if (!redisServer)
      throw new Error('redis-server was installed but is not on PATH, /usr/bin or /usr/local/bin');
  }
  const { dir, pidFile, logFile } = redisFiles(dataDir);
  fs.mkdirSync(dir, { recursive: true });

  const pid = readPid(pidFile);
  const ours = pidAlive(pid, REDIS_NAMES);
  if (await tcpProbe('127.0.0.1', redisPort)) {
    if (!ours) {
      throw new PortInUseError(
        redisPort,
        `Port ${redisPort} is already in use by another process (not our Redis from ${pidFile}); pick another port or stop it`,
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
    // prettier-ignore
    const code = await runDetached(
      redisServer,
      [
        '--port', String(redisPort), '--bind', '127.0.0.1', '--dir', dir,
        '--appendonly', 'yes', '--appendfsync', 'everysec', '--maxmemory-policy', 'noeviction', '--save', '',
        '--daemonize', 'yes', '--pidfile', pidFile, '--logfile', logFile,
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
    const last = await ping(redisPort);
    if (last === 'PONG') break;
    if (Date.now() >= deadline) {
      throw new Error(
        `Redis on 127.0.0.1:${redisPort} did not answer PING within ${DEADLINE_MS / 1000} s (last reply: ${last ?? 'none'}). See ${logFile}\n${tail(logFile)}`,
      );
    }
    await sleep(100);
  }
  return { pidFile, logFile, port: redisPort };
}

/** SHUTDOWN (which flushes the append-only file), then waits until the process is gone. */
export async function stopRedis({ pidFile, logFile, port }, log) {
  const pid = readPid(pidFile);
  try {
    // On success the server closes the connection without a reply, so any output is an error.
    const reply = await redisCli(port, ['SHUTDOWN']);
    if (reply) log(`WARNING: Redis SHUTDOWN failed: ${reply} (see ${logFile})`);
  } catch (err) {
    if (!/refused/i.test(String(err.message)))
      log(`WARNING: could not send SHUTDOWN to Redis: ${err.message}`);
  }
  await waitUntilGone(pid, port);
  if (pidAlive(pid, REDIS_NAMES))
    log(`WARNING: Redis (pid ${pid}) is still running after ${DEADLINE_MS / 1000} s`);
}

/** SIGKILL, as a crash would: what the append-only file has not synced yet (up to a second) is lost. */
export async function killRedis({ dataDir, redisPort }) {
  const pid = readPid(redisFiles(dataDir).pidFile);
  if (!pidAlive(pid, REDIS_NAMES)) throw new Error(`no Redis of ${dataDir} is running`);
  process.kill(pid, 'SIGKILL');
  await waitUntilGone(pid, redisPort);
}

async function waitUntilGone(pid, port) {
  const deadline = Date.now() + DEADLINE_MS;
  while ((pidAlive(pid, REDIS_NAMES) || (await tcpProbe('127.0.0.1', port, 500))) && Date.now() < deadline) {
    await sleep(100);
  }
}
