// Small shared pieces of the bench: one clock for every process, percentiles, sleeping, event-loop delay.

import { monitorEventLoopDelay } from 'node:perf_hooks';

/**
 * Milliseconds on CLOCK_MONOTONIC (libuv's hrtime). It is the same clock in every process on the machine, so a
 * send time taken in the load generator and a receipt time taken in the receiver can be subtracted.
 * (performance.now() is not: each process counts from its own start.)
 */
export function now() {
  return Number(process.hrtime.bigint() / 1000n) / 1000;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Nearest-rank percentile of an ascending array; null when empty. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** p50/p95/p99/max of a list of durations (ms), rounded to 0.1 ms. */
export function summarize(values) {
  const sorted = Float64Array.from(values).sort();
  const r = (v) => (v === null ? null : Math.round(v * 10) / 10);
  return {
    count: sorted.length,
    p50Ms: r(percentile(sorted, 50)),
    p95Ms: r(percentile(sorted, 95)),
    p99Ms: r(percentile(sorted, 99)),
    maxMs: r(sorted.length ? sorted[sorted.length - 1] : null),
  };
}

/**
 * How late this process's event loop ran (p50/p99/max ms) since the last read. A receiver or load generator
 * whose loop lags stamps its times late: this is what says whether the helpers kept up during a scenario.
 */
export function loopDelayMonitor() {
  const resolutionMs = 10;
  const h = monitorEventLoopDelay({ resolution: resolutionMs });
  h.enable();
  // Each sample is the time between two ticks of a `resolutionMs` timer: the lateness is what exceeds it.
  const ms = (ns) => Math.max(0, Math.round((ns / 1e6 - resolutionMs) * 100) / 100);
  return () => {
    const r = { p50Ms: ms(h.percentile(50)), p99Ms: ms(h.percentile(99)), maxMs: ms(h.max) };
    h.reset();
    return r;
  };
}
