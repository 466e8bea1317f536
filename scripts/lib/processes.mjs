// Running other programs from the set-up scripts (start, test, bench, test:chaos): one-shot commands,
// daemons, the API and worker as logged child processes, and waiting for them.
// Plain Node.js (node: built-ins only) so it runs before `npm install`.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export const IS_ROOT = typeof process.getuid === 'function' && process.getuid() === 0;

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

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

export function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The last `lines` lines of a log file ('' if it cannot be read). */
export function tail(file, lines = 20) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** A server could not listen because another process holds its port (startServices may try another one). */
export class PortInUseError extends Error {
  constructor(port, message) {
    super(message);
    this.name = 'PortInUseError';
    this.port = port;
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

/**
 * True if `pid` is a live process whose name starts with one of `names`. On Linux this also makes sure the
 * pid was not recycled by an unrelated process and is not a zombie waiting to be reaped (a daemon's parent
 * is PID 1, which in a container may reap late or never).
 */
export function pidAlive(pid, names) {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if (err.code !== 'EPERM') return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X' && names.some((n) => comm.startsWith(n));
  } catch {
    return !fs.existsSync('/proc/self/stat'); // no /proc (macOS): trust kill(0); with /proc: it just exited
  }
}

/** Wraps a command so that it runs as the "postgres" OS user (root cannot run initdb or postgres). */
function asUser(cmd, args, user) {
  return user ? { file: 'runuser', argv: ['-u', user, '--', cmd, ...args] } : { file: cmd, argv: args };
}

/**
 * Runs a command to completion and resolves `{ code, signal, output }`; never rejects (a command that
 * cannot start resolves code 127). By default its output is captured; `inherit: true` shows it instead.
 *   input      text written to its stdin
 *   user       run as this OS user (runuser), from `/` so it needs no access to our folder
 *   timeoutMs  SIGKILL after this long
 *   onSpawn    called with the child, e.g. to forward signals to it
 */
export function run(
  cmd,
  args,
  { env = process.env, cwd, input, inherit = false, user, timeoutMs, onSpawn } = {},
) {
  const { file, argv } = asUser(cmd, args, user);
  return new Promise((resolve) => {
    const child = spawn(file, argv, {
      cwd: cwd ?? (user ? '/' : undefined),
      env,
      stdio: [
        input === undefined ? (inherit ? 'inherit' : 'ignore') : 'pipe',
        ...(inherit ? ['inherit', 'inherit'] : ['pipe', 'pipe']),
      ],
    });
    onSpawn?.(child);
    let output = '';
    child.stdout?.on('data', (d) => (output += d));
    child.stderr?.on('data', (d) => (output += d));
    if (input !== undefined) child.stdin.end(input);
    const timer =
      timeoutMs &&
      setTimeout(() => {
        output += `\n[timed out after ${timeoutMs} ms]`;
        child.kill('SIGKILL');
      }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      resolve({ code: 127, signal: null, output: `${output}${err.message}` });
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? 128 + (signalNumber(signal) ?? 1), signal, output });
    });
  });
}

/** `run`, but throws (with the command's output) unless it exits 0; resolves the output. */
export async function runOrThrow(cmd, args, options = {}) {
  const r = await run(cmd, args, options);
  if (r.code !== 0) {
    const output = r.output.trim();
    throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.code})${output ? `:\n${output}` : ''}`);
  }
  return r.output;
}

/**
 * Runs a command that starts a daemon (pg_ctl start, redis-server --daemonize). Its stdout/stderr go to a
 * file, never to a pipe: a forked daemon could keep a pipe open and the caller would wait forever.
 * Resolves the exit code.
 */
export function runDetached(cmd, args, { user, outFile, timeoutMs = 60_000 } = {}) {
  const { file, argv } = asUser(cmd, args, user);
  const fd = fs.openSync(outFile, 'a');
  return new Promise((resolve) => {
    const child = spawn(file, argv, { cwd: user ? '/' : undefined, stdio: ['ignore', fd, fd] });
    fs.closeSync(fd);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      fs.appendFileSync(outFile, `${err.message}\n`);
      resolve(-1);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(code ?? 128 + (signalNumber(signal) ?? 1));
    });
  });
}

const SIGNALS = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 };
function signalNumber(signal) {
  return signal ? SIGNALS[signal] : undefined;
}

/** The exit code a parent conventionally reports for a child stopped by `signal` (SIGINT → 130). */
export function exitCodeFor(signal) {
  return 128 + (signalNumber(signal) ?? 1);
}

/**
 * Starts `node [nodeArgs] <script>` (the built API or worker) with its output appended to `logFile` (or
 * replacing it, `append: false`). The child gets `logFile` as a property, for error messages.
 */
export function startProcess(script, { env, logFile, append = true, nodeArgs = [] }) {
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const out = fs.openSync(logFile, append ? 'a' : 'w');
  const child = spawn(process.execPath, [...nodeArgs, script], { env, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  child.logFile = logFile;
  return child;
}

/** Says how a child process ended: "exit 1", "signal SIGKILL". */
export function describeExit(code, signal) {
  return signal ? `signal ${signal}` : `exit ${code}`;
}

/**
 * SIGTERM, then SIGKILL if it has not exited after `graceMs`; resolves once it has exited.
 */
export function stopChild(child, graceMs = 15_000) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const force = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * Polls the API's readiness route until it answers 200. Fails after `timeoutMs`, or at once if one of
 * `children` exits first (a process that died at start-up is not going to become ready).
 */
export async function waitForReady(url, { timeoutMs = 90_000, children = [] } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const dead = children.find((c) => c.exitCode !== null || c.signalCode !== null);
    if (dead) {
      throw new Error(
        `a process stopped while starting (${describeExit(dead.exitCode, dead.signalCode)})` +
          (dead.logFile ? `; last lines of ${dead.logFile}:\n${tail(dead.logFile, 15)}` : ''),
      );
    }
    try {
      const res = await fetch(`${url}/api/v1/health/ready`, { signal: AbortSignal.timeout(5_000) });
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline)
      throw new Error(`the API at ${url} did not become ready within ${timeoutMs / 1000} s`);
    await sleep(200);
  }
}

/** The newest modification time (ms) of the files under the given paths; 0 when none exists. */
export function newestMtime(paths) {
  let newest = 0;
  const visit = (p) => {
    if (!fs.existsSync(p)) return;
    const stat = fs.statSync(p);
    if (stat.isDirectory()) for (const e of fs.readdirSync(p)) visit(path.join(p, e));
    else newest = Math.max(newest, stat.mtimeMs);
  };
  paths.forEach(visit);
  return newest;
}
