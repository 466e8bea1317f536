// A minimal request/response channel between the bench orchestrator and its helper processes (receiver, load
// generator, bare-ceiling worker). The same handler objects also run inside the orchestrator
// (BENCH_HELPERS=inline), so the two layouts can be compared with everything else equal.

import { fork } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** In a helper process: answers the parent's calls with `handlers`. Exits when the parent goes away. */
export function serve(handlers) {
  process.on('message', (msg) => {
    if (msg?.type !== 'call') return;
    const reply = (body) => process.send?.({ type: 'reply', id: msg.id, ...body });
    Promise.resolve()
      .then(() => {
        const fn = handlers[msg.method];
        if (typeof fn !== 'function') throw new Error(`no method ${msg.method}`);
        return fn(...msg.args);
      })
      .then(
        (result) => reply({ result }),
        (err) => reply({ error: err?.stack ?? String(err) }),
      );
  });
  process.on('disconnect', () => process.exit(0));
}

/**
 * Starts `node <script>` as a helper; `call(method, ...args)` resolves what its handler returns. Structured
 * clone ("advanced" serialisation) carries typed arrays of timings cheaply. Output goes to `logFile`.
 */
export function spawnHelper(script, { name, logFile, env = process.env, callTimeoutMs = 120_000 }) {
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const out = fs.openSync(logFile, 'w');
  const child = fork(script, [], { env, stdio: ['ignore', out, out, 'ipc'], serialization: 'advanced' });
  fs.closeSync(out);
  const pending = new Map();
  let nextId = 1;
  let exited = null;
  child.on('message', (msg) => {
    if (msg?.type !== 'reply') return;
    const p = pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    clearTimeout(p.timer);
    if (msg.error) p.reject(new Error(`${name}.${p.method}: ${msg.error}`));
    else p.resolve(msg.result);
  });
  child.on('exit', (code, signal) => {
    exited = signal ? `signal ${signal}` : `exit ${code}`;
    for (const p of pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error(`${name} stopped (${exited}) during ${p.method}; see ${logFile}`));
    }
    pending.clear();
  });
  return {
    name,
    pid: child.pid,
    logFile,
    /** Calls that may run long (a load run, a drain) use callWithin with their own bound. */
    call: (method, ...args) => callWithin(callTimeoutMs, method, ...args),
    callWithin,
    async stop() {
      if (exited) return;
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.disconnect?.();
      const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
      child.kill('SIGTERM');
      await gone;
      clearTimeout(force);
    },
  };

  function callWithin(timeoutMs, method, ...args) {
    if (exited) return Promise.reject(new Error(`${name} is not running (${exited}); see ${logFile}`));
    return new Promise((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`${name}.${method} did not answer within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      pending.set(id, { resolve, reject, timer, method });
      child.send({ type: 'call', id, method, args });
    });
  }
}

/** The same interface as spawnHelper, with the handlers running in this process. */
export function inlineHelper(name, handlers) {
  const callWithin = async (_timeoutMs, method, ...args) => handlers[method](...args);
  return {
    name,
    pid: process.pid,
    logFile: null,
    call: (method, ...args) => callWithin(0, method, ...args),
    callWithin,
    async stop() {
      await handlers.close?.();
    },
  };
}

/** True when the module at `metaUrl` is the script node was started with (a helper run as a child). */
export function isMain(metaUrl) {
  return process.argv[1] !== undefined && path.resolve(process.argv[1]) === new URL(metaUrl).pathname;
}
