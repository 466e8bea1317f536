// Keeps a child process running, as a process manager (systemd, Kubernetes) would in production: when it
// dies, it is started again after a back-off that doubles from `initialMs` to `maxMs`, and goes back to
// `initialMs` once a run has lasted `resetAfterMs`. Used by `npm start` for the API and the worker.
// Plain Node.js (node: built-ins only).

import { describeExit, startProcess, stopChild } from './processes.mjs';

export const DEFAULT_BACKOFF = { initialMs: 1_000, maxMs: 30_000, resetAfterMs: 60_000 };

/**
 * Starts `node <script>` and restarts it whenever it exits, until `stop()`.
 *   name      how log lines call it ("worker")
 *   logFile   its stdout and stderr are appended there
 *   log       where restart lines go
 *   onStart   called with each child process it starts
 *   onExit    called with (code, signal, { restartInMs }) on every exit that was not asked for
 * Returns { child (the current process), restarts, stop() }; stop() sends SIGTERM (SIGKILL after
 * `graceMs`), cancels a pending restart, and resolves once the process has exited.
 */
export function supervise({
  name,
  script,
  env,
  logFile,
  log = console.log,
  onStart,
  onExit,
  backoff = DEFAULT_BACKOFF,
  graceMs = 15_000,
}) {
  const { initialMs, maxMs, resetAfterMs } = { ...DEFAULT_BACKOFF, ...backoff };
  let delay = initialMs;
  let stopped = false;
  let timer = null;
  let stopping = null;

  const handle = {
    child: null,
    restarts: 0,
    stop() {
      stopped = true;
      clearTimeout(timer);
      stopping ??= handle.child ? stopChild(handle.child, graceMs) : Promise.resolve();
      return stopping;
    },
  };

  const spawnOnce = () => {
    const startedAt = Date.now();
    const child = startProcess(script, { env, logFile });
    handle.child = child;
    onStart?.(child);
    child.once('exit', (code, signal) => {
      if (stopped) return;
      // A run that stayed up long enough counts as healthy: the next crash starts the back-off afresh.
      if (Date.now() - startedAt >= resetAfterMs) delay = initialMs;
      const restartInMs = delay;
      delay = Math.min(delay * 2, maxMs);
      handle.restarts++;
      log(
        `the ${name} process stopped (${describeExit(code, signal)}); restarting it in ${formatMs(restartInMs)}` +
          ` (restart ${handle.restarts}, log: ${logFile})`,
      );
      onExit?.(code, signal, { restartInMs });
      timer = setTimeout(() => {
        if (stopped) return;
        spawnOnce();
        log(`restarted the ${name} process (pid ${handle.child.pid})`);
      }, restartInMs);
    });
  };

  spawnOnce();
  return handle;
}

function formatMs(ms) {
  return ms >= 1000 ? `${ms / 1000} s` : `${ms} ms`;
}
