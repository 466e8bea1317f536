// The bench's load generator: POSTs messages to the API through an undici Pool, either closed-loop (N
// connections, each sending its next message when the last was answered) or open-loop (a fixed rate: message
// i is due at start + i/rate whatever the API does, so a slow API shows up as latency from the scheduled time
// instead of as a lower offered rate). Every run is bounded by a message count and a time limit, and every
// request by a timeout. Times are CLOCK_MONOTONIC ms (common.mjs), comparable with the receiver's.
//
// Runs as a helper process (node loadgen.mjs, driven over IPC) or inside the orchestrator.

import { BalancedPool, Pool } from 'undici';
import { loopDelayMonitor, now, sleep } from './common.mjs';
import { isMain, serve } from './rpc.mjs';

const REQUEST_TIMEOUT_MS = 30_000;

export function createLoadgen() {
  let live = { sent: 0, accepted: 0, failed: 0 };
  let stopRequested = false;

  /** Records of one run, in send order (grown as messages go out: a run may stop long before its cap). */
  function newRun({ scheduled }) {
    return {
      n: 0,
      ids: [],
      sentAt: [],
      doneAt: [],
      scheduledAt: scheduled ? [] : null,
      status: [],
      statusCounts: {},
      errors: [],
    };
  }

  /** Sends message number run.n (taken synchronously, so numbers follow send order). */
  function post(pool, target, run, scheduledAt) {
    const i = run.n++;
    run.ids.push(null);
    run.sentAt.push(now());
    run.doneAt.push(0);
    run.status.push(0);
    run.scheduledAt?.push(scheduledAt);
    live.sent++;
    return send(pool, target, run, i);
  }

  async function send(pool, target, run, i) {
    let status = 0;
    try {
      const res = await pool.request({
        method: 'POST',
        path: target.path,
        headers: { authorization: `Bearer ${target.token}`, 'content-type': 'application/json' },
        // A target with several bodies (the ordered scenario's keys) sends them in turn.
        body: target.bodies ? target.bodies[i % target.bodies.length] : target.body,
      });
      const text = await res.body.text();
      status = res.statusCode;
      if (status === 202) run.ids[i] = JSON.parse(text).id;
      else if (run.errors.length < 5) run.errors.push(`${status} ${text.slice(0, 200)}`);
    } catch (err) {
      if (run.errors.length < 5) run.errors.push(`${err.code ?? err.name}: ${err.message}`);
    }
    run.doneAt[i] = now();
    run.status[i] = status;
    run.statusCounts[status] = (run.statusCounts[status] ?? 0) + 1;
    if (status === 202) live.accepted++;
    else live.failed++;
  }

  function finish(run, started, stoppedSending) {
    return {
      started,
      stoppedSending,
      finished: now(),
      ids: run.ids,
      sentAt: Float64Array.from(run.sentAt),
      doneAt: Float64Array.from(run.doneAt),
      scheduledAt: run.scheduledAt ? Float64Array.from(run.scheduledAt) : null,
      status: Int16Array.from(run.status),
      statusCounts: run.statusCounts,
      errors: run.errors,
    };
  }

  /** One pool to one API process; several API processes share the load in turn (BalancedPool). */
  function poolFor(origins, connections) {
    const options = {
      connections,
      headersTimeout: REQUEST_TIMEOUT_MS,
      bodyTimeout: REQUEST_TIMEOUT_MS,
      keepAliveTimeout: 30_000,
    };
    return origins.length === 1 ? new Pool(origins[0], options) : new BalancedPool(origins, options);
  }

  const readLoopDelay = loopDelayMonitor();

  return {
    /** Event-loop delay since the last call (see common.mjs). */
    loopDelay: () => readLoopDelay(),
    /** `concurrency` connections send back to back for `seconds` or until `maxMessages` were sent. */
    async closed({ origins, target, concurrency, seconds, maxMessages }) {
      live = { sent: 0, accepted: 0, failed: 0 };
      stopRequested = false;
      const pool = poolFor(origins, concurrency);
      const run = newRun({ scheduled: false });
      const started = now();
      const deadline = started + seconds * 1000;
      let stoppedSending = started;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (!stopRequested && run.n < maxMessages && now() < deadline) {
            await post(pool, target, run);
          }
          stoppedSending = Math.max(stoppedSending, now());
        }),
      );
      await pool.close();
      return finish(run, started, stoppedSending);
    },

    /** Message i is due at start + i/rate, for `seconds` (at most `maxMessages`), answered or not. */
    async open({ origins, target, connections, rate, seconds, maxMessages }) {
      live = { sent: 0, accepted: 0, failed: 0 };
      stopRequested = false;
      const pool = poolFor(origins, connections);
      const total = Math.max(1, Math.min(maxMessages, Math.round(seconds * rate)));
      const run = newRun({ scheduled: true });
      const interval = 1000 / rate;
      const started = now() + 5;
      const inflight = [];
      while (run.n < total && !stopRequested) {
        const t = now();
        while (run.n < total && started + run.n * interval <= t) {
          inflight.push(post(pool, target, run, started + run.n * interval));
        }
        if (run.n < total) await sleep(Math.max(0, Math.min(started + run.n * interval - now(), 20)));
      }
      const stoppedSending = now();
      await Promise.all(inflight);
      await pool.close();
      return finish(run, started, stoppedSending);
    },

    progress() {
      return { ...live };
    },
    /** Stops issuing new messages (the run then returns what it has). */
    stop() {
      stopRequested = true;
    },
    close() {},
  };
}

if (isMain(import.meta.url)) serve(createLoadgen());
